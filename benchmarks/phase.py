"""Phase reconstruction quality and speed on held-out notes, against librosa's Griffin-Lim.

By default it renders the default SoundFonts' **test-split instruments** (never used for
training) at pitches 36-84 every 12 semitones, velocity 100; ``--data DIR --split test`` takes
an NSynth-layout dataset instead, ``--folder DIR`` any audio files. For each method it prints the
median and worst spectral convergence (dB, lower is better) and the median wall time per 4 s
note (one note at a time), with the ratio to ``librosa.griffinlim`` (32 iterations) timed in
the same run. Run:  .venv/bin/python benchmarks/phase.py [--json] [--n 64]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def held_out_notes(tmp: Path, pitches: str) -> list[Path]:
    from timbral.data.default import default_soundfonts
    from timbral.data.families import MELODIC_PROGRAMS
    from timbral.data.nsynth import read_examples
    from timbral.data.render import render_soundfonts
    from timbral.data.split import make_split

    fonts = default_soundfonts(["FluidR3_GM.sf2", "TimGM6mb.sf2"])  # the two it was first measured on
    # the split depends only on the instruments: a one-pitch render finds them
    render_soundfonts(fonts, tmp / "all", programs=MELODIC_PROGRAMS, pitches="60", velocities="100", progress=False)
    test = make_split(read_examples(tmp / "all"))["test"]
    programs = sorted({int(i.rsplit("_", 1)[1]) for i in test})
    render_soundfonts(fonts, tmp / "test", programs=programs, pitches=pitches, velocities="100", progress=False)
    examples = read_examples(tmp / "test")
    return [tmp / "test" / "audio" / f"{k}.wav" for k, m in sorted(examples.items()) if m["instrument_str"] in test]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an NSynth-layout dataset instead of rendering")
    parser.add_argument("--split", default="test", help="split of --data (default test)")
    parser.add_argument("--folder", type=Path, help="a folder of audio files instead of rendering")
    parser.add_argument("--pitches", default="36:84:12")
    parser.add_argument("--n", type=int, default=0, help="use at most N notes (0: all)")
    parser.add_argument("--n-iter", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import librosa
    import torch

    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.split import notes_in_split, read_split
    from timbral.phase import METHODS, reconstruct, spectral_convergence
    from timbral.spectral import SpectralSettings, stft

    s = SpectralSettings()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            examples = read_examples(args.data)
            files = [audio_path(args.data, k) for k in notes_in_split(examples, read_split(args.data), args.split)]
        elif args.folder:
            files = sorted(p for p in args.folder.rglob("*") if p.is_file())
        else:
            files = held_out_notes(Path(tmp), args.pitches)
        if args.n:
            files = files[:: max(1, len(files) // args.n)][: args.n]
        notes = [load_note(f, trim=False) for f in files]
    mags = [stft(y).abs().numpy() for y in notes]
    reconstruct(mags[0], n_iter=1)  # compile / load the integrator before timing

    rows = {}
    for method in ("librosa-gl32", *METHODS):
        scores, times = [], []
        for S in mags:
            start = time.perf_counter()
            if method == "librosa-gl32":
                y = librosa.griffinlim(S, n_iter=32, hop_length=s.hop_length, n_fft=s.n_fft, center=True,
                                       length=s.n_samples, random_state=0)
            else:
                y = reconstruct(S, method=method, n_iter=args.n_iter)
            times.append(time.perf_counter() - start)
            scores.append(float(spectral_convergence(y, S)))
        rows[method] = {"median_sc_db": float(np.median(scores)), "worst_sc_db": float(np.max(scores)),
                        "median_seconds": float(np.median(times))}
    base = rows["librosa-gl32"]["median_seconds"]
    for row in rows.values():
        row["time_ratio_vs_librosa_gl32"] = row["median_seconds"] / base

    meta = {"notes": len(mags), "n_iter": args.n_iter, "torch_threads": torch.get_num_threads()}
    if args.json:
        print(json.dumps({**meta, "methods": {k: {m: round(v, 4) for m, v in r.items()} for k, r in rows.items()}}))
        return
    print(f"{meta['notes']} held-out notes, n_fft {s.n_fft}, hop {s.hop_length}, {args.n_iter} iterations, "
          f"{meta['torch_threads']} torch threads")
    print(f"{'method':<14}{'median SC dB':>14}{'worst SC dB':>13}{'ms / note':>11}{'time ratio':>12}")
    for name, r in rows.items():
        print(f"{name:<14}{r['median_sc_db']:>14.1f}{r['worst_sc_db']:>13.1f}{r['median_seconds'] * 1000:>11.1f}"
              f"{r['time_ratio_vs_librosa_gl32']:>12.2f}")


if __name__ == "__main__":
    main()
