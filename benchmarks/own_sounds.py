"""Your own sounds: pitch detection and level invariance, against the previous release's rules, in one run.

Pitch detection on two sets: every 37th note of the default dataset (rendered FluidR3/TimGM6mb
notes, their true pitch known) and the twelve kinds of one-shot of ``tests/oneshots.py`` (piano,
bass hit, electric bell, cymbal, glass hum, guitar harmonics, voice, kick, snare, plucked string,
marimba, a long noisy take). Baseline: the previous release's rule, pYIN over the first 2 s that
refuses a sound unless 20 % of *all* its frames are voiced. Reported: share exactly right, right
up to an octave, refused (baseline) or unpitched (now), and milliseconds per note.

Level invariance: the relative latent change between -1 dBFS and
-30 dBFS copies of each one-shot written as 24-bit and as 16-bit WAV, with the input level
normalisation (now) and without it (baseline), for the shipped model or ``--model DIR``; and
between each chosen dataset note and a quiet 16-bit take of it (-30 dBFS peak, rounded to 16 bits).
Run:  .venv/bin/python benchmarks/own_sounds.py [--level-only | --pitch-only] [--model DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from timbral.settings import SAMPLE_RATE

if TYPE_CHECKING:
    from timbral import Timbral

ROOT = Path(__file__).resolve().parent.parent


def baseline_pitch(y: np.ndarray, sr: int = SAMPLE_RATE) -> int | None:
    """The previous release's detector: median pYIN of the first 2 s at 16 kHz, None unless 20 % of all frames are voiced."""
    import librosa
    import soxr

    y, sr = soxr.resample(y[: 2 * sr], sr, 16000), 16000

    f0, _, probability = librosa.pyin(y[: 2 * sr], fmin=librosa.note_to_hz("C1"), fmax=librosa.note_to_hz("C7"), sr=sr,
                                      frame_length=2048)
    voiced = (probability > 0.5) & np.isfinite(f0)
    if np.mean(voiced) < 0.2:
        return None
    return int(np.clip(np.round(librosa.hz_to_midi(np.nanmedian(f0[voiced]))), 0, 127))


def score(pairs: list[tuple[int | None, int | None]], seconds: float) -> dict:
    """pairs: (true pitch or None for unpitched, found pitch or None for refused/unpitched)."""
    pitched = [(t, f) for t, f in pairs if t is not None]
    unpitched = [f for t, f in pairs if t is None]
    return {
        "notes": len(pairs),
        "exact": round(float(np.mean([f == t for t, f in pitched])), 3),
        "octave_equivalent": round(float(np.mean([f is not None and (f - t) % 12 == 0 for t, f in pitched])), 3),
        "no_pitch_on_pitched": round(float(np.mean([f is None for t, f in pitched])), 3),
        "unpitched_kept_unpitched": round(float(np.mean([f is None for f in unpitched])), 3) if unpitched else None,
        "ms_per_note": round(1000 * seconds / len(pairs), 1),
    }


def detect_all(notes: list[tuple[np.ndarray, int | None]]) -> dict:
    from timbral.pitch import detect_pitch

    results = {}
    def now(y: np.ndarray) -> int | None:
        e = detect_pitch(y)
        return e.pitch if e.pitched else None

    for name, fn in (("baseline", baseline_pitch), ("now", now)):
        fn(notes[0][0])  # warm-up (numba)
        start = time.perf_counter()
        found = [fn(y) for y, _ in notes]
        results[name] = score([(t, f) for (_, t), f in zip(notes, found)], time.perf_counter() - start)
    return results


def encoder_means(t: Timbral, y: np.ndarray, pitches: list[int]) -> np.ndarray:
    """The encoder's latent means of notes ``(n, samples)`` heard as the spectrogram of their samples as
    they are (the model's own level normalisation, if any, is the only one)."""
    import torch

    spec = t.model.spectrogram_of(y)
    with torch.no_grad():
        return t.model.encoder(spec, torch.tensor(pitches))[0].numpy()


def change_summary(changes) -> dict:
    return {"median": round(float(np.median(changes)), 4), "max": round(float(np.max(changes)), 4)}


def level_invariance(kit: dict, t: Timbral) -> dict:
    import soundfile as sf

    def raw_latent(a):  # the previous release: the spectrogram at the recording's own level
        return encoder_means(t, a.note[None], [a.pitch.pitch])[0]

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for subtype in ("PCM_24", "PCM_16"):
            changes = {"now": [], "baseline": []}
            for kind, y in kit.items():
                y = y / np.max(np.abs(y))
                paths = []
                for db in (-1, -30):
                    paths.append(Path(tmp) / f"{kind}_{'loud' if db == -1 else 'quiet'}.wav")  # no number a name could read as the pitch
                    sf.write(paths[-1], y * 10 ** (db / 20), SAMPLE_RATE, subtype=subtype)
                a, b = (t.encode(p).latent for p in paths)
                changes["now"].append(np.linalg.norm(a - b) / np.linalg.norm(a))
                ra, rb = (raw_latent(t.analyse(p)) for p in paths)
                changes["baseline"].append(np.linalg.norm(ra - rb) / np.linalg.norm(ra))
            out[subtype] = {k: change_summary(v) for k, v in changes.items()}
    return out


def take_change(notes: list[tuple[np.ndarray, int | None]], t: Timbral) -> dict:
    """Relative latent change between each note and its quiet 16-bit take (-30 dBFS peak), median and max."""
    from timbral.audio import quantised
    from timbral.pitch import NOMINAL_PITCH

    y = np.stack([note for note, _ in notes])
    pitches = [NOMINAL_PITCH if p is None else p for _, p in notes]  # a drum is heard where it plays
    a, b = (encoder_means(t, v, pitches) for v in (y, quantised(y, np.full(len(y), -30.0))))
    return {**change_summary(np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1)), "notes": len(notes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "default")
    parser.add_argument("--every", type=int, default=37, help="take every Nth note of the dataset (default 37)")
    parser.add_argument("--level-only", action="store_true", help="only the level invariance (for a new model)")
    parser.add_argument("--pitch-only", action="store_true", help="only the pitch detection (for a new detector)")
    parser.add_argument("--model", type=Path, help="model folder for the level invariance (default: the shipped model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests"))
    from oneshots import KINDS

    from timbral import Timbral
    from timbral.audio import load_note, prepare_note
    from timbral.data.nsynth import audio_path, read_examples

    kit = {kind: make() for kind, (make, _) in KINDS.items()}
    examples = read_examples(args.data)
    chosen = sorted(examples.items())[:: args.every]
    dataset = [(load_note(audio_path(args.data, k), trim=False), m["pitch"] if m.get("pitched", True) else None)
               for k, m in chosen]  # a drum is unpitched: it should stay so
    one_shots = [(prepare_note(kit[kind], SAMPLE_RATE), expected) for kind, (_, expected) in KINDS.items()]
    if args.pitch_only:
        print(json.dumps({"rendered_notes": detect_all(dataset), "one_shots": detect_all(one_shots)}, indent=1))
        return
    t = Timbral.load(args.model)  # one model for both level figures
    takes = {"dataset_notes_vs_quiet_16_bit_takes": take_change(dataset, t)}
    if args.level_only:
        print(json.dumps({"latent_change_minus1_vs_minus30_dbfs": level_invariance(kit, t), **takes}, indent=1))
        return
    figures = {"rendered_notes": detect_all(dataset), "one_shots": detect_all(one_shots),
               "latent_change_minus1_vs_minus30_dbfs": level_invariance(kit, t), **takes}
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    for name in ("rendered_notes", "one_shots"):
        print(f"{name}:")
        for who, f in figures[name].items():
            print(f"  {who:9} exact {f['exact']:.3f}  octave-equivalent {f['octave_equivalent']:.3f}  "
                  f"no pitch on a pitched sound {f['no_pitch_on_pitched']:.3f}  "
                  + (f"unpitched sounds kept unpitched {f['unpitched_kept_unpitched']:.3f}  "
                     if f["unpitched_kept_unpitched"] is not None else "")
                  + f"{f['ms_per_note']:.0f} ms/note  ({f['notes']} notes)")
    print("relative latent change, -1 vs -30 dBFS copies (default model):")
    for subtype, f in figures["latent_change_minus1_vs_minus30_dbfs"].items():
        print(f"  {subtype}: now median {f['now']['median']:.4f} max {f['now']['max']:.4f};  "
              f"baseline median {f['baseline']['median']:.4f} max {f['baseline']['max']:.4f}")
    f = takes["dataset_notes_vs_quiet_16_bit_takes"]
    print(f"  dataset notes against their quiet 16-bit takes: median {f['median']:.4f} max {f['max']:.4f} ({f['notes']} notes)")


if __name__ == "__main__":
    main()
