"""Generalisation ablation: each technique of the training recipe on and off, same data and budget,
measured on a source never trained on.

Trains one short run per arm with ``timbral.train`` on DATA (whose split must hold a source out,
``timbral data split DATA --hold-out-source NAME``) and evaluates it on that held-out test split
against the train split: family placement, cross-pitch instrument retrieval, pitch-explained
latent variance, gain-matched rebuild versus the closest reference note, pitch error, level
robustness. The baseline arm is the previous recipe (every technique off), trained in the same run;
three more try stronger weights for the contrastive loss, the family head and the KL term;
one adds random recolouring (new instruments of each family, ``--colour``), one the noise floors the
default models before 2026-12-03 were trained with (``--noise-floor 0.5``), one the level ramp
(``--level-ramp``: no step at the bottom of the encoder's window) and one the wider encoder window
of the models before 2026-12-03 (``--encoder-range-db 75``: a quiet 16-bit file's rounding falls in it).
Two more try a stronger spectral-convergence term and a latent of 64 numbers; three more what makes a
timbre look the same at every pitch: notes moved by up to 2 semitones in training (``--pitch-shift 2``),
an encoder that also hears the spectrum on a pitch-relative axis (``--encoder-relative``), and both;
three more what the decoder makes: a multi-resolution spectral loss (``--multires-weight 1``), the plain
output stage the recipe had before its harmonics and noise (``--no-harmonic-noise``), a wider model
(``--channels 384``) and a deeper decoder (``--decoder-blocks 4``). ``--visqol N`` adds what a listener hears (ViSQOL on N instruments, as
``timbral evaluate --visqol``).
Placement is also given for the notes at pitches the training heard and at those it never heard
(the split's held-out pitches), with the same-instrument latent distance from an unheard to a heard
pitch over that between heard pitches. With ``--fit STEPS`` the
baseline's notes are also rebuilt from latents fitted to them (as ``timbral evaluate --fit`` does).
A finished arm in RUNS is reused, and so are its figures (delete its folder to run it again); one
trained with other settings (an older default, another --steps) stops the script with a clear message.

Run:  .venv/bin/python benchmarks/ablation.py [--data data/default] [--steps 1200] [--fit 100] [--visqol 16] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

OFF = {"cross_pitch": 0.0, "contrastive_weight": 0.0, "noise_floor": 0.0, "encoder_pitch": False, "level_normalise": False,
       "harmonic_noise": False}
ARMS = {
    "recipe": {},
    "no cross-pitch rebuild": {"cross_pitch": 0.0},
    "no contrastive loss": {"contrastive_weight": 0.0},
    "no pitch to the encoder": {"encoder_pitch": False},
    "no level normalisation": {"level_normalise": False},
    "noise floors (half the notes)": {"noise_floor": 0.5},
    "previous recipe (all off)": OFF,
    "stronger contrastive loss (x5)": {"contrastive_weight": 0.5},
    "stronger family head (x10)": {"family_weight": 0.5},
    "stronger KL (beta x10)": {"beta": 3e-3},
    "random recolouring (half the instruments)": {"colour": 0.5},
    "level ramp (no step at the window's bottom)": {"level_ramp": True},
    "encoder window 75 dB (instead of 55)": {"encoder_range_db": 75.0},
    "stronger spectral convergence term (x3)": {"sc_weight": 3.0},
    "latent of 64 (instead of 32)": {"latent_dim": 64},
    "pitch shift (up to 2 semitones)": {"pitch_shift": 2.0},
    "pitch-relative encoder input": {"encoder_relative": True},
    "pitch shift and pitch-relative input": {"pitch_shift": 2.0, "encoder_relative": True},
    "multi-resolution spectral loss": {"multires_weight": 1.0},
    "plain output stage (no harmonics or noise)": {"harmonic_noise": False},
    "wider model (384 channels instead of 256)": {"channels": 384},
    "deeper decoder (4 residual blocks)": {"decoder_blocks": 4},
}
# settings whose default changed after they were added: runs trained before them had these
BEFORE_ADDED = {"harmonic_noise": False, "synthesis": "spectrogram", "encoder_steps": 0, "encoder_batch_size": 32}
COLUMNS = {
    "placement_family_accuracy": "placement",
    "placement_family_accuracy_heard_pitch": "heard pitch",
    "placement_family_accuracy_unheard_pitch": "unheard pitch",
    "same_instrument_distance_ratio": "distance unheard/heard",
    "cross_pitch_instrument_retrieval": "cross-pitch",
    "pitch_explained_variance_adjusted": "pitch var (adj.)",
    "instrument_explained_variance": "instr var",
    "reconstruction_gain_matched_sc_db": "rebuild SC dB",
    "reconstruction_vs_retrieval_sc_db": "vs retrieval dB",
    "reconstruction_gain_matched_lsd_db": "rebuild LSD dB",
    "pitch_error_cents": "pitch cents",
    "level_max_change": "level change",
    "fitted_vs_retrieval_sc_db": "fitted vs retrieval dB",
    "fitted_gain_matched_lsd_db": "fitted LSD dB",
    "visqol_own_pitch_model": "ViSQOL own pitch",
    "visqol_other_pitch_model": "ViSQOL other pitch",
}


def settings_differing(run: Path, settings: dict) -> list[str]:
    """How the run in ``run`` was trained otherwise than ``settings`` over today's defaults ask."""
    from dataclasses import asdict

    from timbral.train import TrainConfig

    trained = json.loads((run / "config.json").read_text())["train"]
    # a setting added after the run was trained is taken at the value that kept the behaviour it was added to
    defaults = asdict(TrainConfig()) | BEFORE_ADDED
    return [f"{k} {trained.get(k, defaults[k])} instead of {v}" for k, v in asdict(TrainConfig(**settings)).items()
            if trained.get(k, defaults[k]) != v]


def run_arm(name: str, overrides: dict, data: Path, runs: Path, steps: int, fit: int = 0, visqol: int = 0) -> dict:
    """Train the arm (in its own process, as a user would run it) and evaluate it (with latents fitted for
    ``fit`` steps too, and ViSQOL on ``visqol`` instruments); both are kept in its run folder and reused while
    today's defaults still give the settings it was trained with and its figures hold those asked for."""
    out = runs / name.split(" (")[0].replace(" ", "-")
    result = out / "ablation.json"
    # the arms are spectrogram models, the default recipe's encoder stage, where its latent techniques act
    settings = {"steps": steps, "synthesis": "spectrogram", "batch_size": 32, "kl_warmup": steps // 3,
                "valid_every": steps // 3, "checkpoint_every": steps, **overrides}
    if (out / "config.json").is_file() and (differing := settings_differing(out, settings)):
        raise SystemExit(f"{out} was trained with other settings than this arm asks for now ({', '.join(differing)}): "
                         "delete it, or give another --runs folder")
    if not (out / "model" / "config.json").is_file():
        flags = [f"--{k.replace('_', '-')}" if v is True else f"--no-{k.replace('_', '-')}" if v is False
                 else f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]
        subprocess.run([sys.executable, "-m", "timbral.cli", "train", str(data), "--out", str(out), *flags], check=True,
                       stdout=sys.stderr)  # its messages stay out of the --json output
        result.unlink(missing_ok=True)
    if result.is_file():
        stored = json.loads(result.read_text())
        if (stored.get("fit_steps", 0), stored.get("visqol_notes", 0)) != (fit, visqol):
            result.unlink()
    if not result.is_file():
        from timbral.evaluate import evaluate
        from timbral.model import load_model

        with (out / "log.csv").open() as f:
            minutes = float(list(csv.DictReader(f))[-1]["seconds"]) / 60
        metrics = evaluate(load_model(out / "model"), data, "test", rebuild_notes=192, pitch_notes=32,
                           baseline_notes=96, level_notes=320, fit_steps=fit, visqol=visqol)
        result.write_text(json.dumps({"arm": name, "settings": overrides, "train_minutes": round(minutes, 1), **metrics}))
    return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/default"))
    parser.add_argument("--runs", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--fit", type=int, default=0, metavar="STEPS",
                        help="also rebuild the baseline's notes from latents fitted for STEPS (0: not)")
    parser.add_argument("--visqol", type=int, default=0, metavar="N",
                        help="also score what a listener hears (ViSQOL) of N held-out instruments (0: not)")
    parser.add_argument("--arms", nargs="*", choices=list(ARMS), help="arms to run (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral.data.split import read_split

    held_out = (read_split(args.data) or {}).get("hold_out_source")
    if not held_out:
        parser.error(f"{args.data}: its split holds no source out; run 'timbral data split {args.data} --hold-out-source NAME'")
    results = [run_arm(name, ARMS[name], args.data, args.runs, args.steps, args.fit, args.visqol) for name in args.arms or ARMS]
    if args.json:
        print(json.dumps({"held_out_source": held_out, "steps": args.steps, "arms": results}))
        return
    print(f"held-out source: {held_out}; {args.steps} steps per arm; "
          f"chance: placement {results[0]['placement_chance']:.3f}, cross-pitch {results[0]['cross_pitch_chance']:.4f}")
    print("| arm | " + " | ".join(COLUMNS.values()) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    for r in results:
        print(f"| {r['arm']} | " + " | ".join(f"{r.get(k, float('nan')):.3f}" for k in COLUMNS) + " |")


if __name__ == "__main__":
    main()
