"""Verbs that make and inspect datasets: render, import, data, resynth."""

from __future__ import annotations

import json
from pathlib import Path

from .common import verb


def cmd_render(args) -> None:
    from ..data.families import MELODIC_PROGRAMS
    from ..data.nsynth import read_examples, summary
    from ..data.render import render_drums, render_soundfonts

    report = render_soundfonts(
        args.soundfonts, args.out, programs=args.programs or MELODIC_PROGRAMS, pitches=args.pitches,
        velocities=args.velocities, pitches_per_instrument=args.pitches_per_instrument, seed=args.seed,
        workers=args.workers, gain=args.gain, audio_format=args.format,
    )
    if args.drums:
        report = report.merge(render_drums(args.soundfonts, args.out, velocities=args.velocities, workers=args.workers,
                                           gain=args.gain, audio_format=args.format))
    print("\n".join(report.lines()))
    print(summary(read_examples(args.out)))


def _render_verb(sub) -> None:
    p = verb(sub, "render", "Render SoundFont presets (FluidSynth) or GUS patch sets (a TiMidity config, through TiMidity++) "
                            "into an NSynth-layout dataset.",
              "timbral render FluidR3_GM.sf2 --out data/mine --programs 0,24 --pitches 36:84:4 --velocities 50,100\n"
              "  timbral render /etc/timidity/freepats.cfg --out data/freepats --pitches 24:96 --pitches-per-instrument 8 --drums",
              cmd_render)
    p.add_argument("soundfonts", nargs="+", metavar="SOUNDFONT",
                   help=".sf2 files, or TiMidity configs (.cfg) listing GUS patches, e.g. Debian's freepats")
    p.add_argument("--out", required=True, type=Path, help="dataset folder (notes already there are kept)")
    p.add_argument("--programs", help="GM program numbers 0-127, e.g. 0,24 or 0:7 (default: all 115 melodic ones)")
    p.add_argument("--pitches", default="48,60,72",
                   help="MIDI pitches or note names: 48,60,72 or C3,C4,C5, or a range 24:96:2 or C1:C7:2, end included")
    p.add_argument("--velocities", default="50,100", help="MIDI velocities 1-127, same syntax (default 50,100)")
    p.add_argument("--pitches-per-instrument", type=int, metavar="N",
                   help="each preset plays N pitches of its own, drawn (seeded) across the range of --pitches, one in each "
                        "Nth of it, instead of every pitch listed: e.g. --pitches 24:96 --pitches-per-instrument 8")
    p.add_argument("--seed", type=int, default=0, help="seed of --pitches-per-instrument (default 0)")
    p.add_argument("--drums", action="store_true",
                   help="also every drum of the drum kits (a SoundFont's bank 128, a TiMidity config's drum sets), each an "
                        "instrument of the percussion family, played at its key at each of --velocities")
    p.add_argument("--format", default="wav", choices=("wav", "flac"),
                   help="how the notes are stored: NSynth's 16-bit WAV (default) or FLAC, the same samples in a third of the space")
    p.add_argument("--workers", type=int, help="parallel processes (default: all cores)")
    p.add_argument("--gain", type=float, default=1.0, help="output gain (default 1.0; clipped notes are dropped)")


def cmd_import(args) -> None:
    from ..data.importer import import_folder
    from ..data.nsynth import read_examples, summary

    report = import_folder(args.folder, args.out, source=args.source, default_family=args.family)
    print("\n".join(report.lines()))
    print(summary(read_examples(args.out)))


def _import_verb(sub) -> None:
    p = verb(sub, "import", "Turn a folder of your own single-note files into an NSynth-layout dataset.",
              "timbral import ~/my-notes --out data/mine   # my-notes/voice/me_A3.wav, my-notes/synth/saw_60.flac",
              cmd_import)
    p.add_argument("folder", type=Path, help="FOLDER/<family>/<file> or FOLDER/<family>/<instrument>/<file>")
    p.add_argument("--out", required=True, type=Path, help="dataset folder (notes already there are kept)")
    p.add_argument("--source", default="acoustic", choices=("acoustic", "electronic", "synthetic"),
                   help="NSynth source of the sounds (default acoustic)")
    p.add_argument("--family", default="other", help="family of files directly in FOLDER (default other)")


def cmd_data_default(args) -> None:
    from ..data.default import SYNTH_INSTRUMENTS, build_default_dataset
    from ..data.nsynth import read_examples, summary
    from ..data.split import read_split

    report = build_default_dataset(args.out, velocities=args.velocities, synth_instruments=args.synth_instruments or SYNTH_INSTRUMENTS,
                                   voices=args.voices, soundfonts=args.soundfonts, workers=args.workers)
    print("\n".join(report.lines()))
    print(summary(read_examples(args.out)))
    split = read_split(args.out)
    print("split by instrument: " + ", ".join(f"{s} {len(split[s])}" for s in ("train", "valid", "test")))


def cmd_data_voices(args) -> None:
    from ..data.nsynth import read_examples, summary
    from ..data.split import make_split, write_split
    from ..data.voices import VOICES, render_voices

    report = render_voices(args.out, voices=args.voices, pitches_per_instrument=args.pitches_per_instrument,
                           velocities=args.velocities, seed=args.seed, workers=args.workers, audio_format=args.format)
    print("\n".join(report.lines()))
    examples = read_examples(args.out)
    print(summary(examples))
    held = args.hold_out_voice and VOICES[args.hold_out_voice].festival
    split = make_split(examples, seed=args.seed, hold_out_source=held)
    write_split(args.out, split)
    print("split by instrument: " + ", ".join(f"{s} {len(split[s])}" for s in ("train", "valid", "test"))
          + (f" (test: all of {args.hold_out_voice})" if held else ""))


def _data_default_action(dsub) -> None:
    p = verb(dsub, "default", "Render the default dataset at 48 kHz with its split: the distinct presets of FluidR3_GM/GS, "
             "TimGM6mb, Csound's GM bank and a sampled OPL3 chip, an audible variant of each, every distinct drum of their "
             "drum kits, and 1,000 procedural instruments (~2,270 instruments from 6 sources, ~28,900 notes, 2.7 GB of "
             "FLAC, about 5 min on 2 cores). The split's test part is the whole OPL3 source, never trained on.",
              "timbral data default --out data/default\n"
              "  timbral data default --out data/library --velocities 100   # the studio's library: the loud notes", cmd_data_default)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--velocities", default="50,100", help="velocity layers of every instrument (default 50,100; the studio's "
                   "library, which its first start builds in data/library, is the loud notes: 100)")
    p.add_argument("--voices", action="store_true",
                   help="add Festival's six singing voices (the vocal family's people, ~480 notes; the studio's library has "
                   "them, the shipped default model was trained without them)")
    p.add_argument("--synth-instruments", type=_synth_count, metavar="N",
                   help="instruments of Timbral's own synth engine, 1-100000 (default 1,000, what the default model was trained "
                   "on; each plays 8 pitches: fewer build faster, more give the synth families more variety)")
    p.add_argument("--soundfonts", type=Path, metavar="FOLDER",
                   help="read the SoundFonts from FOLDER, each as NAME.sf2 or compressed as NAME.sf3 (what scripts/gpu pack "
                   "carries to a GPU machine); OPL-3_FM_128M may be left out, and then the split has no test part")
    p.add_argument("--workers", type=int, help="parallel processes (default: all cores)")


def _data_voices_action(dsub) -> None:
    from ..data.voices import VOICES

    p = verb(dsub, "voices", "Render people singing: Festival's diphone voices (cut from recordings of people; Debian "
             "festvox-*) each singing the five vowels a e i o u, each voice and vowel an instrument of the vocal family, "
             "at pitches spread over its range (C2-A#4, what Festival's singing mode can sing), 3 s on, 1 s of silence. "
             f"Voices: {', '.join(f'{k} = {v.title}' for k, v in VOICES.items())}. Recorded at 16-22 kHz, they have "
             "nothing above 8-11 kHz. A dataset of voices alone trains a model of voices (timbral train).",
             "timbral data voices --out data/voices\n"
             "  timbral data voices --out data/voices --hold-out-voice lj   # Leena never trained on: the test split",
             cmd_data_voices)
    p.add_argument("--out", required=True, type=Path, help="dataset folder (notes already there are kept)")
    p.add_argument("--voices", type=_voice_keys, default=tuple(VOICES), metavar="KEYS",
                   help=f"which voices, comma-separated (default all: {','.join(VOICES)})")
    p.add_argument("--pitches-per-instrument", type=int, default=8, metavar="N",
                   help="pitches each voice sings each vowel at, spread over its range (default 8)")
    p.add_argument("--velocities", default="50,100", help="MIDI velocities 1-127 (default 50,100; a voice's level only)")
    p.add_argument("--hold-out-voice", choices=tuple(VOICES), metavar="KEY",
                   help="a voice whose notes all go to the test split, never trained on")
    p.add_argument("--seed", type=int, default=0, help="seed of the pitches and the split (default 0)")
    p.add_argument("--format", default="flac", choices=("wav", "flac"), help="how the notes are stored (default flac)")
    p.add_argument("--workers", type=int, help="parallel processes (default: all cores)")


def cmd_data_stk(args) -> None:
    from ..data.nsynth import read_examples, summary
    from ..data.stk import render_stk

    report = render_stk(args.out, instruments_per_model=args.instruments_per_model, models=args.models,
                        pitches_per_instrument=args.pitches_per_instrument, velocities=args.velocities, seed=args.seed,
                        workers=args.workers, audio_format=args.format)
    print("\n".join(report.lines()))
    print(summary(read_examples(args.out)))


def _data_stk_action(dsub) -> None:
    from ..data.stk import MODELS

    p = verb(dsub, "stk", "Render physical models: the Synthesis ToolKit's acoustic-like instruments (Debian stk: reeds, "
             "flutes, bowed and plucked strings, sitar, mandolin, bars and bells, FM electric pianos and organ), each "
             "model as several instruments with their own draw of its controls (reed stiffness, breath pressure, bow "
             "pressure, stick hardness, ...), 3 s on and 1 s released at 48 kHz: a source of acoustic-like timbres "
             f"that is neither samples nor Timbral's synth. Models: {', '.join(MODELS)}.",
             "timbral data stk --out data/stk\n"
             "  timbral data stk --out data/stk --models Clarinet,Bowed --instruments-per-model 10", cmd_data_stk)
    p.add_argument("--out", required=True, type=Path, help="dataset folder (notes already there are kept)")
    p.add_argument("--models", type=_stk_models, default=tuple(MODELS), metavar="NAMES",
                   help="which STK models, comma-separated (default all)")
    p.add_argument("--instruments-per-model", type=int, default=6, metavar="N",
                   help="instruments drawn from each model with controls (default 6; the first plays STK's own settings)")
    p.add_argument("--pitches-per-instrument", type=int, default=8, metavar="N",
                   help="pitches each instrument plays, spread over its range (default 8)")
    p.add_argument("--velocities", default="50,100", help="MIDI velocities 1-127 (default 50,100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the controls and the pitches (default 0)")
    p.add_argument("--format", default="flac", choices=("wav", "flac"), help="how the notes are stored (default flac)")
    p.add_argument("--workers", type=int, help="parallel processes (default: all cores)")


def _stk_models(text: str) -> tuple[str, ...]:
    import argparse

    from ..data.stk import MODELS

    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names or any(n not in MODELS for n in names):
        raise argparse.ArgumentTypeError(f"models must be some of {','.join(MODELS)}, got {text!r}")
    return names


def _voice_keys(text: str) -> tuple[str, ...]:
    import argparse

    from ..data.voices import VOICES

    keys = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in keys if k not in VOICES]
    if not keys or unknown:
        raise argparse.ArgumentTypeError(f"voices must be some of {','.join(VOICES)}, got {text!r}")
    return keys


def cmd_data_split(args) -> None:
    from ..data.nsynth import read_examples
    from ..data.split import make_split, write_split

    split = make_split(read_examples(args.data), seed=args.seed, valid=args.valid, test=args.test,
                       hold_out_source=args.hold_out_source, hold_out_pitches=args.hold_out_pitches)
    path = write_split(args.data, split)
    held = f" (test: all of {args.hold_out_source})" if args.hold_out_source else ""
    held += f" (never trained on: pitches {', '.join(map(str, split['hold_out_pitches']))})" if split["hold_out_pitches"] else ""
    print(f"wrote {path}: " + ", ".join(f"{s} {len(split[s])} instruments" for s in ("train", "valid", "test")) + held)


def _data_split_action(dsub) -> None:
    p = verb(dsub, "split", "Write a seeded train/valid/test split by instrument (split.json).",
              "timbral data split data/default --hold-out-source OPL-3_FM_128M.sf2", cmd_data_split)
    p.add_argument("data", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--valid", type=float, default=0.1, help="share of each family's instruments (default 0.1)")
    p.add_argument("--test", type=float, default=0.1, help="share of each family's instruments (default 0.1)")
    p.add_argument("--hold-out-source", metavar="NAME",
                   help="put one whole source in test and nothing else: a SoundFont file name (TimGM6mb.sf2) or "
                        "timbral-synth (see 'timbral data info')")
    p.add_argument("--hold-out-pitches", type=_pitches, default=(), metavar="PITCHES",
                   help="leave the notes at these pitches out of training, to measure a model at pitches it never "
                        "heard: 33,38,55 or A1,D2,G3 (the default dataset holds out 33,38,55,64,77,95)")


def cmd_data_info(args) -> None:
    from ..data.info import dataset_info
    from ..data.nsynth import read_examples, summary

    info = dataset_info(args.data)
    if args.json:
        print(json.dumps(info))
        return
    split = info["split_instruments"]
    print(summary(read_examples(args.data)))
    print(f"{info['n_instruments']} instruments from {info['n_sources']} sources:")
    for name, v in info["sources"].items():
        print(f"  {name:<22} {v['instruments']:>5} instruments {v['notes']:>7} notes")
    for kind, groups in info["pitch_coverage"].items():
        by = {"sources": "source", "families": "family"}[kind]
        print(f"pitches by {by} (lowest-highest; semitones of C1-C7 played; notes per semitone there):")
        for name, v in groups.items():
            n = v["notes_per_semitone"]
            print(f"  {name:<22} {v['lowest']:>3}-{v['highest']:<3} {v['semitones']:>3} of {v['of']}   "
                  f"{n['fewest']}-{n['most']}, median {n['median']:g}")
    print("split: " + (", ".join(f"{s} {n} instruments" for s, n in split.items()) if split else "none")
          + (f" (test holds out {info['held_out_source']})" if info["held_out_source"] else "")
          + (f"; pitches never trained on: {', '.join(map(str, info['held_out_pitches']))}" if info["held_out_pitches"] else ""))
    print(f"disk: audio {info['audio_bytes'] / 1e9:.2f} GB, feature caches {info['features_bytes'] / 1e9:.2f} GB"
          + (f"; built in {info['build_seconds']:.0f} s" if info["build_seconds"] else ""))


def _data_info_action(dsub) -> None:
    p = verb(dsub, "info", "Notes, instruments, sources, families, split, disk size and build time of a dataset.",
             "timbral data info data/default --json", cmd_data_info)
    p.add_argument("data", type=Path)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_data_features(args) -> None:
    from ..data.features import feature_store
    from ..spectral import SpectralSettings

    store = feature_store(args.data, SpectralSettings(), cache_dir=args.cache)
    n, rows, frames = store.specs.shape
    s = store.settings
    print(f"{store.path}: {n} notes, {rows} rows ({s.core_bins} bins to {s.core_hz / 1000:g} kHz and {s.n_high_bands} bands "
          f"above) x {frames} frames, bounds {store.bounds.lo:g}..{store.bounds.hi:g} dB")


def _data_features_action(dsub) -> None:
    p = verb(dsub, "features", "Compute (or find cached) what the model hears of a dataset's notes: their log-magnitude spectrograms to "
             "8 kHz and the band levels above.",
              "timbral data features data/default", cmd_data_features)
    p.add_argument("data", type=Path)
    p.add_argument("--cache", type=Path, help="cache folder (default DATA/features)")


def cmd_resynth(args) -> None:
    import time

    from ..audio import load_note, write_audio
    from ..data.nsynth import slug
    from ..phase import reconstruct, spectral_convergence
    from ..spectral import stft

    notes = [(path, load_note(path)) for path in args.inputs]  # every file checked before anything is written
    reconstruct(stft(notes[0][1][:1024]).abs().numpy(), n_iter=1)  # load the compiled integrator outside the timing
    names: set[str] = set()
    for path, y in notes:
        magnitude = stft(y).abs().numpy()
        start = time.perf_counter()
        rebuilt = reconstruct(magnitude, method=args.method, n_iter=args.n_iter, length=len(y))
        seconds = time.perf_counter() - start
        name = slug(path.stem)
        while name in names:
            name += "_"
        names.add(name)
        out = write_audio(args.out / f"{name}.wav", rebuilt)
        sc = float(spectral_convergence(rebuilt, magnitude))
        if args.json:
            print(json.dumps({"file": str(path), "out": str(out), "method": args.method,
                              "spectral_convergence_db": round(sc, 2), "seconds": round(seconds, 4)}))
        else:
            print(f"{out}: spectral convergence {sc:.1f} dB, rebuilt in {seconds * 1000:.0f} ms")


def _resynth_verb(sub) -> None:
    from ..phase import DEFAULT_METHOD, METHODS

    p = verb(sub, "resynth", "Rebuild sounds from their magnitude alone: hear the ceiling of the representation.",
              "timbral resynth cello.wav voice.flac --out resynth/ --method pghi+fgla --json", cmd_resynth)
    p.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="audio files (WAV, FLAC, OGG, MP3, AIFF)")
    p.add_argument("--out", required=True, type=Path, help="folder for <name>.wav")
    p.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS,
                   help="phase reconstruction (default pghi+fgla; zero is for comparison only)")
    p.add_argument("--n-iter", type=int, default=32, help="fast Griffin-Lim iterations (default 32)")
    p.add_argument("--json", action="store_true", help="one JSON line per file: spectral convergence and seconds")


def _pitches(text: str) -> tuple[int, ...]:
    import argparse

    from ..data.notes import parse_numbers

    try:
        return parse_numbers(text, 0, 127, "pitches")
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _synth_count(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of instruments from 1 to 100000")
    return n


def _data_verb(sub) -> None:
    data = verb(sub, "data", "Build, split, inspect and preprocess datasets.", "timbral data default --out data/default", None)
    dsub = data.add_subparsers(title="actions", metavar="ACTION", required=True)
    for add in (_data_default_action, _data_voices_action, _data_stk_action, _data_split_action, _data_info_action, _data_features_action):
        add(dsub)


def add_parsers(sub) -> None:
    """Every verb of making and reading datasets, each parser beside its command."""
    for add in (_render_verb, _import_verb, _resynth_verb, _data_verb):
        add(sub)
