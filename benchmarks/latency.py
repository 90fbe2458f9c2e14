"""Latency of the timbre operations with the default model on this CPU.

Measures, each as the median of several runs with fresh latents (the decode cache never hits):
one 4 s note decoded and phase-rebuilt at 48 kHz (target ≤ 60 ms), split into decoder and phase time;
an 11-step interpolation end to end between two library sounds (target ≤ 0.5 s), and between
two audio files (encoding included); encoding a file plainly and with its latent fitted to it
(``fit=100``, as the studio takes an upload); notes/s for a batch of 64; and a cached repeat. The
baseline, timed in the same run, is the same note rebuilt with ``librosa.griffinlim``
(32 iterations) from the decoded magnitude. Run:  .venv/bin/python benchmarks/latency.py [--model DIR] [--library DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def median_seconds(fn, repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--library", type=Path, default=Path("data/default"), help="the library's dataset (default data/default)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import librosa
    import torch

    from timbral import Timbral
    from timbral.audio import SAMPLE_RATE, write_audio
    from timbral.model import FIT_STEPS

    t = Timbral.load(args.model, library=args.library)
    s = t.settings
    rng = np.random.default_rng(0)
    fresh = lambda n=1: rng.standard_normal((n, t.latent_dim)).astype(np.float32)  # noqa: E731
    t.decode_batch(fresh(2), [60, 60])  # warm-up: compiled PGHI, torch kernels

    def decoder_only(_):
        with torch.no_grad():
            return t.model.decode(torch.from_numpy(fresh()), torch.tensor([60]), torch.tensor([100]))

    with torch.no_grad():
        magnitude = t.model.magnitude_of(decoder_only(0))[0]
    figures = {
        "torch_threads": torch.get_num_threads(),
        "fgla_iterations": t.n_iter,
        "one_note_ms": 1000 * median_seconds(lambda _: t.decode_batch(fresh(), [60]), args.repeats),
        "one_note_decoder_ms": 1000 * median_seconds(decoder_only, args.repeats),
        "one_note_librosa_gl32_ms": 1000 * median_seconds(
            lambda _: librosa.griffinlim(magnitude, n_iter=32, hop_length=s.hop_length, n_fft=s.n_fft), max(3, args.repeats // 3)),
    }
    figures["one_note_phase_ms"] = figures["one_note_ms"] - figures["one_note_decoder_ms"]
    figures["one_note_speedup_vs_librosa_gl32"] = figures["one_note_librosa_gl32_ms"] / figures["one_note_ms"]

    lib = t.library
    pairs = [(lib.sounds[i].name, lib.sounds[-1 - i].name) for i in range(args.repeats)]
    figures["interpolate_11_library_s"] = median_seconds(lambda i: t.interpolate(*pairs[i], steps=11), args.repeats)
    figures["interpolate_11_library_model_s"] = median_seconds(
        lambda i: t.interpolate(*pairs[-1 - i], steps=11, recorded=False), args.repeats)
    figures["library_note_recorded_ms"] = 1000 * median_seconds(
        lambda i: t.decode(lib.sounds[2 * i + 1].name, lib.sounds[2 * i + 1].pitch + 5), args.repeats)  # decoded, transposed
    figures["library_note_next_key_ms"] = 1000 * median_seconds(  # the same sound at another key, transposed there
        lambda i: t.decode(lib.sounds[2 * i + 1].name, lib.sounds[2 * i + 1].pitch + 7), args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        files = [write_audio(Path(tmp) / f"{i}.wav", 0.5 * np.sin(2 * np.pi * (110 + 7 * i) * np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE)
                             * np.exp(-np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE)) for i in range(2 * args.repeats)]
        figures["interpolate_11_files_s"] = median_seconds(
            lambda i: t.interpolate(t.encode(files[2 * i], 48), t.encode(files[2 * i + 1], 48), steps=11), args.repeats)
        fits = max(3, args.repeats // 6)
        figures["encode_file_ms"] = 1000 * median_seconds(lambda i: t.encode(files[i], 48), args.repeats)
        figures["encode_file_fit100_s"] = median_seconds(lambda i: t.encode(files[i], 48, fit=FIT_STEPS), fits)
    repeat = fresh()
    t.decode_batch(repeat, [60])
    figures["cached_note_ms"] = 1000 * median_seconds(lambda _: t.decode_batch(repeat, [60]), args.repeats)
    batch = max(3, args.repeats // 4)
    figures["batch64_notes_per_s"] = 64 / median_seconds(lambda _: t.decode_batch(fresh(64), [60] * 64), batch)
    figures["batch64_realtime_factor"] = figures["batch64_notes_per_s"] * s.duration

    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
        return
    print(f"default model, {figures['torch_threads']} torch threads, PGHI + {t.n_iter} fast Griffin-Lim iterations")
    print(f"one 4 s note          {figures['one_note_ms']:7.1f} ms  (decoder {figures['one_note_decoder_ms']:.1f} ms, "
          f"phase {figures['one_note_phase_ms']:.1f} ms; target <= 60 ms at 48 kHz)")
    print(f"  librosa GL32 alone  {figures['one_note_librosa_gl32_ms']:7.1f} ms  "
          f"(ours is {figures['one_note_speedup_vs_librosa_gl32']:.1f}x faster, decoder included)")
    print(f"11-step interpolation {figures['interpolate_11_library_s']:7.3f} s   between library sounds as recorded, their "
          f"details read from the audio (target <= 0.5 s); {figures['interpolate_11_library_model_s']:.3f} s from the model alone")
    print(f"a library note        {figures['library_note_recorded_ms']:7.1f} ms  as recorded, 5 semitones up (audio read, detail "
          f"made, decoded at its own pitch, transposed); {figures['library_note_next_key_ms']:.1f} ms at another key after")
    print(f"                      {figures['interpolate_11_files_s']:7.3f} s   between two audio files, encoding included")
    print(f"encoding a file       {figures['encode_file_ms']:7.1f} ms  plain; {figures['encode_file_fit100_s']:.2f} s with "
          f"the latent fitted to it ({FIT_STEPS} steps)")
    print(f"cached note           {figures['cached_note_ms']:7.3f} ms")
    print(f"batch of 64           {figures['batch64_notes_per_s']:7.1f} notes/s ({figures['batch64_realtime_factor']:.0f}x real time)")


if __name__ == "__main__":
    main()
