"""Training throughput of the default recipe's first stage (the spectrogram model its encoder is trained in), in
examples per second.

Times optimiser steps (forward, backward, update, batch loading from the feature store) on
the default dataset's training split, after a few warm-up steps; on the CPU, and on a GPU
too when one is present (bf16 autocast, as ``timbral train`` uses). The baseline, measured in
the same run, is the same loop with the original project's set-up (no pitch conditioning, no
harmonic head or harmonics and noise, none of the generalisation recipe: plain batches, no level normalisation).

``--profile`` splits a CPU step into its parts (loading the batch, the encoder, the decoder, the losses, the
backward pass, the update) and times the arms that could buy more steps in the recipe's hour: one thread or two,
batches of 64, the training notes read into memory instead of memory-mapped, ``torch.compile``, freed memory kept
by glibc, and the last three together (what ``timbral train`` does now) against the recipe as it was, in
interleaved rounds.

Run:  .venv/bin/python benchmarks/train.py [--data data/default] [--batch-size N] [--device cpu|cuda] [--profile [--rounds N]] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch


def new_model(store, cfg, device):
    from timbral.data.families import FAMILIES
    from timbral.model import ModelConfig, TimbreVAE

    model_cfg = ModelConfig(**cfg.model_settings(), spectral=store.settings.to_dict(), bounds=vars(store.bounds),
                            n_families=len(FAMILIES) if cfg.family_weight else 0)
    torch.set_flush_denormal(True)  # as timbral train does
    return TimbreVAE(model_cfg).to(device)


class Arm:
    """One set-up of training steps, kept between rounds (so a compiled arm compiles once): ``run(steps)``
    times that many more of its steps after the warm-up, in examples/s."""

    def __init__(self, store, rows, cfg, device, compiled: bool = False):
        from timbral.train import Partners, compile_model

        self.store, self.rows, self.cfg, self.device, self.step = store, rows, cfg, device, 0
        self.partners = Partners(store, rows) if cfg.paired else None
        self.model = new_model(store, cfg, device)
        self.net = compile_model(self.model) if compiled else self.model  # as timbral train compiles
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr)
        self._steps(5)  # warm-up (and compiling)

    def _steps(self, n: int) -> None:
        from timbral.losses import training_losses
        from timbral.train import step_batch

        amp = torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else torch.autocast("cpu", enabled=False)
        for _ in range(n):
            batch = step_batch(self.store, self.rows, self.partners, self.cfg, self.step, self.device)
            with amp:
                loss = training_losses(self.net, batch, self.cfg, self.store.bounds, self.cfg.beta)["loss"]
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1

    def run(self, steps: int) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        self._steps(steps)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return steps * self.cfg.batch_size / (time.perf_counter() - start)


def throughput(store, rows, cfg, device, steps: int, compiled: bool = False) -> float:
    return Arm(store, rows, cfg, device, compiled).run(steps)


def step_parts(store, rows, cfg, steps: int) -> dict[str, float]:
    """Milliseconds per CPU step in each of its parts (the forward's encoder and decoder timed on their own)."""
    from timbral.losses import training_losses
    from timbral.train import Partners, step_batch

    partners = Partners(store, rows) if cfg.paired else None
    model = new_model(store, cfg, torch.device("cpu"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    parts = {"batch": 0.0, "encoder": 0.0, "decoder": 0.0, "forward_and_losses": 0.0, "backward": 0.0, "update": 0.0}
    for step in range(5 + steps):
        clock = [time.perf_counter()]

        def tick(name):
            clock.append(time.perf_counter())
            if step >= 5:
                parts[name] += clock[-1] - clock[-2]

        batch = step_batch(store, rows, partners, cfg, step, "cpu")
        tick("batch")
        with torch.no_grad():
            mu, _ = model.encoder(batch["spec"], batch["pitch"])
            tick("encoder")
            model.decoder.heard(mu, batch["pitch"], batch["velocity"])
            tick("decoder")
        loss = training_losses(model, batch, cfg, store.bounds, cfg.beta)["loss"]
        tick("forward_and_losses")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        tick("backward")
        optimizer.step()
        tick("update")
    return {k: 1000 * v / steps for k, v in parts.items()}


def profile(store, rows, cfg, steps: int, rounds: int) -> dict:
    """The parts of a step, and the throughput arms (examples/s). The changes `timbral train` makes are timed in
    ``rounds`` interleaved rounds (medians), so that a machine whose speed drifts over minutes drifts under every
    arm alike: the recipe as it ran before (memory-mapped store, uncompiled, glibc handing freed memory back), the
    training notes held in memory, compiled, both; then, glibc keeping freed memory (it cannot be undone), the
    memory-mapped recipe again and all three changes together: the recipe now. One thread and batches of 64 are
    timed once, before the rounds."""
    import dataclasses

    from timbral.train import keep_freed_memory

    cpu = torch.device("cpu")
    threads = torch.get_num_threads()
    out = {f"step_ms_{k}": v for k, v in step_parts(store, rows, cfg, steps).items()}
    torch.set_num_threads(1)
    out["one_thread_examples_per_s"] = throughput(store, rows, cfg, cpu, steps)
    torch.set_num_threads(threads)
    out["batch_64_examples_per_s"] = throughput(store, rows, dataclasses.replace(cfg, batch_size=64), cpu, steps)
    held = store.holding(rows, progress=False)
    arms = {"before": Arm(store, rows, cfg, cpu), "held_in_memory": Arm(held, rows, cfg, cpu)}
    try:
        arms |= {"compiled": Arm(store, rows, cfg, cpu, True), "held_and_compiled": Arm(held, rows, cfg, cpu, True)}
    except Exception as e:  # a compiler torch.compile needs and this machine lacks
        out["compiled_error"] = f"{type(e).__name__}: {str(e)[:200]}"
    timed: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(rounds):
        for name, arm in arms.items():
            timed[name].append(arm.run(steps))
    keep_freed_memory()
    kept = {"freed_memory_kept": arms["before"], "recipe": arms.get("held_and_compiled", arms["held_in_memory"])}
    timed |= {name: [] for name in kept}
    for _ in range(rounds):
        for name, arm in kept.items():
            timed[name].append(arm.run(steps))
    out |= {f"{name}_examples_per_s": float(np.median(v)) for name, v in timed.items()}
    out |= {f"{name}_vs_before": float(np.median(v) / np.median(timed["before"])) for name, v in timed.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/default"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, help="notes per step, for both set-ups (default: the recipe's)")
    parser.add_argument("--device", choices=["cpu", "cuda"], action="append",
                        help="where to time it, repeatable (default: the CPU, and the GPU when there is one)")
    parser.add_argument("--profile", action="store_true", help="the parts of a CPU step and the CPU arms")
    parser.add_argument("--rounds", type=int, default=3, help="with --profile: interleaved rounds of the arms (default 3)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if "cuda" in (args.device or []) and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no GPU on this machine")

    from timbral.data.features import feature_store
    from timbral.train import TrainConfig

    store = feature_store(args.data, progress=False)
    rows = np.array(store.positions("train"))
    recipe = TrainConfig().encoder_stage()  # the spectrogram model the recipe trains first, its latent terms on
    batch_size = args.batch_size or recipe.batch_size
    default = replace(recipe, batch_size=batch_size)
    original = replace(recipe, batch_size=batch_size, pitch_conditioning=False, harmonic_template=False, harmonic_noise=False,
                           family_weight=0.0, cross_pitch=0.0, contrastive_weight=0.0, noise_floor=0.0, level_normalise=False,
                           encoder_pitch=False)
    if args.profile:
        figures = profile(store, rows, default, args.steps, args.rounds)
        print(json.dumps({k: round(v, 3 if k.endswith("_vs_before") else 1) if isinstance(v, float) else v for k, v in figures.items()},
                         indent=None if args.json else 1))
        return
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
              f"the recipe's first stage "
              f"({recipe.steps} steps of {recipe.batch_size}) in {results[f'{d}_minutes_for_default_recipe']:.1f} min")


if __name__ == "__main__":
    main()
