"""Verbs that make and measure models: train, evaluate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import verb


def cmd_train(args) -> None:
    from dataclasses import asdict

    from ..train import TrainConfig, saved_config, train

    settings = json.loads(args.config.read_text()) if args.config else {}
    if args.resume:
        settings = {**asdict(saved_config(args.out)), **settings}
    if not isinstance(settings, dict):
        raise ValueError(f"{args.config}: expected a JSON object of training settings")
    for name in asdict(TrainConfig()):
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    train(args.data, args.out, TrainConfig.from_dict(settings), resume=args.resume, compile=args.compile)
    print(f"model written to {args.out / 'model'} (log: {args.out / 'log.csv'}, curves: {args.out / 'loss.png'})")


def cmd_evaluate(args) -> None:
    from ..card import update_card
    from ..evaluate import evaluate
    from ..model import load_model

    model = load_model(args.model)
    metrics = evaluate(model, args.data, args.split, library=args.library, phase=args.phase, rebuild_notes=args.rebuild_notes,
                       pitch_notes=args.pitch_notes, baseline_notes=args.baseline_notes, level_notes=args.level_notes,
                       fit_steps=args.fit, visqol=args.visqol)
    if args.card:
        update_card(args.model, metrics)
    if args.json:
        print(json.dumps(metrics))
        return
    for key, value in metrics.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.3f}" for k, v in value.items())
        print(f"{key:<26} {value:.3f}" if isinstance(value, float) else f"{key:<26} {value}")


def _train_flags(p: argparse.ArgumentParser) -> None:
    """One flag per training setting, its help and default read from :class:`~timbral.train.TrainConfig`."""
    from dataclasses import fields

    from ..train import TrainConfig

    for f in fields(TrainConfig):
        flag, help = "--" + f.name.replace("_", "-"), f.metadata["help"]
        if f.type in (bool, "bool"):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None,
                           help=f"{help} (default {'on' if f.default else 'off'})")
        elif f.metadata["kind"] == "model_folder":
            p.add_argument(flag, dest=f.name, metavar="MODEL", help=help)
        elif f.metadata["choices"]:
            p.add_argument(flag, dest=f.name, choices=f.metadata["choices"], help=f"{help} (default {f.default})")
        else:
            kind = int if f.type in (int, "int") else float
            p.add_argument(flag, dest=f.name, type=kind, metavar="N", help=f"{help} (default {f.default:g})")


def add_parsers(sub) -> None:
    from ..phase import DEFAULT_METHOD, METHODS

    p = verb(sub, "train", "Train a timbre model on an NSynth-layout dataset (CPU, GPU, or torchrun for many).",
              "timbral train data/default --out runs/mine   # then: timbral evaluate runs/mine/model data/default\n"
              "  torchrun --nproc_per_node 4 -m timbral.cli train data/default --out runs/big --batch-size 128",
              cmd_train)
    p.add_argument("data", type=Path, help="dataset folder (its split.json is used when present)")
    p.add_argument("--out", required=True, type=Path, help="run folder: checkpoint.pt, log.csv, loss.png, model/")
    p.add_argument("--config", type=Path, help="JSON file of settings (flags override it)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    from ..train import COMPILE_FROM_STEPS

    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                   help=f"on the CPU, a run of {COMPILE_FROM_STEPS:,} steps or more runs the model through torch.compile: the same model, "
                        "each step about 13 %% faster, after half a minute of compiling (needs a C++ compiler, Debian's g++; "
                        "without one the run goes on uncompiled) (default on)")
    _train_flags(p)

    p = verb(sub, "evaluate", "Measure a model: reconstruction (audio domain), pitch accuracy, latent use, and how its "
             "timbre space generalises: family placement, cross-pitch instrument retrieval, pitch- and instrument-"
             "explained latent variance, rebuild versus the closest reference note.",
              "timbral evaluate models/default data/default --split test --json\n"
              "  timbral evaluate models/default data/unseen --library data/default   # a source never trained on", cmd_evaluate)
    p.add_argument("model", type=Path, help="model folder (config.json + weights.safetensors)")
    p.add_argument("data", type=Path, help="any NSynth-layout dataset, with or without split.json")
    p.add_argument("--split", default="test", choices=("train", "valid", "test"),
                   help="notes to evaluate when the dataset has a split (default test)")
    p.add_argument("--phase", default=DEFAULT_METHOD, choices=METHODS,
                   help="phase reconstruction of the decoded notes (default pghi+fgla)")
    p.add_argument("--library", type=Path, metavar="DIR",
                   help="reference library for placement and the retrieval baseline (its train split if it has one; "
                        "default: the dataset's own train split)")
    p.add_argument("--rebuild-notes", type=int, metavar="N",
                   help="decode and rebuild only N notes spread over the set (default: all; latent figures use every note)")
    p.add_argument("--pitch-notes", type=int, default=200, help="notes checked with pYIN for pitch error (default 200)")
    p.add_argument("--baseline-notes", type=int, default=200,
                   help="notes compared with the closest reference note at their pitch (default 200; 0: skip)")
    p.add_argument("--level-notes", type=int, default=400,
                   help="notes (of whole instruments) measured again at -1 and -30 dBFS for level robustness (default 400; 0: skip)")
    p.add_argument("--fit", type=int, default=0, metavar="STEPS",
                   help="also rebuild the baseline's notes from latents fitted to them for STEPS steps, as "
                        "`timbral reconstruct --fit` does (100 is the default there; 0: skip, the default)")
    p.add_argument("--visqol", type=int, default=0, metavar="N",
                   help="also score what a listener hears (ViSQOL MOS) for N instruments spread over the set: a note "
                        "at its own pitch and at another pitch, from the model and as recorded, beside calibration "
                        "rows (about 10 s an instrument; 0: skip, the default)")
    p.add_argument("--card", action="store_true", help="write the figures into MODEL/card.md")
    p.add_argument("--json", action="store_true", help="print one JSON object")

