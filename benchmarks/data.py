"""Data pipeline speed: SoundFont and procedural rendering and spectrogram preprocessing, in notes per second.

Baselines measured in the same run: rendering against real time (a note lasts 4 s), and the
feature store's batched preprocessing against a plain per-note ``librosa.load`` + ``librosa.stft``
loop. With ``--dataset DIR`` (a built ``timbral data default``) it also reports that dataset's
notes, instruments, sources, disk size and build time.
Run:  .venv/bin/python benchmarks/data.py [--json] [--pitches 36:84:12] [--dataset data/default]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pitches", default="36:84:12", help="pitch grid rendered for every melodic program")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--dataset", type=Path, help="a built dataset to describe (timbral data info)")
    args = parser.parse_args()

    import librosa

    from timbral.data.default import default_soundfonts
    from timbral.data.features import feature_store
    from timbral.data.info import dataset_info
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.render import render_soundfonts
    from timbral.data.synth import render_synth
    from timbral.spectral import SpectralSettings

    results: dict[str, float] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"render{workers}"
            t = time.perf_counter()
            report = render_soundfonts(default_soundfonts(["FluidR3_GM.sf2", "TimGM6mb.sf2"]), out, pitches=args.pitches,
                                       velocities="100", workers=workers, progress=False)
            seconds = time.perf_counter() - t
            results[f"render_notes_per_s_{workers}_workers"] = len(report.written) / seconds
        for workers in (1, 2):
            t = time.perf_counter()
            synth = render_synth(Path(tmp) / f"synth{workers}", 228, pitches_per_instrument=8, velocities="50,100",
                                 workers=workers, progress=False)
            results[f"synth_notes_per_s_{workers}_workers"] = len(synth.written) / (time.perf_counter() - t)
        n = len(report.written)
        results["notes"] = n
        results["render_x_realtime_2_workers"] = results["render_notes_per_s_2_workers"] * 4.0

        t = time.perf_counter()
        store = feature_store(out, cache_dir=Path(tmp) / "cache", progress=False)
        results["features_cold_notes_per_s"] = n / (time.perf_counter() - t)
        t = time.perf_counter()
        store = feature_store(out, cache_dir=Path(tmp) / "cache", progress=False)
        np.asarray(store.specs[-1], dtype=np.float32)  # touch the data
        results["features_cached_notes_per_s"] = n / (time.perf_counter() - t)

        s = SpectralSettings()
        t = time.perf_counter()
        for key in sorted(read_examples(out)):
            y, _ = librosa.load(audio_path(out, key), sr=s.sr)
            librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=s.n_fft, hop_length=s.hop_length)))
        results["baseline_librosa_notes_per_s"] = n / (time.perf_counter() - t)
    results["features_cold_vs_librosa"] = results["features_cold_notes_per_s"] / results["baseline_librosa_notes_per_s"]
    results["features_cached_vs_cold"] = results["features_cached_notes_per_s"] / results["features_cold_notes_per_s"]

    dataset = dataset_info(args.dataset) if args.dataset else None
    if args.json:
        print(json.dumps({**{k: round(v, 2) for k, v in results.items()}, "dataset": dataset}))
        return
    print(f"{int(results['notes'])} notes (2 SoundFonts x 115 programs x pitches {args.pitches}), {results['cores']} cores")
    print(f"{'step':<38}{'notes/s':>10}{'ratio':>10}")
    print(f"{'render, 1 worker':<38}{results['render_notes_per_s_1_workers']:>10.0f}")
    print(f"{'render, 2 workers':<38}{results['render_notes_per_s_2_workers']:>10.0f}"
          f"{results['render_x_realtime_2_workers']:>9.0f}x real time")
    for workers in (1, 2):
        print(f"{f'procedural instruments, {workers} worker(s)':<38}{results[f'synth_notes_per_s_{workers}_workers']:>10.0f}")
    print(f"{'baseline: librosa load + stft loop':<38}{results['baseline_librosa_notes_per_s']:>10.0f}{1:>10.2f}")
    print(f"{'features, cold (feature store)':<38}{results['features_cold_notes_per_s']:>10.0f}"
          f"{results['features_cold_vs_librosa']:>10.2f}")
    cached = results["features_cached_notes_per_s"]
    print(f"{'features, cached':<38}{cached:>10.0f}{cached / results['baseline_librosa_notes_per_s']:>10.0f}")

    if dataset:
        print(f"{args.dataset}: {dataset['n_notes']} notes, {dataset['n_instruments']} instruments, {dataset['n_sources']} sources, "
              f"audio {dataset['audio_bytes'] / 1e9:.2f} GB, features {dataset['features_bytes'] / 1e9:.2f} GB, "
              f"built in {dataset['build_seconds']} s")


if __name__ == "__main__":
    main()
