"""Evaluation: ``timbral evaluate MODEL DATA``, the figures a model card reports.

Every note of the chosen split is encoded (latent mean), decoded at its own pitch and
velocity, turned into audio with the phase reconstruction, and analysed again:

- ``spectral_convergence_db``: median of 20·log10 ‖|STFT(ŷ)| − |STFT(y)|‖ / ‖|STFT(y)|‖ (audio domain, the core's
  band to 8 kHz, as every figure of spectral convergence and LSD here)
- ``log_spectral_distance_db``: median over notes of the mean over frames of the RMS dB difference
- ``high_band_level_error_db``: median over notes of the mean over the high band's bands (8-24 kHz) of the
  difference in level (dB, over the whole note) of the rebuild from the note, its level matched below 8 kHz
- ``pitch_error_cents``: median |pYIN pitch of the decoded note − requested pitch|
- ``active_latent_dims``: latent dimensions whose mean varies across notes (variance > 0.01)
- ``kl``: mean KL divergence to the prior per note (nats)

and how the timbre space generalises to the evaluated notes (held-out instruments, or a folder
from a source never trained on), against a reference library (the dataset's train split, or
``library=`` another folder):

- ``placement_family_accuracy``: family vote of the 5 nearest reference latents (k-NN family
  accuracy; leave-one-out among the notes when there is no reference), with ``placement_chance``
  (the same vote with the families shuffled), ``placement_by_family`` and, with a reference,
  ``placement_by_source`` (per SoundFont or synthesis engine: accuracy and notes)
- ``cross_pitch_instrument_retrieval``: is a note's nearest note *at another pitch* of the same
  instrument? with ``cross_pitch_chance`` (the share of such notes among those at other pitches)
- ``pitch_explained_variance`` / ``instrument_explained_variance``: R² of the latent explained by
  the group means per pitch / per instrument (timbre should hold instrument, not pitch)
- ``reconstruction_gain_matched_sc_db`` / ``..._lsd_db`` against ``retrieval_baseline_*``: the model's
  rebuild versus simply picking the closest reference note at the same pitch, both gain-matched,
  on up to ``baseline_notes`` notes; ``reconstruction_vs_retrieval_sc_db`` is their difference
  (negative: the model does better)
- with ``fit_steps``, the same notes rebuilt from latents fitted to them (``fit_latents``, the
  way ``timbral reconstruct --fit`` rebuilds your own sounds): ``fitted_gain_matched_sc_db`` /
  ``..._lsd_db``, ``fitted_vs_retrieval_sc_db``, how far fitting moved the latents
  (``fitted_latent_shift``, relative to their length) and their family vote before and after
  (``fitted_placement_before`` / ``..._after``)
- level robustness: the latent figures and the gain-matched rebuild again with the notes' audio at
  -1 and -30 dBFS peak (16-bit), and ``level_max_change``, the largest relative change between them
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from .data.features import feature_store
from .data.nsynth import read_examples, source_of
from .data.split import read_split
from .losses import kl_per_dim
from .metrics import (
    by_heard_pitch,
    cross_pitch_retrieval,
    explained_variance,
    family_codes,
    gain_matched,
    heard_pitches,
    high_band_level_error,
    knn_predict,
    log_spectral_distance,
    placement_accuracy,
    placement_by_family,
)
from .model import TimbreVAE, encode_rows, fit_latents
from .phase import DEFAULT_METHOD
from .progress import Bar
from .spectral import db_to_magnitude, heard_of, log_magnitude, stft

BANDS = 8  # STFT bins per band of the spectral-statistics baseline
BATCH = 32
ACTIVE_VARIANCE = 0.01


def pitch_error_cents(audio: np.ndarray, pitch: int, sr: int) -> float:
    """|median pYIN f0 − requested pitch| in cents over 0.1-1.1 s of the note (nan if unpitched)."""
    import librosa

    segment = audio[int(0.1 * sr) : int(1.1 * sr)]
    f0, _, prob = librosa.pyin(segment, fmin=30.0, fmax=4200.0, sr=sr, frame_length=2048 * max(1, round(sr / 16000)))
    voiced = (prob > 0.5) & np.isfinite(f0)
    if not voiced.any():
        return float("nan")
    return float(abs(1200 * np.log2(np.nanmedian(f0[voiced]) / librosa.midi_to_hz(pitch))))


def spectral_statistics(store, rows: np.ndarray) -> np.ndarray:
    """The placement baseline's features: mean and standard deviation over time of each note's dB
    spectrogram in bands of ``BANDS`` bins, the plain statistics a model has to beat."""
    out = []
    for start in range(0, len(rows), 256):
        db = np.asarray(store.specs[rows[start : start + 256]], np.float32)
        bands = db[:, : db.shape[1] // BANDS * BANDS].reshape(len(db), -1, BANDS, db.shape[2]).mean(axis=2)
        out.append(np.concatenate([bands.mean(axis=2), bands.std(axis=2)], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def _magnitudes(store, rows: np.ndarray) -> np.ndarray:
    """Linear magnitudes of the core's bins of feature-store ``rows``, in the order asked."""
    return db_to_magnitude(store.read(rows)[:, : store.settings.core_bins])


def retrieval_baseline(store, rows: np.ndarray, ref_store, ref_rows: np.ndarray, settings,
                       progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows``, the closest reference note at the same pitch (the nearest pitch the
    reference has), by gain-matched spectral convergence: its (sc_db, lsd_db) against the note."""
    ref_pitches = np.array([ref_store.index[r]["pitch"] for r in ref_rows])
    pitches = np.array([store.index[r]["pitch"] for r in rows])
    sc, lsd = np.empty(len(rows)), np.empty(len(rows))
    for pitch in Bar(np.unique(pitches), desc="evaluating: closest reference notes", unit="pitch", disable=not progress or None):
        targets = np.flatnonzero(pitches == pitch)
        mags = _magnitudes(store, rows[targets])
        candidates = np.sort(ref_rows[ref_pitches == ref_pitches[np.argmin(np.abs(ref_pitches - pitch))]])
        best, best_sc = np.zeros(len(targets), int), np.full(len(targets), np.inf)
        for start in range(0, len(candidates), 128):
            chunk = _magnitudes(ref_store, candidates[start : start + 128])
            for t, mag in enumerate(mags):
                scores, _ = gain_matched(chunk, mag[None])
                if scores.min() < best_sc[t]:
                    best_sc[t], best[t] = scores.min(), candidates[start + scores.argmin()]
        for t, target in enumerate(targets):
            a, b = gain_matched(_magnitudes(ref_store, [best[t]]), mags[t][None], settings)
            sc[target], lsd[target] = a[0], b[0]
    return sc, lsd


@dataclass(frozen=True)
class _Notes:
    """The evaluated notes: their feature-store rows and labels."""

    store: object
    rows: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray
    families: np.ndarray
    instruments: np.ndarray

    @classmethod
    def of(cls, store, rows: np.ndarray) -> _Notes:
        meta = [store.index[r] for r in rows]
        return cls(store, rows, *(np.array([m[k] for m in meta]) for k in ("pitch", "velocity", "instrument_family_str", "instrument_str")))


@torch.no_grad()
def evaluate(model: TimbreVAE, data_dir: str | os.PathLike, split: str | None = "test", *,
             library: str | os.PathLike | None = None, phase: str = DEFAULT_METHOD, rebuild_notes: int | None = None,
             pitch_notes: int = 200, baseline_notes: int = 200, level_notes: int = 400, fit_steps: int = 0,
             visqol: int = 0, progress: bool = True) -> dict:
    """All metrics of ``model`` on ``data_dir`` (``split`` ignored when the dataset has none).

    The latent figures use every note; the rebuild figures up to ``rebuild_notes`` of them
    (spread evenly; all when ``None``), the pitch check and the retrieval baseline a spread share
    of those (and the fitted rebuild, with ``fit_steps``, the baseline's notes), and level robustness
    up to ``level_notes`` notes of whole instruments; with ``visqol``, what a listener hears of that many
    instruments spread over the set (:func:`~timbral.listening.listening_figures`, ViSQOL MOS).
    The reference for placement and the retrieval baseline is ``library`` (its train split if it
    has one, else all of it), else the dataset's own train split; with neither, placement is
    leave-one-out and the baseline is left out.
    """
    for name, value in (("pitch_notes", pitch_notes), ("baseline_notes", baseline_notes), ("level_notes", level_notes),
                        ("fit_steps", fit_steps), ("visqol", visqol), ("rebuild_notes", 1 if rebuild_notes is None else rebuild_notes)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    store = feature_store(data_dir, model.config.spectral_settings, progress=progress)
    split_file = read_split(store.dataset)
    split = split if split_file is not None else None
    notes = _Notes.of(store, np.array(store.positions(split)))
    if len(notes.rows) == 0:
        raise ValueError(f"{data_dir}: no notes in split {split!r}")
    mu, logvar = encode_rows(model, store, notes.rows)
    ref_store, ref_rows, reference = _reference(store, split, library, model.config.spectral_settings, progress)
    rebuilt_at = _spread(len(notes.rows), len(notes.rows) if rebuild_notes is None else rebuild_notes)
    picked = rebuilt_at[_spread(len(rebuilt_at), baseline_notes)] if ref_store is not None else np.array([], int)
    rebuilt, matched = _rebuild(model, notes, mu, rebuilt_at, rebuilt_at[_spread(len(rebuilt_at), pitch_notes)], picked, phase,
                                progress)
    metrics = {**rebuilt, **_latent_figures(mu, logvar, notes), "n_notes": int(len(notes.rows)),
               "rebuilt_notes": int(len(rebuilt_at)), "split": split or "all", "reference": reference, "phase": phase,
               "held_out_source": split_file.get("hold_out_source") if split == "test" else None, "dataset": str(data_dir)}
    ref_mu, ref_families = None, None
    if ref_store is not None:
        ref_mu, _ = encode_rows(model, ref_store, ref_rows)
        ref_families = np.array([ref_store.index[r]["instrument_family_str"] for r in ref_rows])
    metrics.update(_placement_figures(mu, notes, ref_mu, ref_families, ref_store, ref_rows))
    if len(picked):
        metrics.update(_baseline_figures(model, notes, mu, picked, matched, ref_mu, ref_families, ref_store, ref_rows,
                                         fit_steps, phase, progress))
    if level_notes:
        at = _whole_instruments(notes.instruments, level_notes)
        metrics.update(level_robustness(model, store, notes.rows[at], ref_mu, ref_families))
    if visqol:
        metrics.update(_listening(model, notes, visqol))
    return metrics


def _listening(model: TimbreVAE, notes: _Notes, count: int) -> dict:
    """ViSQOL figures of ``count`` instruments spread over the notes (:mod:`~timbral.listening`)."""
    from .audio import load_note
    from .data.nsynth import audio_path
    from .latent import Timbral
    from .listening import listening_figures

    examples = read_examples(notes.store.dataset)
    names = np.unique(notes.instruments)
    chosen = set(names[_spread(len(names), count)])
    instruments: dict[str, list[dict]] = {}
    for r in notes.rows:
        m = examples[notes.store.index[r]["note_str"]]
        if m["instrument_str"] in chosen:
            instruments.setdefault(m["instrument_str"], []).append(m)
    load = lambda name: load_note(audio_path(notes.store.dataset, name), sr=model.config.spectral_settings.sr, trim=False)  # noqa: E731
    return listening_figures(Timbral(model, library=notes.store.dataset), load, list(instruments.values()))


def _rebuild(model: TimbreVAE, notes: _Notes, mu: np.ndarray, rebuilt_at: np.ndarray, checked: np.ndarray,
             picked: np.ndarray, phase: str, progress: bool) -> tuple[dict, tuple[list, list]]:
    """Decode the notes ``rebuilt_at`` at their pitch and velocity, rebuild their audio and measure it:
    spectral convergence and LSD (medians) and pitch error of the ``checked`` ones; with them, the
    gain-matched SC and LSD of the ``picked`` ones (for the retrieval baseline)."""
    settings = model.config.spectral_settings
    checked = set(checked.tolist())
    sc, lsd, cents, high, matched_sc, matched_lsd = [], [], [], [], [], []
    for i in Bar(range(0, len(rebuilt_at), BATCH), desc="evaluating: rebuilding notes", unit="batch", disable=not progress or None):
        at = rebuilt_at[i : i + BATCH]
        x_hat = model.decode(*(torch.from_numpy(a) for a in (mu[at], notes.pitches[at], notes.velocities[at])))
        audio = model.audio_of(x_hat, phase=phase)
        mag = _magnitudes(notes.store, notes.rows[at])
        heard = heard_of(log_magnitude(audio, settings), settings)
        rebuilt = db_to_magnitude(heard[:, : settings.core_bins])
        high.extend(high_band_level_error(heard, notes.store.read(notes.rows[at]), settings))
        err = np.linalg.norm(rebuilt - mag, axis=(1, 2)) / np.maximum(np.linalg.norm(mag, axis=(1, 2)), 1e-12)
        sc.extend(20 * np.log10(np.maximum(err, 1e-12)))
        lsd.extend(log_spectral_distance(rebuilt, mag, settings))
        cents.extend(pitch_error_cents(audio[j], int(notes.pitches[n]), settings.sr) for j, n in enumerate(at) if n in checked)
        in_baseline = np.flatnonzero(np.isin(at, picked))
        if len(in_baseline):
            a, b = gain_matched(rebuilt[in_baseline], mag[in_baseline], settings)
            matched_sc.extend(a)
            matched_lsd.extend(b)
    return {"spectral_convergence_db": float(np.median(sc)), "log_spectral_distance_db": float(np.median(lsd)),
            "high_band_level_error_db": float(np.median(high)),
            "pitch_error_cents": float(np.nanmedian(cents)) if np.isfinite(cents).any() else float("nan"),
            "pitch_notes": int(np.isfinite(cents).sum())}, (matched_sc, matched_lsd)


def _latent_figures(mu: np.ndarray, logvar: np.ndarray, notes: _Notes) -> dict:
    """What the latents tell without a reference: retrieval across pitches, explained variance, use."""
    retrieval, retrieval_chance = cross_pitch_retrieval(mu, notes.instruments, notes.pitches)
    return {
        "placement_within_set": placement_accuracy(mu, notes.families, groups=notes.instruments, shuffles=0)[0],
        "cross_pitch_instrument_retrieval": retrieval,
        "cross_pitch_chance": retrieval_chance,
        "pitch_explained_variance": explained_variance(mu, notes.pitches),
        "pitch_explained_variance_adjusted": explained_variance(mu, notes.pitches, adjusted=True),
        "instrument_explained_variance": explained_variance(mu, notes.instruments),
        "active_latent_dims": int((mu.var(axis=0) > ACTIVE_VARIANCE).sum()),
        "latent_dim": int(mu.shape[1]),
        "kl": float(kl_per_dim(torch.from_numpy(mu), torch.from_numpy(logvar)).sum(-1).mean().item()),
    }


def _placement_figures(mu: np.ndarray, notes: _Notes, ref_mu: np.ndarray, ref_families: np.ndarray, ref_store,
                       ref_rows: np.ndarray) -> dict:
    """Where the notes land among the reference's (among each other, leaving out each note, when there is
    none): family placement (with chance, per family) and with a reference, the same on plain spectral
    statistics and the figures at heard and unheard pitches."""
    accuracy, chance = placement_accuracy(mu, notes.families, ref_mu, ref_families)
    figures = {"placement_family_accuracy": accuracy, "placement_chance": chance,
               "placement_by_family": placement_by_family(mu, notes.families, ref_mu, ref_families)}
    if ref_mu is None:
        return figures
    _, codes, ref_codes = family_codes(notes.families, ref_families)
    placed = knn_predict(mu, ref_mu, ref_codes) == codes
    examples, ref_examples = read_examples(notes.store.dataset), read_examples(ref_store.dataset)
    heard = heard_pitches([examples[notes.store.index[r]["note_str"]] for r in notes.rows],
                          [ref_examples[ref_store.index[r]["note_str"]] for r in ref_rows])
    baseline = placement_accuracy(spectral_statistics(notes.store, notes.rows), notes.families,
                                  spectral_statistics(ref_store, ref_rows), ref_families, shuffles=0)[0]
    sources = np.array([source_of(examples[notes.store.index[r]["note_str"]]) for r in notes.rows])
    figures["placement_by_source"] = {str(s): [float(placed[sources == s].mean()), int((sources == s).sum())]
                                      for s in np.unique(sources)}
    return {**figures, "placement_features_baseline": baseline,
            **by_heard_pitch(mu, notes.families, notes.instruments, notes.pitches, notes.velocities, heard, placed)}


def _baseline_figures(model: TimbreVAE, notes: _Notes, mu: np.ndarray, picked: np.ndarray, matched: tuple[list, list], ref_mu,
                      ref_families, ref_store, ref_rows, fit_steps: int, phase: str, progress: bool) -> dict:
    """The rebuild of the ``picked`` notes (their gain-matched SC and LSD: ``matched``) against the closest
    reference note at their pitch, and with ``fit_steps`` the same from latents fitted to them."""
    settings = model.config.spectral_settings
    base_sc, base_lsd = retrieval_baseline(notes.store, notes.rows[picked], ref_store, ref_rows, settings, progress=progress)
    matched_sc, matched_lsd = float(np.median(matched[0])), float(np.median(matched[1]))
    out = {"reconstruction_gain_matched_sc_db": matched_sc, "reconstruction_gain_matched_lsd_db": matched_lsd,
           "retrieval_baseline_sc_db": float(np.median(base_sc)), "retrieval_baseline_lsd_db": float(np.median(base_lsd)),
           "reconstruction_vs_retrieval_sc_db": matched_sc - float(np.median(base_sc)), "baseline_notes": int(len(picked))}
    if fit_steps:
        fitted, z = fitted_rebuild(model, notes.store, notes.rows[picked], mu[picked], fit_steps, phase, progress)
        before, after = (placement_accuracy(latents, notes.families[picked], ref_mu, ref_families, shuffles=0)[0]
                         for latents in (mu[picked], z))
        out.update(fitted, fitted_vs_retrieval_sc_db=float(fitted["fitted_gain_matched_sc_db"] - np.median(base_sc)),
                   fitted_placement_before=before, fitted_placement_after=after, fit_steps=fit_steps)
    return out


def fitted_rebuild(model: TimbreVAE, store, rows: np.ndarray, mu: np.ndarray, steps: int, phase: str = DEFAULT_METHOD,
                   progress: bool = False) -> tuple[dict, np.ndarray]:
    """The notes of ``rows`` rebuilt (through the phase reconstruction) from their encoder latents ``mu``
    fitted to them for ``steps``: (median gain-matched SC and LSD and median relative latent shift,
    the fitted latents)."""
    settings = model.config.spectral_settings
    sc, lsd, fitted = [], [], []
    for i in Bar(range(0, len(rows), BATCH), desc="evaluating: fitting latents", unit="batch", disable=not progress or None):
        batch = store.load_batch(rows[i : i + BATCH], model.config.scale)
        z = fit_latents(model, batch["spec"], batch["pitch"], batch["velocity"], torch.from_numpy(mu[i : i + BATCH]), steps)
        with torch.no_grad():
            x_hat = model.decode(z, batch["pitch"], batch["velocity"])
        audio = model.audio_of(x_hat, phase=phase)
        rebuilt = stft(audio, settings).abs().numpy()[:, : settings.core_bins]
        a, b = gain_matched(rebuilt, _magnitudes(store, rows[i : i + BATCH]), settings)
        sc.extend(a)
        lsd.extend(b)
        fitted.append(z.numpy())
    z = np.concatenate(fitted)
    shift = np.linalg.norm(z - mu, axis=1) / np.maximum(np.linalg.norm(mu, axis=1), 1e-9)
    return {"fitted_gain_matched_sc_db": float(np.median(sc)), "fitted_gain_matched_lsd_db": float(np.median(lsd)),
            "fitted_latent_shift": float(np.median(shift))}, z


LEVELS_DBFS = (-1.0, -30.0)
LEVEL_METRICS = ("placement_family_accuracy", "cross_pitch_instrument_retrieval", "pitch_explained_variance", "rebuild_sc_db")


@torch.no_grad()
def level_robustness(model: TimbreVAE, store, rows: np.ndarray, ref_mu: np.ndarray | None = None,
                     ref_families: np.ndarray | None = None) -> dict:
    """The latent metrics and the gain-matched rebuild (spectral convergence of the model's
    spectrogram) with each note's audio peak-normalised to -1 and -30 dBFS and stored as 16-bit,
    as a user's files would hold it; ``level_max_change`` is the largest relative change of a metric."""
    from .audio import load_note
    from .data.nsynth import audio_path

    meta = [store.index[r] for r in rows]
    pitches, velocities = np.array([m["pitch"] for m in meta]), np.array([m["velocity"] for m in meta])
    families = np.array([m["instrument_family_str"] for m in meta])
    instruments = np.array([m["instrument_str"] for m in meta])
    clean = np.stack([load_note(audio_path(store.dataset, m["note_str"]), sr=store.settings.sr, trim=False) for m in meta])
    clean /= np.maximum(np.abs(clean).max(axis=1, keepdims=True), 1e-9)
    mag = _magnitudes(store, rows)
    out: dict[str, float] = {}
    for level in LEVELS_DBFS:
        audio = np.round(clean * db_to_magnitude(level) * 32767) / 32767  # 16-bit
        spec = model.spectrogram_of(audio)
        mu = torch.cat([model.encode(spec[i : i + 64], torch.from_numpy(pitches[i : i + 64]))[0] for i in range(0, len(rows), 64)])
        x_hat = model.decode(mu, torch.from_numpy(pitches), torch.from_numpy(velocities), heard=True)
        rebuild, _ = gain_matched(model.magnitude_of(x_hat[:, : store.settings.core_bins]), mag)
        mu = mu.numpy()
        found = {
            "placement_family_accuracy": placement_accuracy(mu, families, ref_mu, ref_families)[0],
            "cross_pitch_instrument_retrieval": cross_pitch_retrieval(mu, instruments, pitches)[0],
            "pitch_explained_variance": explained_variance(mu, pitches),
            "rebuild_sc_db": float(np.median(rebuild)),
        }
        out.update({f"{name}_at_{level:g}dBFS": value for name, value in found.items()})
    changes = [abs(out[f"{n}_at_{LEVELS_DBFS[0]:g}dBFS"] - out[f"{n}_at_{LEVELS_DBFS[1]:g}dBFS"])
               / max(abs(out[f"{n}_at_{LEVELS_DBFS[0]:g}dBFS"]), 1e-9) for n in LEVEL_METRICS]
    return out | {"level_max_change": float(np.nanmax(changes)), "level_notes": int(len(rows))}


def _whole_instruments(instruments: np.ndarray, limit: int) -> np.ndarray:
    """Positions of all the notes of instruments spread over the set, up to ``limit`` notes."""
    chosen: list[int] = []
    for name in np.random.default_rng(0).permutation(np.unique(instruments)):
        members = np.flatnonzero(instruments == name)
        if len(chosen) + len(members) > limit:
            break
        chosen.extend(members)
    return np.sort(np.array(chosen, int))


def _spread(n: int, count: int) -> np.ndarray:
    """Up to ``count`` positions spread evenly over ``range(n)``."""
    return np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(int)) if count else np.array([], int)


def _reference(store, split, library, settings, progress):
    """(store, rows, description) of the reference notes, or (None, None, "leave-one-out")."""
    if library is not None:
        ref_store = feature_store(library, settings, progress=progress)
        has_split = read_split(ref_store.dataset) is not None
        rows = np.array(ref_store.positions("train" if has_split else None))
        return ref_store, rows, f"{library}" + (" (train split)" if has_split else "")
    if split not in (None, "train"):
        return store, np.array(store.positions("train")), "train split"
    return None, None, "leave-one-out"


