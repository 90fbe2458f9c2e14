"""What a model folder tells a person: its card (``card.md``: how it was trained, :func:`training_card`; what it
measures, the figures of :func:`~timbral.evaluate.evaluate` as a Markdown table, :func:`update_card`) and its
pictures (the loss curves, :func:`plot_losses`; placement at every pitch, :func:`plot_placement_by_pitch`).
"""

from __future__ import annotations

import csv
import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_path


def plot_placement_by_pitch(metrics: dict, png: str | os.PathLike) -> Path:
    """Family placement against MIDI pitch, one bar per semitone (unheard pitches marked), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted((int(p), *v) for p, v in metrics["placement_by_pitch"].items())
    pitches, accuracy, notes, heard = (np.array(c) for c in zip(*rows))
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.bar(pitches[heard], accuracy[heard], width=0.8, color="#0072b2", label="pitches the training heard")
    ax.bar(pitches[~heard], accuracy[~heard], width=0.8, color="#e69f00", label="pitches it never heard")
    for name, colour in (("heard_pitch", "#0072b2"), ("unheard_pitch", "#e69f00")):
        if f"placement_family_accuracy_{name}" in metrics:
            ax.axhline(metrics[f"placement_family_accuracy_{name}"], color=colour, linestyle="--", linewidth=1)
    ax.axhline(metrics["placement_chance"], color="grey", linestyle=":", linewidth=1, label="chance")
    ax.set_xlabel("MIDI pitch (60 = C4)")
    ax.set_ylabel("family placement")
    ax.set_ylim(0, 1)
    ax.set_xlim(pitches.min() - 1, pitches.max() + 1)
    held = f"{metrics['held_out_source']}, " if metrics.get("held_out_source") else ""
    ax.set_title(f"Family vote of the 5 nearest library notes, per pitch ({held}{metrics['n_notes']} notes; dashed: means)")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    with atomic_path(Path(png)) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return Path(png)


PLACEMENT_PLOT = "placement_by_pitch.png"


def update_card(model_dir: str | os.PathLike, metrics: dict) -> Path:
    """Write the evaluation section into ``MODEL/card.md``, replacing an older one (and nothing else),
    and the picture of placement against pitch beside it (:data:`PLACEMENT_PLOT`)."""
    path = Path(model_dir) / "card.md"
    if "placement_by_pitch" in metrics:
        plot_placement_by_pitch(metrics, Path(model_dir) / PLACEMENT_PLOT)
    card = path.read_text() if path.exists() else "# Timbral model card\n"
    before, found, after = card.partition("## Evaluation")
    rest = after[after.find("\n## ") + 1 :] if found and "\n## " in after else ""
    card = before.rstrip() + "\n\n" + metrics_markdown(metrics) + ("\n" + rest if rest else "")
    with atomic_path(path) as tmp:
        tmp.write_text(card)
    return path


def metrics_markdown(metrics: dict) -> str:
    """The card's evaluation section."""
    rows = _space_rows(metrics) + _rebuild_rows(metrics)
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    notes = (f"all of {metrics['held_out_source']}, a source never trained on" if metrics.get("held_out_source")
             else "instruments never trained on")
    fit = f" --fit {metrics['fit_steps']}" if "fit_steps" in metrics else ""
    return (f"## Evaluation\n\n`timbral evaluate MODEL {metrics['dataset']} --split {metrics['split']}{fit}` "
            f"({metrics['n_notes']} notes: {notes}; phase: {metrics['phase']})\n\n"
            f"| metric | value | target |\n|---|---:|---|\n{table}\n")


def _space_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """The rebuild's spectral figures and where the timbre space places the notes: (metric, value, target) rows."""
    rows = [
        (f"spectral convergence, audio domain, to 8 kHz (median of {metrics['rebuilt_notes']} rebuilt notes)",
         f"{metrics['spectral_convergence_db']:.1f} dB", "≤ −15 dB"),
        ("log-spectral distance, to 8 kHz (median)", f"{metrics['log_spectral_distance_db']:.1f} dB", "reported"),
        *([("high band's level error, 8-24 kHz bands, level matched below 8 kHz (median)",
            f"{metrics['high_band_level_error_db']:.1f} dB", "≤ 6 dB on bright notes")]
          if np.isfinite(metrics.get("high_band_level_error_db", np.nan)) else []),
        (f"placement: family vote of the 5 nearest notes of {metrics['reference']} (k-NN family accuracy; chance "
         f"{metrics['placement_chance']:.2f})", f"{metrics['placement_family_accuracy']:.3f}",
         "≥ 0.6 on an unseen source, ≥ 0.75 on unseen instruments"),
        ("… per family", " · ".join(f"{name} {value:.2f}" for name, value in metrics["placement_by_family"].items()), "reported"),
        *([("… per source (notes)", " · ".join(f"{name} {value:.2f} ({n})" for name, (value, n) in metrics["placement_by_source"].items()),
            "reported")] if len(metrics.get("placement_by_source", {})) > 1 else []),
        *([("… the same vote on plain spectral statistics (band means and spreads of the dB spectrogram)",
            f"{metrics['placement_features_baseline']:.3f}", "a baseline to beat")] if "placement_features_baseline" in metrics else []),
        *([(f"… at pitches the training heard ({metrics['notes_heard_pitch']} notes) / never heard "
             f"({metrics['notes_unheard_pitch']} notes; picture: `{PLACEMENT_PLOT}`)",
             f"{metrics.get('placement_family_accuracy_heard_pitch', float('nan')):.3f} / "
             f"{metrics.get('placement_family_accuracy_unheard_pitch', float('nan')):.3f}",
             "unheard within 0.03 of heard")] if "notes_unheard_pitch" in metrics else []),
        ("… the same vote among the set's own other instruments (no other source)",
         f"{metrics['placement_within_set']:.3f}", "reported: what this latent reaches without a change of source"),
        (f"cross-pitch instrument retrieval (chance {metrics['cross_pitch_chance']:.3f})",
         f"{metrics['cross_pitch_instrument_retrieval']:.3f}", "≥ 10× chance"),
        *([("… at heard / unheard pitches", f"{metrics.get('cross_pitch_instrument_retrieval_heard_pitch', float('nan')):.3f} / "
             f"{metrics.get('cross_pitch_instrument_retrieval_unheard_pitch', float('nan')):.3f}", "reported")]
          if "notes_unheard_pitch" in metrics else []),
        ("latent variance explained by pitch / by instrument (R²; pitch adjusted for its number of groups)",
         f"{metrics['pitch_explained_variance']:.3f} / {metrics['instrument_explained_variance']:.2f} "
         f"(pitch, adjusted: {metrics.get('pitch_explained_variance_adjusted', float('nan')):.3f})", "pitch ≤ 0.05 adjusted"),
        *([("… pitch (adjusted), among the notes at heard / unheard pitches",
            f"{metrics.get('pitch_explained_variance_heard_pitch', float('nan')):.3f} / "
            f"{metrics.get('pitch_explained_variance_unheard_pitch', float('nan')):.3f}", "≤ 0.05"),
           ("latent distance between two notes of one instrument: from an unheard to a heard pitch / between heard "
            "pitches (median)", f"{metrics['same_instrument_distance_unheard_pitch']:.2f} / "
            f"{metrics['same_instrument_distance_heard_pitch']:.2f} = {metrics['same_instrument_distance_ratio']:.2f}",
            "ratio ≤ 1.10")] if "notes_unheard_pitch" in metrics else []),
        (f"pitch error (median over {metrics['pitch_notes']} notes, pYIN)", f"{metrics['pitch_error_cents']:.1f} cents", "≤ 25"),
        ("active latent dimensions", f"{metrics['active_latent_dims']} of {metrics['latent_dim']}", "reported"),
        ("KL to the prior (mean per note)", f"{metrics['kl']:.1f} nats", "reported"),
    ]
    return rows


def _rebuild_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """The rebuild against the closest reference note, fitted latents, what a listener hears, level robustness."""
    rows: list[tuple[str, str, str]] = []
    if "retrieval_baseline_sc_db" in metrics:
        rows.append((f"gain-matched rebuild vs closest reference note at that pitch (SC, {metrics['baseline_notes']} notes)",
                     f"{metrics['reconstruction_gain_matched_sc_db']:.1f} vs {metrics['retrieval_baseline_sc_db']:.1f} dB",
                     "≥ 3 dB better"))
    if "fit_steps" in metrics:
        rows.append((f"… the same notes rebuilt from latents fitted to them ({metrics['fit_steps']} steps, `--fit`): SC vs "
                     "the closest reference note; LSD; their family vote before → after; how far the latents moved",
                     f"{metrics['fitted_gain_matched_sc_db']:.1f} vs {metrics['retrieval_baseline_sc_db']:.1f} dB; "
                     f"{metrics['fitted_gain_matched_lsd_db']:.1f} dB; {metrics['fitted_placement_before']:.2f} → "
                     f"{metrics['fitted_placement_after']:.2f}; {metrics['fitted_latent_shift']:.2f} of their length",
                     "≥ 3 dB better; LSD ≤ 10 dB"))
    if "visqol_own_pitch_model" in metrics:
        m = metrics
        rows.append((f"what a listener hears (ViSQOL MOS at 48 kHz against the full-rate note, its active part, median; "
                     f"{m['visqol_notes']} notes at their own pitch) | high band's level error: the model's rebuild / as "
                     "recorded (with the note's detail) / calibration: a perfect 16 kHz copy, low-passed at 8 kHz, 4 kHz",
                     f"{m['visqol_own_pitch_model']:.2f} / {m['visqol_own_pitch_recorded']:.2f} / {m['visqol_own_pitch_copy_16k']:.2f}, "
                     f"{m['visqol_own_pitch_lowpass_8k']:.2f}, {m['visqol_own_pitch_lowpass_4k']:.2f} | "
                     f"{m['visqol_own_pitch_model_high_band_db']:.1f} / {m['visqol_own_pitch_recorded_high_band_db']:.1f} / "
                     f"{m['visqol_own_pitch_copy_16k_high_band_db']:.1f} dB", "model ≥ 4.4; as recorded ≥ 4.65"))
        if m.get("visqol_bright_notes"):
            rows.append((f"… the {m['visqol_bright_notes']} bright or noisy notes among them (model / as recorded / 16 kHz copy "
                         "| high band's level error)",
                         f"{m['visqol_own_pitch_bright_model']:.2f} / {m['visqol_own_pitch_bright_recorded']:.2f} / "
                         f"{m['visqol_own_pitch_bright_copy_16k']:.2f} | {m['visqol_own_pitch_bright_model_high_band_db']:.1f} / "
                         f"{m['visqol_own_pitch_bright_recorded_high_band_db']:.1f} / "
                         f"{m['visqol_own_pitch_bright_copy_16k_high_band_db']:.1f} dB", "as recorded ≥ 4.5, ≤ 3 dB; model ≤ 6 dB"))
    if "visqol_other_pitch_model" in metrics:
        rows.append((f"… played at another pitch within an octave against the real note there ({metrics['visqol_pairs']} pairs): "
                     "model / as recorded: transposed, its timing kept (the default), resampled, detail moved, detail faded "
                     "/ the recording resampled (a sampler)",
                     f"{metrics['visqol_other_pitch_model']:.2f} / {metrics['visqol_other_pitch_recorded_transpose']:.2f}, "
                     f"{metrics['visqol_other_pitch_recorded_resample']:.2f}, "
                     f"{metrics['visqol_other_pitch_recorded_shift']:.2f}, {metrics['visqol_other_pitch_recorded_fade']:.2f} / "
                     f"{metrics['visqol_other_pitch_resampled']:.2f}",
                     "above resampling"))
    if "level_max_change" in metrics:
        rows.append((f"largest change of a metric between inputs at -1 and -30 dBFS ({metrics['level_notes']} notes)",
                     f"{100 * metrics['level_max_change']:.1f} %", "≤ 10 %"))
    return rows


def plot_losses(log: Path, png: Path) -> None:
    """Training and validation curves as a PNG a person can look at."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with log.open() as f:
        rows = list(csv.DictReader(f))
    titles = {"l1": "L1 on scaled dB", "sc": "spectral convergence (linear)", "audio": "multi-resolution STFT distance (audio)",
              "kl": "KL (nats)", "high": "high band: L1 on band levels (8-24 kHz)"}
    # a part is drawn where it was measured: a model that renders audio trains on "audio", is validated on the rest
    keys = [k for k in titles if any(float(r.get(k) or 0) or r.get("valid_" + k) for r in rows)]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.7 * len(keys), 4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        title = titles[key]
        for prefix, style in (("", "-"), ("valid_", "o-")):
            points = [(int(r["step"]), float(r[prefix + key])) for r in rows if r.get(prefix + key) and float(r[prefix + key])]
            if points:
                ax.plot(*zip(*points), style, label="valid" if prefix else "train", markersize=3)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def training_card(cfg, data_dir, out, store, train_rows, steps_done, seconds, device, world, compiled: bool = False) -> str:
    """The model card's training part; ``timbral evaluate --card`` adds the measured figures."""
    split_file = store.dataset / "split.json"
    split = json.loads(split_file.read_text()) if split_file.is_file() else None
    split_line = (f"by instrument, seed {split.get('seed')}: {len(split['train'])} train / {len(split['valid'])} valid / "
                  f"{len(split['test'])} test instruments") if split else "none (all notes trained on)"
    hardware = f"{device.type}{' (' + torch.cuda.get_device_name() + ')' if device.type == 'cuda' else ''}, " \
               f"{world} process(es), {torch.get_num_threads()} CPU threads, {platform.processor() or platform.machine()}" \
               f"{', torch.compile' if compiled else ''}"
    settings = "\n".join(f"| {k} | {v} |" for k, v in asdict(cfg).items())
    first = (f", on the encoder of a spectrogram model trained first, {cfg.encoder_steps} steps of {cfg.encoder_batch_size} "
             f"({cfg.encoder_steps * cfg.encoder_batch_size / len(train_rows):.1f} epochs; its run: `encoder/`), kept as it "
             "was" if cfg.encoder_steps else "")
    return f"""# Timbral model card

## Data
- dataset: `{Path(data_dir).name}` ({len(store.index)} notes; {len(train_rows)} in training)
- split: {split_line}
- representation: log-magnitude STFT at {store.settings.sr / 1000:g} kHz, n_fft {store.settings.n_fft}, hop {store.settings.hop_length},
  {store.settings.n_frames} frames; the core's {store.settings.core_bins} bins to {store.settings.core_hz / 1000:g} kHz and
  {store.settings.n_high_bands} band levels above; dB floor {store.settings.floor_db:g}, dataset bounds
  {store.bounds.lo:g}..{store.bounds.hi:g} dB

## Training
- steps: {steps_done} of {cfg.steps} (batch {cfg.batch_size}, {steps_done * cfg.batch_size / len(train_rows):.1f} epochs){first}
- time: {seconds / 60:.1f} min on {hardware}{' (both stages)' if cfg.encoder_steps else ''}
- command: `timbral train {data_dir} --out {out}` (settings below; see `log.csv` and `loss.png` of the run)

| setting | value |
|---|---|
{settings}
"""
