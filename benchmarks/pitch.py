"""Pitch detection on one-shots with known pitches: voices, chords, basses, octave-ambiguous tones, plain notes
and a bank no one tuned on, as rendered and as recorded (reverb and room noise, or a quiet 16-bit take); and
noise-like drums, which should stay unpitched.

Every sound is rendered here from the SoundFonts (FluidR3_GM, TimGM6mb, Csound's sf_GMbank; the OPL3 bank, held
out, for "held-out bank"), the procedural formant voices and Festival's singing voices ("sung voice", their pitch
set exactly) at pitches spread over each kind's range, so the pitch a listener names is
known: the key played, or for a chord its root (the lowest note). "Drums" are the noise-like drums of each
SoundFont's standard kit (snares, claps, hats, cymbals, shakers), which a listener gives no pitch. Each is heard three ways: as
rendered; "recorded" (a 1.2 s room reverb, 35 % wet, and pink room noise 40 dB under the peak); and as
a quiet 16-bit take (-30 dBFS). Each detector is scored on the share of sounds named right (within half a
semitone), named an octave off, named something else, and left unpitched. The baseline is
``librosa.pyin`` alone on the same sounds (its median voiced pitch), measured in the same run.
Run:  .venv/bin/python benchmarks/pitch.py [--json] [--per-kind 24] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np

from timbral.settings import SAMPLE_RATE

SR = SAMPLE_RATE  # the SoundFonts render at Timbral's rate
# kind: (GM programs, lowest pitch, highest pitch, notes of a chord above its root)
KINDS = {
    "voice": ((52, 53, 54, 85, 91), 45, 79, ()),
    "chord": ((24, 25, 27, 29, 0, 48), 40, 64, (4, 7, 12)),
    "power chord": ((29, 30), 36, 55, (7, 12)),
    "low piano": ((0, 1, 2, 3), 24, 43, ()),
    "organ": ((16, 17, 18, 19, 20), 30, 72, ()),
    "glass and bells": ((8, 9, 10, 11, 14, 92, 98, 112), 55, 91, ()),
    "plain": ((24, 40, 56, 65, 71, 73, 61, 33), 36, 84, ()),
    "bass": ((32, 33, 34, 35, 36, 37, 38, 39), 28, 52, ()),
    "held-out bank": (tuple(range(0, 112, 7)), 36, 84, ()),
}
HELD_OUT_BANK = "OPL-3_FM_128M.sf2"  # "held-out bank" renders from it (the default split's test source)
NOISE_DRUMS = (38, 39, 40, 42, 44, 46, 49, 51, 52, 54, 55, 57, 59, 69, 70)  # GM keys: snares, clap, hats, cymbals, shakers
SOUNDFONTS = ("FluidR3_GM.sf2", "TimGM6mb.sf2", "sf_GMbank.sf2")
TAKES = ("as rendered", "recorded", "quiet 16-bit")


def render(font, program: int, pitches: list[int]) -> np.ndarray:
    """``pitches`` held together for 2 s on ``program`` of a loaded :class:`~timbral.data.render.SoundFontSynth`."""
    s = font._synth
    s.program_select(0, font._sfid, 0, program)
    for p in pitches:
        s.noteon(0, p, 105)
    on = font._write(2 * SR)
    for p in pitches:
        s.noteoff(0, p)
    off = font._write(SR // 2)
    s.all_sounds_off(0)
    s.system_reset()
    return np.concatenate([on, off])


def formant_voice(pitch: int, index: int) -> np.ndarray:
    from timbral.data.synth import ROLES, make_instrument, render_note

    role = next(i for i, r in enumerate(ROLES) if r[0] == "formant")
    return render_note(make_instrument(role + len(ROLES) * index, seed=7), pitch, 100)[: int(2.5 * SR)]


def take(y: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """A sound as rendered, as recorded in a room, or as a quiet 16-bit file."""
    y = y / max(np.abs(y).max(), 1e-9) * 0.9
    if kind == "quiet 16-bit":
        return np.round(y * 10 ** (-30 / 20) * 32767) / 32767
    if kind == "recorded":
        from scipy.signal import fftconvolve

        t = np.arange(int(1.2 * SR)) / SR
        ir = rng.standard_normal(len(t)) * np.exp(-t * 6.9 / 1.2)  # RT60 1.2 s
        wet = fftconvolve(y, ir)[: len(y)]
        y = 0.65 * y + 0.35 * wet / max(np.abs(wet).max(), 1e-9)
        pink = np.cumsum(rng.standard_normal(len(y)))
        pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
        y = y + pink / np.abs(pink).max() * np.abs(y).max() * 10 ** (-40 / 20)
    return y.astype(np.float32)


def sung_voice(i: int, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """One of Festival's voices singing one of its vowels at a pitch of its range: (pitch, 2.5 s)."""
    import tempfile
    from pathlib import Path

    from timbral.data.voices import VOICES, sing, voice_note

    voice = list(VOICES.values())[i % len(VOICES)]
    vowel, pitch = "aeiou"[i % 5], int(rng.integers(voice.low, voice.high + 1))
    with tempfile.TemporaryDirectory() as tmp:
        files = sing(voice, vowel, [pitch], Path(tmp))
        return pitch, voice_note(files[pitch], 100)[: int(2.5 * SR)] if files else np.zeros(SR, np.float32)


def sounds(per_kind: int, seed: int = 0) -> list[tuple[str, str, int | None, np.ndarray]]:
    """(kind, take, true MIDI pitch or None for a drum, samples) for ``per_kind`` sounds of each kind, in every take."""
    from timbral.data.default import default_soundfonts
    from timbral.data.render import SoundFontSynth

    rng = np.random.default_rng(seed)
    fonts = [SoundFontSynth(p) for p in default_soundfonts(SOUNDFONTS)]
    held_out = SoundFontSynth(default_soundfonts([HELD_OUT_BANK])[0])
    made: list[tuple[str, int | None, np.ndarray]] = []
    for kind, (programs, low, high, above) in KINDS.items():
        for i in range(per_kind):
            pitch = int(rng.integers(low, high + 1))
            font = held_out if kind == "held-out bank" else fonts[i % len(fonts)]
            if kind == "voice" and i % 4 == 3:
                y = formant_voice(pitch, i)
            else:
                y = render(font, programs[i % len(programs)], [pitch, *(pitch + a for a in above)])
            made.append((kind, pitch, y))
    for i in range(per_kind):
        made.append(("sung voice", *sung_voice(i, rng)))
        drum = fonts[i % len(fonts)].render(0, NOISE_DRUMS[i % len(NOISE_DRUMS)], 105, 128)[: int(2.5 * SR)]
        made.append(("drums", None, drum))
    out = [(kind, name, pitch, take(y, name, rng)) for kind, pitch, y in made if np.abs(y).max() >= 1e-4
           for name in TAKES]  # a silent render is a key the preset does not play
    for font in (*fonts, held_out):
        font.close()
    return out


def pyin_alone(y: np.ndarray) -> int | None:
    """``librosa.pyin`` on the first 2.5 s, heard at 16 kHz with its usual frames (128 ms)."""
    import librosa
    import soxr

    y = soxr.resample(y[: int(2.5 * SR)], SR, 16000)
    f0, voiced, _ = librosa.pyin(y, fmin=30.0, fmax=4200.0, sr=16000, frame_length=2048, hop_length=512, resolution=0.25)
    f0 = f0[voiced & np.isfinite(f0)]
    return int(np.round(69 + 12 * np.log2(np.median(f0) / 440))) if len(f0) else None


def timbral_detector(y: np.ndarray) -> int | None:
    from timbral.audio import note_onset
    from timbral.pitch import detect_pitch

    estimate = detect_pitch(y[note_onset(y, SR):], SR)  # as an upload is heard: from its onset
    return estimate.pitch if estimate.pitched else None


def score(found: int | None, truth: int | None) -> str:
    if truth is None:
        return "kept unpitched" if found is None else "given a pitch"
    if found is None:
        return "unpitched"
    if abs(found - truth) == 0:
        return "right"
    return "octave off" if abs(found - truth) % 12 == 0 else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=24, help="sounds of each kind (each heard in three takes)")
    parser.add_argument("--seed", type=int, default=0, help="draw of pitches, presets and takes (a rule is tuned on one, reported on 0)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data = sounds(args.per_kind, args.seed)
    results: dict = {"sounds": len(data), "detectors": {}}
    for name, detect in (("timbral", timbral_detector), ("pyin alone (baseline)", pyin_alone)):
        start = time.perf_counter()
        outcomes = [(kind, how, score(detect(y), truth)) for kind, how, truth, y in data]
        seconds = (time.perf_counter() - start) / len(data)
        table: dict = defaultdict(lambda: defaultdict(int))
        for kind, how, outcome in outcomes:
            for key in (kind, how, "all pitched") if kind != "drums" else (kind,):
                table[key][outcome] += 1
        results["detectors"][name] = {"ms_per_sound": round(1000 * seconds, 1), **{
            key: {o: round(n / sum(counts.values()), 3) for o, n in counts.items()} | {"n": sum(counts.values())}
            for key, counts in table.items()}}
    if args.json:
        print(json.dumps(results))
        return
    outcomes = ("right", "octave off", "wrong", "unpitched")
    for name, rows in results["detectors"].items():
        print(f"\n{name} ({rows['ms_per_sound']} ms a sound)")
        print(f"| sounds | n | {' | '.join(outcomes)} |\n|---|---:|" + "---:|" * len(outcomes))
        for key in (*KINDS, "sung voice", *TAKES, "all pitched"):
            r = rows[key]
            print(f"| {key} | {r['n']} | " + " | ".join(f"{r.get(o, 0):.2f}" for o in outcomes) + " |")
        print(f"| drums (noise-like) | {rows['drums']['n']} | kept unpitched {rows['drums'].get('kept unpitched', 0):.2f} |")


if __name__ == "__main__":
    main()
