"""Evaluation: ``timbral evaluate MODEL DATA``, the figures a model card reports.

Every note of the chosen split is encoded (latent mean), decoded at its own pitch and
velocity, turned into audio with the phase reconstruction, and analysed again:

- ``spectral_convergence_db``: median of 20·log10 ‖|STFT(ŷ)| − |STFT(y)|‖ / ‖|STFT(y)|‖ (audio domain)
- ``log_spectral_distance_db``: median over notes of the mean over frames of the RMS dB difference
- ``knn_family_accuracy``: k = 5 vote on latent means; neighbours from the train split when the
  dataset has one (and another split is evaluated), otherwise leave-one-out
- ``pitch_error_cents``: median |pYIN pitch of the decoded note − requested pitch|
- ``active_latent_dims``: latent dimensions whose mean varies across notes (variance > 0.01)
- ``kl``: mean KL divergence to the prior per note (nats)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .atomic import atomic_path
from .data.features import feature_store
from .data.split import read_split
from .model import TimbreVAE, kl_per_dim
from .phase import DEFAULT_METHOD, reconstruct
from .spectral import db_to_magnitude, magnitude_to_db, stft

K = 5
BATCH = 32
ACTIVE_VARIANCE = 0.01


@torch.no_grad()
def encode_rows(model: TimbreVAE, store, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latent means and log-variances of feature-store rows."""
    from .train import load_batch

    bounds = model.config.scale
    mus, logvars = [], []
    for i in range(0, len(rows), 64):
        batch = load_batch(store, rows[i : i + 64], bounds, "cpu")
        mu, logvar = model.encoder(batch["spec"])
        mus.append(mu)
        logvars.append(logvar)
    return torch.cat(mus).numpy(), torch.cat(logvars).numpy()


def knn_accuracy(query: np.ndarray, query_labels: np.ndarray, ref: np.ndarray | None = None,
                 ref_labels: np.ndarray | None = None, k: int = K) -> float:
    """Share of queries whose k nearest references (Euclidean) vote for their label.

    Without references it is leave-one-out among the queries.
    """
    leave_one_out = ref is None
    ref, ref_labels = (query, query_labels) if leave_one_out else (ref, ref_labels)
    q, r = torch.from_numpy(query).float(), torch.from_numpy(ref).float()
    d = torch.cdist(q, r)
    if leave_one_out:
        d.fill_diagonal_(float("inf"))
    k = min(k, len(ref) - int(leave_one_out))
    if k < 1:
        return float("nan")
    nearest = d.topk(k, largest=False).indices.numpy()
    votes = ref_labels[nearest]
    predicted = np.array([np.bincount(v).argmax() for v in votes])
    return float(np.mean(predicted == query_labels))


def pitch_error_cents(audio: np.ndarray, pitch: int, sr: int) -> float:
    """|median pYIN f0 − requested pitch| in cents over 0.1-1.1 s of the note (nan if unpitched)."""
    import librosa

    segment = audio[int(0.1 * sr) : int(1.1 * sr)]
    f0, _, prob = librosa.pyin(segment, fmin=30.0, fmax=4200.0, sr=sr, frame_length=2048)
    voiced = (prob > 0.5) & np.isfinite(f0)
    if not voiced.any():
        return float("nan")
    return float(abs(1200 * np.log2(np.nanmedian(f0[voiced]) / librosa.midi_to_hz(pitch))))


def log_spectral_distance(mag_hat: np.ndarray, mag: np.ndarray, settings) -> np.ndarray:
    """Per note: mean over frames of sqrt(mean over bins of (dB difference)²)."""
    diff = magnitude_to_db(mag_hat, settings) - magnitude_to_db(mag, settings)
    return np.sqrt((diff**2).mean(axis=-2)).mean(axis=-1)


@torch.no_grad()
def evaluate(model: TimbreVAE, data_dir: str | os.PathLike, split: str | None = "test", *,
             phase: str = DEFAULT_METHOD, pitch_notes: int = 200, progress: bool = True) -> dict:
    """All metrics of ``model`` on ``data_dir`` (``split`` ignored when the dataset has none)."""
    if not isinstance(pitch_notes, int) or pitch_notes < 0:
        raise ValueError(f"pitch_notes must be a whole number >= 0, got {pitch_notes!r}")
    settings = model.config.spectral_settings
    store = feature_store(data_dir, settings, progress=progress)
    has_split = read_split(store.dataset) is not None
    split = split if has_split else None
    rows = np.array(store.positions(split))
    if len(rows) == 0:
        raise ValueError(f"{data_dir}: no notes in split {split!r}")
    meta = [store.index[r] for r in rows]
    pitches = np.array([m["pitch"] for m in meta])
    velocities = np.array([m["velocity"] for m in meta])
    families = np.array([m.get("instrument_family", -1) for m in meta])

    mu, logvar = encode_rows(model, store, rows)
    sc, lsd, cents = [], [], []
    checked = set(np.linspace(0, len(rows) - 1, min(pitch_notes, len(rows))).round().astype(int).tolist()) if pitch_notes else set()
    for i in tqdm(range(0, len(rows), BATCH), desc="evaluate", unit="batch", disable=not progress or None):
        z = torch.from_numpy(mu[i : i + BATCH])
        x_hat = model.decoder(z, torch.from_numpy(pitches[i : i + BATCH]), torch.from_numpy(velocities[i : i + BATCH]))
        mag_hat = db_to_magnitude(model.config.scale.unscale(x_hat)).numpy()
        audio = reconstruct(mag_hat, settings, method=phase, length=settings.n_samples)
        mag = db_to_magnitude(store.specs[rows[i : i + BATCH]].astype(np.float32))  # rows are ascending
        rebuilt = stft(audio, settings).abs().numpy()
        err = np.linalg.norm(rebuilt - mag, axis=(1, 2)) / np.maximum(np.linalg.norm(mag, axis=(1, 2)), 1e-12)
        sc.extend(20 * np.log10(np.maximum(err, 1e-12)))
        lsd.extend(log_spectral_distance(rebuilt, mag, settings))
        for j in range(len(z)):
            if i + j in checked:
                cents.append(pitch_error_cents(audio[j], int(pitches[i + j]), settings.sr))

    if split not in (None, "train"):
        train_rows = np.array(store.positions("train"))
        ref, _ = encode_rows(model, store, train_rows)
        ref_labels = np.array([store.index[r].get("instrument_family", -1) for r in train_rows])
        knn = knn_accuracy(mu, families, ref, ref_labels)
        neighbours = "train split"
    else:
        knn = knn_accuracy(mu, families)
        neighbours = "leave-one-out"
    kl = kl_per_dim(torch.from_numpy(mu), torch.from_numpy(logvar)).sum(-1).mean().item()
    return {
        "spectral_convergence_db": float(np.median(sc)),
        "log_spectral_distance_db": float(np.median(lsd)),
        "knn_family_accuracy": knn,
        "pitch_error_cents": float(np.nanmedian(cents)) if np.isfinite(cents).any() else float("nan"),
        "active_latent_dims": int((mu.var(axis=0) > ACTIVE_VARIANCE).sum()),
        "latent_dim": int(mu.shape[1]),
        "kl": float(kl),
        "n_notes": int(len(rows)),
        "split": split or "all",
        "knn_neighbours": neighbours,
        "pitch_notes": int(np.isfinite(cents).sum()),
        "phase": phase,
        "dataset": str(data_dir),
    }


def update_card(model_dir: str | os.PathLike, metrics: dict) -> Path:
    """Write the evaluation section into ``MODEL/card.md``, replacing an older one (and nothing else)."""
    path = Path(model_dir) / "card.md"
    card = path.read_text() if path.exists() else "# Timbral model card\n"
    before, found, after = card.partition("## Evaluation")
    rest = after[after.find("\n## ") + 1 :] if found and "\n## " in after else ""
    card = before.rstrip() + "\n\n" + metrics_markdown(metrics) + ("\n" + rest if rest else "")
    with atomic_path(path) as tmp:
        tmp.write_text(card)
    return path


def metrics_markdown(metrics: dict) -> str:
    """The card's evaluation section."""
    rows = [
        ("spectral convergence, audio domain (median)", f"{metrics['spectral_convergence_db']:.1f} dB", "≤ −15 dB"),
        ("log-spectral distance (median)", f"{metrics['log_spectral_distance_db']:.1f} dB", "reported"),
        (f"k-NN family accuracy (k=5, neighbours: {metrics['knn_neighbours']})", f"{metrics['knn_family_accuracy']:.3f}", "≥ 0.75"),
        (f"pitch error (median over {metrics['pitch_notes']} notes, pYIN)", f"{metrics['pitch_error_cents']:.1f} cents", "≤ 25"),
        ("active latent dimensions", f"{metrics['active_latent_dims']} of {metrics['latent_dim']}", "reported"),
        ("KL to the prior (mean per note)", f"{metrics['kl']:.1f} nats", "reported"),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return (f"## Evaluation\n\n`timbral evaluate MODEL {metrics['dataset']} --split {metrics['split']}` "
            f"({metrics['n_notes']} notes of held-out instruments, phase: {metrics['phase']})\n\n"
            f"| metric | value | target |\n|---|---:|---|\n{table}\n")
