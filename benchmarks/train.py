"""Training throughput of the default model settings, in examples per second.

Times optimiser steps (forward, backward, update, batch loading from the feature store) on
the default dataset's training split, after a few warm-up steps; on the CPU, and on a GPU
too when one is present (bf16 autocast, as ``timbral train`` uses). The baseline, measured in
the same run, is the same loop with the original project's set-up (no pitch conditioning, no
harmonic head or harmonics and noise, none of the generalisation recipe: plain batches, no level normalisation).

Run:  .venv/bin/python benchmarks/train.py [--data data/default] [--batch-size N] [--device cpu|cuda] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def throughput(store, rows, cfg, device, steps: int) -> float:
    from timbral.losses import training_losses
    from timbral.model import ModelConfig, TimbreVAE
    from timbral.train import Partners, step_batch

    model_cfg = ModelConfig(**cfg.model_settings(), spectral=store.settings.to_dict(), bounds=vars(store.bounds),
                            n_families=12 if cfg.family_weight else 0)
    partners = Partners(store, rows) if cfg.paired else None
    torch.set_flush_denormal(True)  # as timbral train does
    model = TimbreVAE(model_cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    warmup = 5
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        batch = step_batch(store, rows, partners, cfg, step, device)
        with amp:
            loss = training_losses(model, batch, cfg, store.bounds, cfg.beta)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * cfg.batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/default"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, help="notes per step, for both set-ups (default: the recipe's)")
    parser.add_argument("--device", choices=["cpu", "cuda"], action="append",
                        help="where to time it, repeatable (default: the CPU, and the GPU when there is one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if "cuda" in (args.device or []) and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no GPU on this machine")

    from timbral.data.features import feature_store
    from timbral.train import TrainConfig

    store = feature_store(args.data, progress=False)
    rows = np.array(store.positions("train"))
    recipe = TrainConfig()
    batch_size = args.batch_size or recipe.batch_size
    default = TrainConfig(batch_size=batch_size)
    original = TrainConfig(batch_size=batch_size, pitch_conditioning=False, harmonic_template=False, harmonic_noise=False,
                           family_weight=0.0, cross_pitch=0.0, contrastive_weight=0.0, noise_floor=0.0, level_normalise=False,
                           encoder_pitch=False)
    devices = [torch.device(d) for d in args.device or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])]
    results = {"threads": torch.get_num_threads(), "batch_size": default.batch_size}
    for device in devices:
        d = device.type
        results[f"{d}_default_examples_per_s"] = throughput(store, rows, default, device, args.steps)
        results[f"{d}_original_setup_examples_per_s"] = throughput(store, rows, original, device, args.steps)
        results[f"{d}_ratio_default_vs_original"] = results[f"{d}_default_examples_per_s"] / results[f"{d}_original_setup_examples_per_s"]
        # the recipe's examples (its steps at its batch size) at this throughput
        results[f"{d}_minutes_for_default_recipe"] = recipe.steps * recipe.batch_size / results[f"{d}_default_examples_per_s"] / 60
    if args.json:
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}))
        return
    print(f"batch {default.batch_size}, {results['threads']} CPU threads, {args.steps} timed steps")
    for device in devices:
        d = device.type
        print(f"{d}: default {results[f'{d}_default_examples_per_s']:.1f} examples/s, original set-up "
              f"{results[f'{d}_original_setup_examples_per_s']:.1f} examples/s (ratio {results[f'{d}_ratio_default_vs_original']:.2f}); "
              f"the recipe ({recipe.steps} steps of {recipe.batch_size}) in {results[f'{d}_minutes_for_default_recipe']:.1f} min")


if __name__ == "__main__":
    main()
