"""The studio's first start on a fresh machine: how long it takes and what it writes to disk.

Builds what ``timbral studio`` builds on its first start, in a temporary ``TIMBRAL_HOME``: the default
dataset (rendered, stored as FLAC) and the library (every note heard by the shipped model, straight from
its audio, and laid out on the map) and warms up, timing each step, then measures the disk it uses and
how long the first two uploads take to be heard (pitch found, encoded, fitted for 100 steps, placed).
The baseline is the same dataset stored as it was before 2026-12-05, computed from the same notes:
16-bit WAV and the training feature store the library used to build (float16 spectrograms).
Run:  .venv/bin/python benchmarks/first_start.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    import numpy as np

    from timbral.data.default import build_default_dataset
    from timbral.data.info import folder_bytes
    from timbral.data.nsynth import read_examples
    from timbral.latent import Timbral
    from timbral.library import CACHE_DIR
    from timbral.model import FIT_STEPS, load_model
    from timbral.spectral import SpectralSettings
    from timbral.studio.prepare import warm_up
    from timbral.studio.timbre import timbre_of

    with tempfile.TemporaryDirectory() as home:
        data = Path(home) / "data" / "default"
        start = time.perf_counter()
        build_default_dataset(data, progress=not args.json)
        render = time.perf_counter() - start
        t = Timbral(load_model(), library=data)
        start = time.perf_counter()
        t.library
        library = time.perf_counter() - start
        start = time.perf_counter()
        warm_up(t)
        warming = time.perf_counter() - start
        uploads = []
        for hz in (196.0, 311.1):  # two uploads: a G3 and a D#4, heard as the studio hears them
            seconds = np.arange(4 * 16000) / 16000
            note = (np.sin(2 * np.pi * hz * seconds) * np.exp(-seconds)).astype(np.float32)
            start = time.perf_counter()
            timbre_of(t, t.analyse(note), FIT_STEPS)
            uploads.append(round(time.perf_counter() - start, 2))
        notes = len(read_examples(data))
        s = SpectralSettings()
        figures = {
            "cores": os.cpu_count(), "notes": notes, "render_seconds": round(render, 1), "library_seconds": round(library, 1),
            "warm_up_seconds": round(warming, 1), "first_start_seconds": round(render + library + warming, 1),
            "first_upload_seconds": uploads[0], "second_upload_seconds": uploads[1],
            "disk_bytes": folder_bytes(data), "audio_bytes": folder_bytes(data / "audio"),
            "library_cache_bytes": folder_bytes(data / CACHE_DIR),
            "baseline_wav_audio_bytes": notes * (44 + 2 * s.n_samples),  # 16-bit mono WAV, 4 s
            "baseline_feature_store_bytes": notes * s.n_bins * s.n_frames * 2,  # float16 dB spectrograms
        }
    figures["baseline_disk_bytes"] = figures["baseline_wav_audio_bytes"] + figures["baseline_feature_store_bytes"]
    figures["disk_vs_baseline"] = round(figures["disk_bytes"] / figures["baseline_disk_bytes"], 3)
    if args.json:
        print(json.dumps(figures))
        return
    gb = lambda b: f"{b / 1e9:.2f} GB"  # noqa: E731
    print(f"first start on {figures['cores']} cores, {notes} notes: render {render:.0f} s, library {library:.0f} s, "
          f"warm-up {warming:.0f} s, in all {figures['first_start_seconds'] / 60:.1f} min; then the first upload is heard in "
          f"{uploads[0]:.1f} s, the second in {uploads[1]:.1f} s")
    print(f"disk: {gb(figures['disk_bytes'])} (audio {gb(figures['audio_bytes'])}, library cache "
          f"{figures['library_cache_bytes'] / 1e6:.1f} MB); before: {gb(figures['baseline_disk_bytes'])} "
          f"(WAV {gb(figures['baseline_wav_audio_bytes'])} + feature store {gb(figures['baseline_feature_store_bytes'])}), "
          f"{figures['disk_vs_baseline']:.2f}x")


if __name__ == "__main__":
    main()
