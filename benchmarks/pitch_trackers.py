"""Neural pitch trackers whose weights ship inside their PyPI packages, against Timbral's detector and pYIN, on the
sounds of ``benchmarks/pitch.py`` (same kinds, takes, truth and scoring): does one of them name real one-shots better?

- ``torchcrepe`` (CREPE, trained on synthesised and real monophonic stems), its ``tiny`` weights (``full`` on request);
- ``pesto-pitch`` (PESTO, self-supervised, trained on MIR-1K's singing), its ``mir-1k_g7`` weights.

Each hears the note at 16 kHz from its onset (2.5 s, 10 ms frames); a sound's pitch is the median of its sounding
frames (within 30 dB of the loudest) that the tracker is sure of (confidence ≥ ``--confidence``), none if fewer than
three. Neither package is a dependency of Timbral: both list ``torchaudio``, which has no build for Timbral's torch
and which they use only to read files (this benchmark hands them arrays). Install them beside the venv, then run:

    .venv/bin/pip install --no-deps --target .trackers torchcrepe pesto-pitch resampy omegaconf pyyaml \
        antlr4-python3-runtime==4.9.3
    .venv/bin/python benchmarks/pitch_trackers.py --site .trackers [--per-kind 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pitch import KINDS, SR, TAKES, pyin_alone, score, sounds, timbral_detector

from timbral.pitch import ACTIVE_DB, hz_to_midi

RATE = 16000
HOP_MS = 10.0


def heard(y: np.ndarray) -> np.ndarray:
    """The note from its onset, 2.5 s of it at 16 kHz."""
    import soxr

    from timbral.audio import note_onset

    return soxr.resample(y[note_onset(y, SR):][: int(2.5 * SR)], SR, RATE).astype(np.float32)


def sounding(y: np.ndarray, frames: int) -> np.ndarray:
    """Which of ``frames`` 10 ms frames (centred on their hop) lie within :data:`~timbral.pitch.ACTIVE_DB` of the loudest."""
    import librosa

    hop = int(RATE * HOP_MS / 1000)
    rms = librosa.feature.rms(y=y, frame_length=2 * hop, hop_length=hop, pad_mode="constant")[0]
    rms = np.pad(rms, (0, max(0, frames - len(rms))))[:frames]
    return rms >= rms.max() * 10 ** (-ACTIVE_DB / 20)


def median_pitch(hz: np.ndarray, sure: np.ndarray, active: np.ndarray) -> int | None:
    keep = sure & active & np.isfinite(hz) & (hz > 0)
    return int(np.round(hz_to_midi(np.median(hz[keep])))) if keep.sum() >= 3 else None


def crepe(model: str, confidence: float) -> Callable[[np.ndarray], int | None]:
    import torch
    import torchcrepe

    def detect(y: np.ndarray) -> int | None:
        x = heard(y)
        hz, periodicity = torchcrepe.predict(torch.from_numpy(x)[None], RATE, hop_length=int(RATE * HOP_MS / 1000),
                                             fmin=32.71, fmax=1975.0, model=model, return_periodicity=True, batch_size=512)
        hz, periodicity = hz[0].numpy(), periodicity[0].numpy()
        return median_pitch(hz, periodicity >= confidence, sounding(x, len(hz)))

    return detect


def pesto_tracker(confidence: float) -> Callable[[np.ndarray], int | None]:
    import pesto
    import torch

    def detect(y: np.ndarray) -> int | None:
        x = heard(y)
        _, hz, sure, _ = pesto.predict(torch.from_numpy(x), RATE, step_size=HOP_MS)
        hz, sure = hz.numpy().ravel(), sure.numpy().ravel()
        return median_pitch(hz, sure >= confidence, sounding(x, len(hz)))

    return detect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, required=True, help="folder the trackers were installed into (--target)")
    parser.add_argument("--per-kind", type=int, default=16, help="sounds of each kind (each heard in three takes)")
    parser.add_argument("--confidence", type=float, default=0.5, help="frames a tracker is this sure of count")
    parser.add_argument("--crepe-full", action="store_true", help="also CREPE's full weights (19 s a sound on 2 shared cores)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.site / "torchcrepe").is_dir() or not (args.site / "pesto").is_dir():
        parser.error(f"{args.site} holds no torchcrepe and pesto: install them there first (see --help)")
    sys.path.insert(0, str(args.site))
    sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))  # they import it to read files; unused here

    data = sounds(args.per_kind)
    detectors = {"timbral": timbral_detector, "pyin alone": pyin_alone, "crepe tiny": crepe("tiny", args.confidence),
                 "pesto": pesto_tracker(args.confidence)} | ({"crepe full": crepe("full", args.confidence)} if args.crepe_full else {})
    results: dict = {"sounds": len(data), "confidence": args.confidence, "detectors": {}}
    for name, detect in detectors.items():
        detect(data[0][3])  # warm-up
        start = time.perf_counter()
        table: dict = defaultdict(lambda: defaultdict(int))
        for kind, how, truth, y in data:
            outcome = score(detect(y), truth)
            for key in (kind, how, "all pitched") if kind != "drums" else (kind,):
                table[key][outcome] += 1
        results["detectors"][name] = {"ms_per_sound": round(1000 * (time.perf_counter() - start) / len(data), 1), **{
            key: {o: round(n / sum(c.values()), 3) for o, n in c.items()} | {"n": sum(c.values())} for key, c in table.items()}}
        print(f"{name}: {results['detectors'][name]['all pitched'].get('right', 0):.3f} right", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results))
        return
    keys = ("all pitched", *KINDS, "sung voice", *TAKES)
    print("| sounds | " + " | ".join(detectors) + " |\n|---|" + "---:|" * len(detectors))
    for key in keys:
        print(f"| {key} | " + " | ".join(f"{results['detectors'][d][key].get('right', 0):.3f}" for d in detectors) + " |")
    print("| drums kept unpitched | " + " | ".join(
        f"{results['detectors'][d]['drums'].get('kept unpitched', 0):.3f}" for d in detectors) + " |")
    print("| ms a sound | " + " | ".join(str(results["detectors"][d]["ms_per_sound"]) for d in detectors) + " |")


if __name__ == "__main__":
    main()
