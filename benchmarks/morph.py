"""Morph instruments: export time and size of a 9-layer, 4-octave instrument, and how its knob sounds by the
SFZ specification's crossfade formulas: the loudness over a sweep of the CC (largest minus smallest, dB)
and the deepest dip under the layers' own level mid crossfade, for the equal-power and equal-gain curves,
with the layers of a pitch started from one phase (as exported) and, as the baseline, each from its own.
Then the SFZ file as the sfizz engine plays it (``pysfizz``, the test extras): at C3, C4 and C5, the knob at 0, 8, ...,
127 set before the note, the loudness spread across the knob over the first 0.5 s and over the whole note; a note
released after 1 s, how long until it falls 60 dB under its peak; and how many samples end louder than -60 dB
under their peak (a click).
Run:  .venv/bin/python benchmarks/morph.py [--json] [--picture PNG] [A B]   (two library sounds; default: a flute and a violin)
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def sweep(audio: np.ndarray, curve: str) -> tuple[float, float, float]:
    """(loudness spread over CC 0-127 over the note, the same over its first 0.5 s, deepest dip under the layers'
    level) in dB, each at the worst pitch of ``audio``."""
    from timbral.exports.morph import crossfade_gains, rms_db

    spreads, attacks, dips = [], [], []
    for j in range(audio.shape[1]):
        layers = audio[:, j]
        swept = [crossfade_gains(len(layers), v, curve) @ layers for v in range(128)]
        levels, attack = [rms_db(y) for y in swept], [rms_db(y[:24000]) for y in swept]
        spreads.append(max(levels) - min(levels))
        attacks.append(max(attack) - min(attack))
        dips.append(np.mean([rms_db(y) for y in layers]) - min(levels))
    return float(max(spreads)), float(max(attacks)), float(max(dips))


def in_sfizz(files: dict[str, bytes], name: str, keys: tuple[int, ...] = (48, 60, 72)) -> dict:
    """The exported SFZ as sfizz plays it: the knob's loudness spread (first 0.5 s, whole note), the release, the ends."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    import soundfile as sf

    from timbral.exports.morph import play_sfz, rms_db

    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(io.BytesIO(files[f"{name}-sfz.zip"])).extractall(tmp)
        path = Path(tmp) / f"{name}.sfz"
        attack, whole, release = [], [], []
        for key in keys:
            # pysfizz 0.1.3 now and then ends a crossfaded voice early: each knob value's fullest of three takes
            takes = [[play_sfz(path, key, knob=v, seconds=4.0) for _ in range(3)] for v in range(0, 128, 8)]
            notes = [max(t, key=rms_db) for t in takes]
            attack.append(max(rms_db(y[:24000]) for y in notes) - min(rms_db(y[:24000]) for y in notes))
            whole.append(max(rms_db(y) for y in notes) - min(rms_db(y) for y in notes))
            y = play_sfz(path, key, off_at=1.0)
            loud = np.flatnonzero(np.abs(y) > 10 ** (-60 / 20) * np.abs(y).max())
            release.append(loud[-1] / 48000 - 1.0)
        ends = [sf.read(f)[0] for f in sorted((Path(tmp) / "samples").iterdir())]
        clicks = sum(np.abs(y[-48:]).max() > 10 ** (-60 / 20) * np.abs(y).max() for y in ends)
    return {"keys": list(keys), "knob_spread_first_half_second_db": round(float(max(attack)), 2),
            "knob_spread_whole_note_db": round(float(max(whole)), 2),
            "silent_after_note_off_s": round(float(max(release)), 3), "samples": len(ends), "samples_ending_above_-60_db": int(clicks)}


def picture(aligned: np.ndarray, unaligned: np.ndarray, pitch_index: int, path) -> None:
    """The knob as a picture: each layer's gain over CC 0-127 (equal gain, as exported), and the loudness of one
    pitch over the sweep for the layers as exported, with equal-power curves, and with each layer's own phase."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from timbral.exports.morph import crossfade_gains, rms_db

    layers = aligned.shape[0]
    gains = np.array([crossfade_gains(layers, v, "gain") for v in range(128)])
    fig = Figure(figsize=(8, 4.6), dpi=100)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(gains, lw=1.5)
    top.set_ylabel("layer gain")
    top.set_title(f"The morph knob: {layers} layers, each fading into its neighbours")
    for label, audio, curve in (("as exported (one phase, equal gain)", aligned, "gain"), ("equal power", aligned, "power"),
                                ("each layer its own phase", unaligned, "gain")):
        layers_at = audio[:, pitch_index]
        level = [rms_db(crossfade_gains(layers, v, curve) @ layers_at) for v in range(128)]
        bottom.plot(np.array(level) - np.mean(rms_db(layers_at)), label=label)
    bottom.set_ylabel("loudness (dB)")
    bottom.set_xlabel("CC value")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sounds", nargs="*", help="two library sounds (default: a flute and a violin at C4)")
    parser.add_argument("--picture", help="also draw the knob's gains and a sweep's loudness at C4 (PNG)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral.exports.morph import render, written
    from timbral.latent import Timbral

    t = Timbral.load()
    sounds = args.sounds or [next(s.name for s in t.library.sounds if s.family == f and 55 <= s.pitch <= 67 and s.velocity == 100)
                             for f in ("flute", "string")]
    pitches = list(range(36, 85, 3))  # C2-C6, four octaves every 3 semitones
    t.decode(t.random_latents(1, seed=0)[0], 60)  # warm up
    start = time.perf_counter()
    m = render(t, sounds, layers=9, pitches=pitches, name="benchmark")
    rendered = time.perf_counter() - start
    files = written(m)
    seconds = time.perf_counter() - start
    unaligned = render(t, sounds, layers=9, pitches=pitches, name="unaligned", aligned=False)
    figures = {"sounds": sounds, "layers": 9, "pitches": len(pitches), "samples": 9 * len(pitches),
               "render_seconds": round(rendered, 1), "export_seconds": round(seconds, 1),
               "bytes": {name: len(data) for name, data in files.items()}}
    for label, audio in (("aligned", m.audio), ("own phase", unaligned.audio)):
        for curve in ("power", "gain"):
            spread, attack, dip = sweep(audio, curve)
            figures[f"{label}, {curve}"] = {"loudness_spread_db": round(spread, 2), "first_half_second_spread_db": round(attack, 2),
                                            "deepest_dip_db": round(dip, 2)}
    figures["sfizz"] = in_sfizz(files, "benchmark")
    if args.picture:
        picture(m.audio, unaligned.audio, pitches.index(60), args.picture)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{' -> '.join(sounds)}: 9 layers x {len(pitches)} pitches = {figures['samples']} samples, rendered in "
          f"{rendered:.1f} s, all three formats written in {seconds:.1f} s on this machine")
    for name, size in figures["bytes"].items():
        print(f"  {name}: {size / 2**20:.1f} MB")
    print("| layers | curve | loudness over the sweep (max - min): the note / its first 0.5 s | deepest dip under the layers |\n"
          "|---|---|---:|---:|")
    for label in ("aligned", "own phase"):
        for curve in ("power", "gain"):
            f = figures[f"{label}, {curve}"]
            print(f"| {label} | {curve} | {f['loudness_spread_db']:.2f} / {f['first_half_second_spread_db']:.2f} dB | "
                  f"{f['deepest_dip_db']:.2f} dB |")
    f = figures["sfizz"]
    print(f"In sfizz, at MIDI {', '.join(map(str, f['keys']))}: the knob moves the level {f['knob_spread_first_half_second_db']:.2f} dB "
          f"over the first 0.5 s and {f['knob_spread_whole_note_db']:.2f} dB over the note (worst key); a note released at 1 s is "
          f"60 dB down {f['silent_after_note_off_s']:.3f} s later; {f['samples_ending_above_-60_db']} of {f['samples']} samples "
          "end above -60 dB")


if __name__ == "__main__":
    main()
