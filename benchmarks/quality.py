"""What a listener hears: ViSQOL (audio mode) MOS of what Timbral plays, on instruments of a source the
model never trained on (the dataset's test split), with calibration rows measured in the same run.

(a) A sound at its own pitch: the model's rebuild (encoder latent; also fitted for 100 steps) and "as
    recorded" (with its detail), against 4 kHz / 2 kHz low-passed copies of the recording.
(b) At another pitch within an octave, against the same instrument's real note there: the model, as
    recorded with the detail moved with the harmonics or faded, and the recording resampled (a sampler).
(c) The two ends of a blend between two instruments at one pitch, against the recordings, as recorded
    and from the model; and how evenly the 11 steps of such paths are spaced (largest spectral step over
    the mean step; target <= 2).
(d) Artefacts of "as recorded": pre-echo (level in the 45 ms before the recording's onset, dB above the
    recording's own there) and clicks (the largest sample-to-sample jump over its median, against the
    recording's own), medians.
Run:  .venv/bin/python benchmarks/quality.py [--model DIR] [--data data/default] [--instruments 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def blend_figures(t, load, pairs: list[tuple[dict, dict]]) -> dict:
    """(c): ends of 5-step paths against the recordings, and the spacing of 11-step paths."""
    from timbral.listening import encoded, mos
    from timbral.spectral import log_magnitude

    ends: dict[str, list[float]] = {"recorded": [], "model": []}
    spacing: dict[str, list[float]] = {"recorded": [], "model": []}
    for a, b in pairs:
        notes = [load(m["note_str"]) for m in (a, b)]
        ea, eb = (encoded(t, y, int(m["pitch"]), int(m["velocity"])) for y, m in zip(notes, (a, b)))
        for how, recorded in (("recorded", True), ("model", False)):
            path = t.interpolate(ea, eb, steps=5, recorded=recorded)
            ends[how] += [mos(notes[0], path[0]), mos(notes[1], path[-1])]
            db = log_magnitude(t.interpolate(ea, eb, steps=11, recorded=recorded))
            steps = np.abs(np.diff(db, axis=0)).mean(axis=(1, 2))
            spacing[how].append(float(steps.max() / steps.mean()))
    return {**{f"blend_ends_{k}": float(np.median(v)) for k, v in ends.items()},
            **{f"blend_largest_step_over_mean_{k}": float(np.median(v)) for k, v in spacing.items()}}


def artefacts(t, load, notes: list[dict]) -> dict:
    """(d): pre-echo and clicks of each note played as recorded at its own pitch, against the recording."""
    from timbral.listening import encoded

    def onset(y):
        return int(np.argmax(np.abs(y) > 0.1 * np.abs(y).max()))

    def pre_echo_db(y, at):
        before = y[max(0, at - 720) : max(0, at - 80)]  # 45 ms to 5 ms before the onset
        return 10 * np.log10(np.mean(before**2) / np.max(y**2) + 1e-12) if len(before) else np.nan

    def click(y):
        jumps = np.abs(np.diff(y))
        return float(jumps.max() / max(np.median(jumps[jumps > 0]), 1e-9))

    echo, clicks = [], []
    for m in notes:
        y = load(m["note_str"])
        e = encoded(t, y, int(m["pitch"]), int(m["velocity"]))
        out = t.decode(e, int(m["pitch"]), int(m["velocity"]))
        at = onset(y)
        echo.append(pre_echo_db(out, at) - pre_echo_db(y, at))
        clicks.append(click(out) / click(y))
    return {"pre_echo_db_above_recording": float(np.nanmedian(echo)), "click_ratio_to_recording": float(np.median(clicks))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=Path("data/default"), help="dataset whose test split is measured")
    parser.add_argument("--instruments", type=int, default=16, help="instruments of the test split (spread over it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.split import notes_in_split, read_split
    from timbral.latent import Timbral
    from timbral.listening import medians, other_pitch_scores, own_pitch_scores
    from timbral.model import load_model

    start = time.perf_counter()
    t = Timbral(load_model(args.model), library=args.data)
    examples = read_examples(args.data)
    split = read_split(args.data)
    test = [examples[k] for k in notes_in_split(examples, split, "test" if split else None)]
    names = sorted({m["instrument_str"] for m in test})
    chosen = [names[i] for i in np.unique(np.linspace(0, len(names) - 1, args.instruments).round().astype(int))]
    load = lambda name: load_note(audio_path(args.data, name), trim=False)  # noqa: E731
    loud = {n: sorted((m for m in test if m["instrument_str"] == n and m["velocity"] == 100), key=lambda m: m["pitch"]) for n in chosen}
    loud = {n: v for n, v in loud.items() if v}
    picked = [v[len(v) // 2] for v in loud.values()]
    own = own_pitch_scores(t, [(load(m["note_str"]), m["pitch"], m["velocity"]) for m in picked])
    fitted = own_pitch_scores(t, [(load(m["note_str"]), m["pitch"], m["velocity"]) for m in picked], fit=100)
    pairs = []
    for v, m in zip(loud.values(), picked):
        others = [o for o in v if 0 < abs(o["pitch"] - m["pitch"]) <= 12]
        if others:
            pairs.append((m, min(others, key=lambda o: abs(o["pitch"] - m["pitch"]))))
    other = other_pitch_scores(t, [(load(a["note_str"]), a["pitch"], load(b["note_str"]), b["pitch"], a["velocity"]) for a, b in pairs])
    # (c) pairs of instruments with a loud note at one pitch
    by_pitch: dict[int, list[dict]] = {}
    for m in test:
        if m["velocity"] == 100:
            by_pitch.setdefault(m["pitch"], []).append(m)
    blends = [(v[0], v[len(v) // 2]) for _, v in sorted(by_pitch.items())
              if len(v) > 1 and v[0]["instrument_str"] != v[len(v) // 2]["instrument_str"]]
    blends = blends[:: max(1, len(blends) // 8)][:8]
    figures = {
        "instruments": len(picked), "pairs": len(pairs), "blends": len(blends),
        **medians(own, "own_pitch_"), "own_pitch_model_fitted": float(np.median(fitted["model"])),
        **medians(other, "other_pitch_"),
        **blend_figures(t, load, blends), **artefacts(t, load, picked), "seconds": round(time.perf_counter() - start),
    }
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"ViSQOL MOS (audio mode, median), {f['instruments']} instruments of the test split of {args.data}:")
    print(f"| at its own pitch | model {f['own_pitch_model']:.2f} | fitted latent {f['own_pitch_model_fitted']:.2f} | "
          f"as recorded {f['own_pitch_recorded']:.2f} | low-passed 4 kHz {f['own_pitch_lowpass_4k']:.2f} | "
          f"2 kHz {f['own_pitch_lowpass_2k']:.2f} |")
    print(f"| at another pitch ({f['pairs']} pairs, within an octave) | model {f['other_pitch_model']:.2f} | as recorded, moved "
          f"{f['other_pitch_recorded_shift']:.2f} | faded {f['other_pitch_recorded_fade']:.2f} | "
          f"resampled {f['other_pitch_resampled']:.2f} |")
    print(f"| ends of a blend ({f['blends']} pairs) | as recorded {f['blend_ends_recorded']:.2f} | model {f['blend_ends_model']:.2f} | "
          f"largest step / mean step: as recorded {f['blend_largest_step_over_mean_recorded']:.2f}, "
          f"model {f['blend_largest_step_over_mean_model']:.2f} |")
    print(f"| artefacts of as recorded | pre-echo {f['pre_echo_db_above_recording']:+.1f} dB | clicks {f['click_ratio_to_recording']:.2f}x "
          f"the recording's |  ({f['seconds']} s)")


if __name__ == "__main__":
    main()
