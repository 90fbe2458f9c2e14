"""New sources in the studio's library: where voices and physical models land, before and after they join it.

Queries, all loud (velocity 100), heard by the shipped model (or ``--model DIR``) as the library hears its notes:

- Festival's six singing voices (:mod:`timbral.data.voices`, 5 vowels x 8 pitches each), each voice held out in
  turn: its own notes are never among the references, the other five voices are (leave one voice out);
- espeak-ng, a formant synthesiser that is in no library: 10 variants (6 male, 4 female) x 5 vowels x 3 pitch
  settings, each note's pitch measured by pYIN on its steady vowel (the engine holds one pitch);
- the Synthesis ToolKit's physical models (:mod:`timbral.data.stk`, 6 instruments per model, 8 pitches each).

Placement: the family vote of the 5 nearest library notes, as ``timbral evaluate`` counts it; "before" is the
library the studio had (the default dataset's loud notes), "after" is it plus the six voices. Each SoundFont of
the library (OPL3 among them, a bank the model never trained on) is also placed against the rest of the library
before and after the voices, and after STK's notes were added too, so the other families are seen to be no worse
and whether STK in the library would help. Pitch: :func:`timbral.pitch.detect_pitch` within a semitone of the
true pitch (octave errors count as wrong).

Needs the studio's library (``data/library``: the first start builds it), Festival's voices, stk and espeak-ng
(``scripts/setup --test`` installs them).
Run:  .venv/bin/python benchmarks/library_sources.py [--model DIR] [--library DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m6", "m7", "f1", "f2", "f3", "f4")
ESPEAK_VOWELS = {"a": "A:", "e": "e", "i": "i:", "o": "O:", "u": "u:"}  # espeak-ng's English phonemes
ESPEAK_PITCHES = (25, 50, 75)  # espeak-ng's -p: its pitch setting, 0-99
BANKS = ("OPL-3_FM_128M.sf2", "TimGM6mb.sf2", "sf_GMbank.sf2", "FluidR3_GM.sf2")


def render_espeak(out: Path) -> dict[str, dict]:
    """espeak-ng holding each vowel on one pitch, written as loud notes in the NSynth layout; a note whose pitch
    pYIN cannot measure steadily (80 % of it within half a semitone) is left out."""
    import librosa

    from timbral.audio import load_note
    from timbral.data.nsynth import note_metadata, write_examples, write_note

    examples = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ESPEAK_VARIANTS:
            for vowel, phoneme in ESPEAK_VOWELS.items():
                for setting in ESPEAK_PITCHES:
                    wav = Path(tmp, "note.wav")
                    ssml = f'<speak><prosody range="0">[[{phoneme}::::::::::::::]]</prosody></speak>'
                    subprocess.run(["espeak-ng", "-v", f"en+{variant}", "-p", str(setting), "-m", "-w", str(wav), ssml],
                                   check=True, capture_output=True)
                    y = load_note(wav)
                    f0, voiced, _ = librosa.pyin(y[: 48000], fmin=50, fmax=1000, sr=48000, frame_length=4096)
                    midi = librosa.hz_to_midi(f0[voiced]) if voiced.sum() > 10 else np.array([np.nan, 0])
                    if not np.isfinite(midi).all() or np.ptp(np.percentile(midi, [10, 90])) > 0.5:
                        continue
                    meta = note_metadata(f"vocal_synthetic_espeak_{variant}_{vowel}", "vocal", "synthetic",
                                         int(round(float(np.median(midi)))), 100, synth="espeak-ng")
                    write_note(out, meta, y * np.float32(0.5 / max(1e-6, float(np.abs(y).max()))))
                    examples[meta["note_str"]] = meta
    write_examples(out, examples)
    return examples


def latents(model, root: Path, examples: dict[str, dict]) -> tuple[list[str], np.ndarray]:
    from timbral.library import _encode

    names = sorted(examples)
    return names, _encode(model, root, examples, names, progress=False)


def placement(query: np.ndarray, families: np.ndarray | str, ref: np.ndarray, ref_families: np.ndarray,
              groups: np.ndarray | None = None, ref_groups: np.ndarray | None = None) -> float:
    """Share of ``query`` notes whose 5 nearest references vote for their family (``families``, or one for all); a
    reference in a query's group (its voice) is passed over."""
    from timbral.data.families import FAMILIES
    from timbral.metrics import knn_predict

    families = np.full(len(query), families) if isinstance(families, str) else families
    truth, codes = (np.array([FAMILIES.index(f) for f in names]) for names in (families, ref_families))
    return round(float(np.mean(knn_predict(query, ref, codes, groups=groups, ref_groups=ref_groups) == truth)), 3)


def pitch_right(root: Path, examples: dict[str, dict], names: list[str]) -> float:
    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path
    from timbral.pitch import detect_pitch

    right = []
    for name in names:
        found = detect_pitch(load_note(audio_path(root, name), trim=False))
        right.append(found.pitched and abs(found.pitch - int(examples[name]["pitch"])) <= 1)
    return round(float(np.mean(right)), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped one)")
    parser.add_argument("--library", type=Path, default=ROOT / "data" / "library", help="the studio's library")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral import Timbral
    from timbral.data.default import has_voices
    from timbral.data.nsynth import read_examples, source_of
    from timbral.data.stk import render_stk
    from timbral.data.voices import ENGINE_NAME as VOICE_ENGINE
    from timbral.data.voices import render_voices

    t = Timbral.load(args.model, library=args.library)
    library = t.library
    lib_names = [s.name for s in library.sounds]
    lib_examples = read_examples(library.root)
    lib_meta = [lib_examples[n] for n in lib_names]
    keep = np.array([m.get("synth") != VOICE_ENGINE for m in lib_meta])
    lib_z = library.map.latents[keep]
    lib_families = np.array([m["instrument_family_str"] for m, k in zip(lib_meta, keep) if k])
    lib_sources = np.array([source_of(m) for m, k in zip(lib_meta, keep) if k])
    with tempfile.TemporaryDirectory() as tmp:
        sung_root, espeak_root, stk_root = Path(tmp, "festival"), Path(tmp, "espeak"), Path(tmp, "stk")
        render_voices(sung_root, velocities="100", audio_format="flac", progress=False)
        render_stk(stk_root, velocities="100", audio_format="flac", progress=False)
        sung, stk = read_examples(sung_root), read_examples(stk_root)
        spoken = render_espeak(espeak_root)
        sung_names, sung_z = latents(t.model, sung_root, sung)
        espeak_names, espeak_z = latents(t.model, espeak_root, spoken)
        stk_names, stk_z = latents(t.model, stk_root, stk)
        stk_families = np.array([stk[n]["instrument_family_str"] for n in stk_names])
        voice_of = np.array([sung[n]["voice"] for n in sung_names])
        after_z = np.concatenate([lib_z, sung_z])
        after_families = np.concatenate([lib_families, ["vocal"] * len(sung_z)])
        after_sources = np.concatenate([lib_sources, voice_of])
        figures = {
            "library_notes_before": int(len(lib_z)), "voice_notes_added": int(len(sung_z)),
            "espeak_notes": int(len(espeak_z)),
            "festival_placed_vocal_before": placement(sung_z, "vocal", lib_z, lib_families),
            "festival_placed_vocal_after_leave_one_voice_out": placement(sung_z, "vocal", after_z, after_families,
                                                                         voice_of, after_sources),
            "festival_by_voice_after": {str(v): placement(sung_z[voice_of == v], "vocal", after_z, after_families,
                                                     voice_of[voice_of == v], after_sources) for v in sorted(set(voice_of))},
            "espeak_placed_vocal_before": placement(espeak_z, "vocal", lib_z, lib_families),
            "espeak_placed_vocal_after": placement(espeak_z, "vocal", after_z, after_families),
            "stk_notes": int(len(stk_z)),
            "stk_placed_among_library": placement(stk_z, stk_families, lib_z, lib_families),
            "bank_placed_among_the_rest": {bank: _bank_votes(bank, lib_z, lib_families, lib_sources, sung_z, stk_z,
                                                             stk_families) for bank in BANKS},
            "pitch_right_festival": pitch_right(sung_root, sung, sung_names),
            "pitch_right_espeak": pitch_right(espeak_root, spoken, espeak_names),
            "library_had_voices": has_voices(lib_examples),
        }
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        for key, value in figures.items():
            print(f"{key:<52} {value}")


def _bank_votes(bank: str, z: np.ndarray, families: np.ndarray, sources: np.ndarray, sung_z: np.ndarray,
                stk_z: np.ndarray, stk_families: np.ndarray) -> dict[str, float]:
    """``bank``'s notes placed among the rest of the library: as it is, with the voices, with the voices and STK."""
    own, rest = sources == bank, sources != bank
    ref_z, ref_families = z[rest], families[rest]
    with_voices = np.concatenate([ref_z, sung_z]), np.concatenate([ref_families, ["vocal"] * len(sung_z)])
    with_stk = np.concatenate([with_voices[0], stk_z]), np.concatenate([with_voices[1], stk_families])
    return {name: placement(z[own], families[own], *ref) for name, ref in
            (("before", (ref_z, ref_families)), ("with voices", with_voices), ("with voices and STK", with_stk))}


if __name__ == "__main__":
    main()
