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
    train(args.data, args.out, TrainConfig.from_dict(settings), resume=args.resume)
    print(f"model written to {args.out / 'model'} (log: {args.out / 'log.csv'}, curves: {args.out / 'loss.png'})")


def cmd_evaluate(args) -> None:
    from ..evaluate import evaluate, update_card
    from ..model import load_model

    model = load_model(args.model)
    metrics = evaluate(model, args.data, args.split, library=args.library, phase=args.phase, rebuild_notes=args.rebuild_notes,
                       pitch_notes=args.pitch_notes, baseline_notes=args.baseline_notes, level_notes=args.level_notes,
                       fit_steps=args.fit)
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
    from dataclasses import fields

    from ..train import TrainConfig

    helps = {
        "steps": "optimiser steps", "batch_size": "notes per step (global, split among torchrun processes)",
        "beta": "KL weight", "kl_warmup": "steps over which the KL weight rises from 0",
        "free_bits": "nats per latent dimension the KL does not penalise", "sc_weight": "spectral convergence loss weight",
        "family_weight": "weight of the auxiliary family classifier on the latent mean (0: off)",
        "max_minutes": "stop after this many minutes with a checkpoint and a model (0: no limit)",
        "pitch_conditioning": "condition the decoder on pitch and velocity", "harmonic_template": "use the harmonic comb head",
        "cross_pitch": "share of notes rebuilt from the latent of another note (other pitch) of their instrument, "
                       "so the latent holds the instrument, not the pitch (0: off)",
        "contrastive_weight": "weight of a contrastive loss pulling the latents of one instrument's notes together (0: off)",
        "noise_floor": "share of notes the encoder hears over a random noise floor 60-85 dB below them, as in a quiet "
                       "16-bit take or a noisy room (0: off)",
        "colour": "share of instruments recoloured by a random smooth EQ (tilt and broad resonances) into new "
                  "instruments of their family, so the space learns families rather than the SoundFonts' colours (0: off)",
        "level_normalise": "the encoder hears every note at one level, so recording level cannot move a sound",
        "level_ramp": "with level normalisation, the encoder hears each frequency as its height above the bottom of "
                      "its window, with no step there (an experiment: in the ablation it did not keep a quiet "
                      "16-bit take any closer to a loud one)",
        "encoder_range_db": "with level normalisation, how many dB below the note's level the encoder hears: less "
                            "keeps the noise and rounding of a quiet 16-bit file out of the timbre, more keeps softer detail",
        "encoder_pitch": "tell the encoder the note's pitch, so it can take out what pitch alone explains",
    }
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None,
                           help=f"{helps.get(f.name, f.name)} (default {'on' if f.default else 'off'})")
        else:
            kind = int if f.type in (int, "int") else float
            p.add_argument(flag, dest=f.name, type=kind, metavar="N", help=f"{helps.get(f.name, f.name.replace('_', ' '))} (default {f.default})")


def add_parsers(sub) -> None:
    p = verb(sub, "train", "Train a timbre model on an NSynth-layout dataset (CPU, GPU, or torchrun for many).",
              "timbral train data/default --out runs/mine   # then: timbral evaluate runs/mine/model data/default\n"
              "  torchrun --nproc_per_node 4 -m timbral.cli train data/default --out runs/big --batch-size 128",
              cmd_train)
    p.add_argument("data", type=Path, help="dataset folder (its split.json is used when present)")
    p.add_argument("--out", required=True, type=Path, help="run folder: checkpoint.pt, log.csv, loss.png, model/")
    p.add_argument("--config", type=Path, help="JSON file of settings (flags override it)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
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
    p.add_argument("--phase", default="pghi+fgla", choices=("pghi+fgla", "pghi", "griffinlim", "zero"),
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
    p.add_argument("--card", action="store_true", help="write the figures into MODEL/card.md")
    p.add_argument("--json", action="store_true", help="print one JSON object")

