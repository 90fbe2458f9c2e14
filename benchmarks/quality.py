"""What a listener hears, at full band: ViSQOL (audio mode, 48 kHz) of what Timbral plays against the full-rate
recording, on instruments of a source the model never trained on (the dataset's test split: OPL3, its drum kit
included), scored on each note's active part, with the high band's level error (third-octave bands 10-20 kHz)
beside every score and calibration rows measured in the same run (:mod:`timbral.listening`).

(a) A sound at its own pitch: "as recorded" (its detail: its own magnitudes over the whole band, the phase rebuilt),
    the model alone (encoder latent; also fitted for 100 steps), and the calibration rows: a perfect 16 kHz copy of
    the recording (the ceiling of any 16 kHz pipeline), and the recording low-passed at 8 kHz and at 4 kHz.
(b) At another pitch within an octave (``--interval``: another range), against the same instrument's real note
    there: the model; as recorded, transposed from its own pitch with its timing kept (the default), resampled from
    there, or decoded there with the detail moved with the harmonics, or faded; and a sampler resampling the
    full-rate recording.
(c) The two ends of a blend between two instruments at one pitch, against the recordings, as recorded and from the
    model; and how evenly the 11 steps of such paths are spaced (largest spectral step over the mean step).
(d) Artefacts of "as recorded": pre-echo (level in the 45 ms before the recording's onset, dB above the recording's
    own there) and clicks (the largest sample-to-sample jump over its median, against the recording's own).

The instruments: ``--instruments`` spread over the test split, at least a quarter of them (and 8) chosen among
those whose note is bright or noisy (a tenth of a percent or more of its energy above 8 kHz: cymbals, hats,
breath, bright leads); the bright and noisy notes are also reported on their own.
``--high-band envelope`` (or ``none``) plays the model's high band another way, the same weights (the ablation's
arms: the bands' levels as shaped noise, or nothing above 8 kHz as a 16 kHz model would).
Run:  .venv/bin/python benchmarks/quality.py [--model DIR] [--data data/default] [--instruments 32] [--high-band ARM]
      [--interval 1:12] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def blend_figures(t, load, pairs: list[tuple[dict, dict]]) -> dict:
    """(c): ends of 5-step paths against the recordings, and the spacing of 11-step paths."""
    from timbral.listening import mos
    from timbral.spectral import log_magnitude

    ends: dict[str, list[float]] = {"recorded": [], "model": []}
    spacing: dict[str, list[float]] = {"recorded": [], "model": []}
    for a, b in pairs:
        notes = [load(m["note_str"]) for m in (a, b)]
        ea, eb = (t.hear(y, int(m["pitch"]), int(m["velocity"])) for y, m in zip(notes, (a, b)))
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
    ms = t.sr // 1000

    def onset(y):
        return int(np.argmax(np.abs(y) > 0.1 * np.abs(y).max()))

    def pre_echo_db(y, at):
        before = y[max(0, at - 45 * ms) : max(0, at - 5 * ms)]  # 45 ms to 5 ms before the onset
        return 10 * np.log10(np.mean(before**2) / np.max(y**2) + 1e-12) if len(before) else np.nan

    def click(y):
        jumps = np.abs(np.diff(y))
        return float(jumps.max() / max(np.median(jumps[jumps > 0]), 1e-9))

    echo, clicks = [], []
    for m in notes:
        y = load(m["note_str"])
        out = t.decode(t.hear(y, int(m["pitch"]), int(m["velocity"])), int(m["pitch"]), int(m["velocity"]))
        at = onset(y)
        echo.append(pre_echo_db(out, at) - pre_echo_db(y, at))
        clicks.append(click(out) / click(y))
    return {"pre_echo_db_above_recording": float(np.nanmedian(echo)), "click_ratio_to_recording": float(np.median(clicks))}


def chosen_instruments(test: list[dict], load, count: int) -> list[list[dict]]:
    """``count`` instruments of ``test`` (their loud notes, by pitch), spread over it; at least a quarter (and 8)
    of them bright or noisy, when the split has them."""
    from timbral.listening import is_bright

    loud: dict[str, list[dict]] = {}
    for m in sorted(test, key=lambda m: (m["instrument_str"], m["pitch"])):
        if int(m["velocity"]) == max(int(o["velocity"]) for o in test if o["instrument_str"] == m["instrument_str"]):
            loud.setdefault(m["instrument_str"], []).append(m)
    bright = [n for n, v in loud.items() if is_bright(load(v[len(v) // 2]["note_str"]))]
    others = [n for n in loud if n not in set(bright)]
    wanted = min(len(bright), count, max(8, count // 4))

    def spread(names, k):
        return [names[i] for i in np.unique(np.linspace(0, len(names) - 1, k).round().astype(int))] if k and names else []

    return [loud[n] for n in spread(bright, wanted) + spread(others, count - wanted)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=Path("data/default"), help="dataset whose test split is measured")
    parser.add_argument("--instruments", type=int, default=32, help="instruments of the test split (default 32)")
    parser.add_argument("--high-band", choices=("continued", "envelope", "none"), default="continued",
                        help="how a spectrogram model plays the band above 8 kHz (default continued, its playback); a model "
                        "that renders audio, the default, has no such choice")
    parser.add_argument("--interval", default="1:12", help="LO:HI semitones between a note and the pitch it is played at "
                        "in (b) (default 1:12: within an octave)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    lo, _, hi = args.interval.partition(":")
    if not (lo.isdigit() and hi.isdigit() and 0 < int(lo) <= int(hi)):
        parser.error(f"--interval must be LO:HI semitones with 0 < LO <= HI, got {args.interval!r}")
    lo, hi = int(lo), int(hi)

    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.split import notes_in_split, read_split
    from timbral.latent import Timbral
    from timbral.listening import is_bright, medians, other_pitch_scores, own_pitch_scores
    from timbral.model import load_model

    start = time.perf_counter()
    model = load_model(args.model)
    if model.decoder.renders_audio and args.high_band != "continued":
        parser.error("--high-band is a spectrogram model's choice: this model renders its audio over the whole band")
    model.config.high_band = model.decoder.high_band = args.high_band  # no weight depends on it
    t = Timbral(model, library=args.data)
    examples = read_examples(args.data)
    split = read_split(args.data)
    test = [examples[k] for k in notes_in_split(examples, split, "test" if split else None)]
    load = lambda name: load_note(audio_path(args.data, name), sr=t.settings.sr, trim=False)  # noqa: E731
    instruments = chosen_instruments(test, load, args.instruments)
    picked = [v[len(v) // 2] for v in instruments]
    audio = [load(m["note_str"]) for m in picked]
    bright = np.array([is_bright(y) for y in audio])
    own = own_pitch_scores(t, [(y, m["pitch"], m["velocity"]) for y, m in zip(audio, picked)])
    fitted = own_pitch_scores(t, [(y, m["pitch"], m["velocity"]) for y, m in zip(audio, picked)], fit=100)
    pairs = []
    for v, m in zip(instruments, picked):
        others = [o for o in v if lo <= abs(o["pitch"] - m["pitch"]) <= hi]
        if others:
            pairs.append((m, min(others, key=lambda o: abs(o["pitch"] - m["pitch"]))))
    other = other_pitch_scores(t, [(load(a["note_str"]), a["pitch"], load(b["note_str"]), b["pitch"], a["velocity"]) for a, b in pairs])
    pair_bright = np.array([is_bright(load(b["note_str"])) for _, b in pairs], bool)
    by_pitch: dict[int, list[dict]] = {}  # (c) pairs of instruments with a loud note at one pitch
    for m in picked:
        by_pitch.setdefault(m["pitch"], []).append(m)
    blends = [(v[0], v[-1]) for _, v in sorted(by_pitch.items()) if len(v) > 1][:8]
    figures = {
        "high_band": args.high_band, "interval": args.interval, "instruments": len(picked), "bright": int(bright.sum()),
        "pairs": len(pairs),
        "pairs_bright": int(pair_bright.sum()), "blends": len(blends),
        **medians(own, "own_pitch_"), **medians(own, "own_pitch_bright_", bright),
        "own_pitch_model_fitted": float(np.median(fitted["model"])),
        "own_pitch_bright_model_fitted": float(np.median(np.asarray(fitted["model"])[bright])) if bright.any() else None,
        **medians(other, "other_pitch_"), **medians(other, "other_pitch_bright_", pair_bright),
        **(blend_figures(t, load, blends) if blends else {}), **artefacts(t, load, picked), "seconds": round(time.perf_counter() - start),
    }
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"ViSQOL MOS at 48 kHz (median, active part) | high band level error (dB, 10-20 kHz thirds): {f['instruments']} "
          f"instruments of the test split of {args.data}, {f['bright']} of them bright or noisy")
    for group, prefix in (("all", "own_pitch_"), ("bright/noisy", "own_pitch_bright_")):
        row = " | ".join(f"{name} {f[prefix + key]:.2f} / {f[prefix + key + '_high_band_db']:.1f} dB"
                         for name, key in (("as recorded", "recorded"), ("model", "model"), ("16 kHz copy", "copy_16k"),
                                           ("low-pass 8 kHz", "lowpass_8k"), ("4 kHz", "lowpass_4k")) if prefix + key in f)
        print(f"| own pitch, {group} | {row} |")
    for group, prefix in (("all", "other_pitch_"), ("bright/noisy", "other_pitch_bright_")):
        row = " | ".join(f"{name} {f[prefix + key]:.2f} / {f[prefix + key + '_high_band_db']:.1f} dB"
                         for name, key in (("model", "model"), ("as recorded, transposed", "recorded_transpose"),
                                           ("resampled", "recorded_resample"),
                                           ("moved", "recorded_shift"),
                                           ("faded", "recorded_fade"), ("a sampler", "resampled")) if prefix + key in f)
        print(f"| another pitch ({f['interval']} semitones, {f['pairs']} pairs), {group} | {row} |")
    if "blend_ends_recorded" in f:
        print(f"| ends of a blend ({f['blends']} pairs) | as recorded {f['blend_ends_recorded']:.2f} | model {f['blend_ends_model']:.2f} | "
              f"largest step / mean: {f['blend_largest_step_over_mean_recorded']:.2f}, {f['blend_largest_step_over_mean_model']:.2f} |")
    print(f"| artefacts of as recorded | pre-echo {f['pre_echo_db_above_recording']:+.1f} dB | clicks "
          f"{f['click_ratio_to_recording']:.2f}x the recording's |  ({f['seconds']} s)")


if __name__ == "__main__":
    main()
