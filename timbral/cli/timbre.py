"""Verbs that play with timbres: encode, interpolate, mix, random, map, library, export-sfz, export-morph, reconstruct."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..settings import EXPORT_RATES, SAMPLE_RATE
from .common import verb


def _timbral(args):
    from ..latent import Timbral

    return Timbral.load(args.model, library=args.library)


def _slug_of(sound: str) -> str:
    from ..data.nsynth import slug

    return slug(Path(sound).stem if Path(sound).exists() else sound)


def cmd_encode(args) -> None:
    from ..pitch import note_name

    t = _timbral(args)
    for sound in args.sounds:
        e = t.encode(sound, args.pitch, fit=args.fit)
        row = {"sound": sound, "pitch": e.pitch, "note": note_name(e.pitch), "pitched": e.pitched,
               "remarks": list(e.remarks), "latent": [round(float(v), 5) for v in e.latent]}
        if t.has_library:
            row["x"], row["y"] = (round(v, 5) for v in t.library.map.place(e.latent))
        if args.json:
            print(json.dumps(row))
        else:
            where = f", map ({row['x']:.3f}, {row['y']:.3f})" if "x" in row else ""
            pitch = f"pitch {row['note']} ({e.pitch})" if e.pitched else f"unpitched, played at {row['note']}"
            print(f"{sound}: {pitch}{where}" + "".join(f"\n  {r}" for r in e.remarks)
                  + "\n  latent " + " ".join(f"{v:+.2f}" for v in e.latent))


def _encode_verb(sub) -> None:
    p = verb(sub, "encode", "Show where sounds sit in the timbre space: pitch, map position, latent vector.",
             "timbral encode cello.wav flute_acoustic_fluidr3_gm_073-060-100 --json", cmd_encode)
    p.add_argument("sounds", nargs="+", metavar="SOUND", help=SOUND)
    p.add_argument("--pitch", type=_pitch, help="the pitch played, e.g. 60 or C4 (default: from the name, else detected; "
                                                "a sound with no clear pitch is taken as unpitched at C4)")
    p.add_argument("--json", action="store_true", help="one JSON line per sound")
    _fit_flag(p)
    _model_flags(p)


def cmd_interpolate(args) -> None:
    from ..exports.files import write_sounds, write_zip

    t = _timbral(args)
    a, b = t.resolve(args.a), t.resolve(args.b)
    pitch = a.pitch if args.pitch is None else args.pitch
    path = t.interpolate(a, b, steps=args.steps, method=args.method, pitch=pitch)
    sounds = {"sound1_" + _slug_of(args.a): _original(t, args.a), "sound2_" + _slug_of(args.b): _original(t, args.b)}
    sounds |= {f"step_{i:02d}": y for i, y in enumerate(path)}
    sounds["all"] = np.concatenate(path)
    written = write_sounds(args.out, sounds, fmt=args.format, bits=args.bits, rate=args.sr)
    if args.zip:
        written.append(write_zip(args.out / "interpolation.zip", {p.name: p.read_bytes() for p in written}))
    print(f"{args.steps} steps from {args.a} to {args.b} at pitch {pitch} ({args.method}): {len(written)} files in {args.out}")


def _interpolate_verb(sub) -> None:
    p = verb(sub, "interpolate", "Blend two sounds: the path from Sound 1 to Sound 2 in N steps, endpoints included.",
             "timbral interpolate cello.wav flute.wav --steps 11 --method slerp --out blend/ --zip", cmd_interpolate)
    p.add_argument("a", metavar="SOUND1", help=SOUND)
    p.add_argument("b", metavar="SOUND2", help=SOUND)
    p.add_argument("--steps", type=int, default=11, help="sounds along the path, 2-101 (default 11)")
    p.add_argument("--method", default="linear", choices=("linear", "slerp"), help="straight or spherical path (default linear)")
    p.add_argument("--pitch", type=_pitch, help="pitch of the path (default: Sound 1's)")
    p.add_argument("--out", required=True, type=Path,
                   help="folder for step_00..step_NN, all (the whole path) and the two originals")
    p.add_argument("--zip", action="store_true", help="also write OUT/interpolation.zip with every file")
    _audio_flags(p, folder=True)
    _model_flags(p)


def _original(t, sound: str) -> np.ndarray:
    """A source as it was recorded (a file, or a library sound's recording), at its own pitch."""
    from ..audio import load_note
    from ..latent import normalise_peak

    return normalise_peak(load_note(Path(sound) if Path(sound).exists() else t.library.audio_path(sound)))


def cmd_mix(args) -> None:
    from ..exports.files import write_sound
    from ..latent import square_weights, triangle_weights

    n = len(args.sources)
    if args.pad and args.weights:
        raise ValueError("give --weights or --pad, not both")
    if args.pad:
        x, y = _numbers(args.pad, 2, "--pad")
        if n not in (3, 4):
            raise ValueError("--pad needs 3 sources (triangle) or 4 (square)")
        weights = triangle_weights(x, y) if n == 3 else square_weights(x, y)
    else:
        weights = _numbers(args.weights, n, "--weights") if args.weights else [1.0] * n
    t = _timbral(args)
    y = t.mix(args.sources, weights, pitch=args.pitch)
    out = write_sound(args.out, y, bits=args.bits, rate=args.sr)
    w = np.asarray(weights) / np.sum(weights)
    print(f"{out}: " + ", ".join(f"{s} {wi:.2f}" for s, wi in zip(args.sources, w)))


def _mix_verb(sub) -> None:
    p = verb(sub, "mix", "Mix any number of sounds by weight, or 3-4 sounds from a point on a triangle/square pad.",
             "timbral mix cello.wav flute.wav organ.wav --weights 0.5,0.3,0.2 --out mix.wav\n"
             "  timbral mix a.wav b.wav c.wav d.wav --pad 0.25,0.75 --pitch C3 --out pad.flac", cmd_mix)
    p.add_argument("sources", nargs="+", metavar="SOUND", help=SOUND)
    p.add_argument("--weights", help="one non-negative weight per sound, e.g. 0.5,0.3,0.2 (default: equal)")
    p.add_argument("--pad", metavar="X,Y", help="a point in [0,1]x[0,1]: triangle corners (0,0) (1,0) (0.5,1); "
                                                "square corners (0,0) (1,0) (0,1) (1,1)")
    p.add_argument("--pitch", type=_pitch, help="pitch of the mix (default: the heaviest sound's)")
    p.add_argument("--out", required=True, type=Path, help="a .wav or .flac file")
    _audio_flags(p, folder=False)
    _model_flags(p)


def _numbers(text: str, n: int, flag: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not a comma-separated list of numbers") from None
    if len(values) != n:
        raise ValueError(f"{flag}: expected {n} numbers, got {len(values)}")
    return values


def cmd_random(args) -> None:
    from ..exports.files import write_sounds

    t = _timbral(args)
    sounds = t.random(args.n, temperature=args.temperature, seed=args.seed, pitch=args.pitch)
    tag = f"random_t{args.temperature:g}_s{args.seed}" if args.seed is not None else f"random_t{args.temperature:g}"
    written = write_sounds(args.out, {f"{tag}_{i:02d}": y for i, y in enumerate(sounds)}, fmt=args.format, bits=args.bits,
                           rate=args.sr)
    print(f"{len(written)} random sounds at pitch {args.pitch} in {args.out}")


def _random_verb(sub) -> None:
    p = verb(sub, "random", "Invent new sounds: draw timbres from the model (temperature: how adventurous).",
             "timbral random -n 8 --temperature 1 --seed 0 --out random/", cmd_random)
    p.add_argument("-n", type=int, default=8, help="how many sounds, 1-64 (default 8)")
    p.add_argument("--temperature", type=float, default=1.0, help="0 is the average timbre, 1 typical, 2+ wild (default 1)")
    p.add_argument("--seed", type=int, help="same seed, same sounds (default: new ones each time)")
    p.add_argument("--pitch", type=_pitch, default=60, help="pitch played (default 60, C4)")
    p.add_argument("--out", required=True, type=Path, help="folder for the sounds")
    _audio_flags(p, folder=True)
    _model_flags(p)


def cmd_map(args) -> None:
    from ..exports.pictures import map_html, map_png

    if args.out.suffix.lower() not in (".png", ".html"):
        raise ValueError(f"{args.out}: the map is written as .png or .html")
    t = _timbral(args)
    lib = t.library
    extra: dict[str, tuple[float, float]] = {}
    for f in args.add:
        name = _slug_of(str(f))
        extra[name if name not in extra else f"{name}_{len(extra) + 1}"] = lib.map.place(t.latent(f))
    (map_png if args.out.suffix.lower() == ".png" else map_html)(lib, args.out, extra=extra)
    trust = lib.map.trustworthiness(sample=min(len(lib), 3000))
    if args.json:
        print(json.dumps({"out": str(args.out), "n_sounds": len(lib), "trustworthiness": round(trust, 4),
                          "added": {k: [round(v, 5) for v in xy] for k, xy in extra.items()}}))
    else:
        print(f"{args.out}: {len(lib)} sounds, trustworthiness {trust:.3f}"
              + "".join(f"\n  {k} placed at ({x:.3f}, {y:.3f})" for k, (x, y) in extra.items()))


def _map_verb(sub) -> None:
    p = verb(sub, "map", "Draw the timbre map of the library, coloured by family (PNG, or interactive HTML).",
             "timbral map --out map.html --add cello.wav", cmd_map)
    p.add_argument("--out", required=True, type=Path, help="map.png or map.html")
    p.add_argument("--add", action="extend", nargs="+", default=[], metavar="SOUND",
                   help="your own sounds, placed and named on the map (repeat it or list several: --add a.wav --add b.flac)")
    p.add_argument("--json", action="store_true", help="print the map's figures as JSON")
    _model_flags(p)


def cmd_library(args) -> None:
    lib = _timbral(args).library
    found = lib.search(family=args.family, instrument=args.instrument, pitch=args.pitch, velocity=args.velocity, q=args.query)
    shown = found[: args.limit] if args.limit else found
    for s in shown:
        print(json.dumps(s.as_dict()) if args.json else f"{s.name:<48} {s.family:<11} {s.title}")
    if not args.json:
        print(f"{len(found)} of {len(lib)} sounds" + (f" ({len(shown)} shown)" if len(shown) < len(found) else ""))


def _library_verb(sub) -> None:
    p = verb(sub, "library", "Search the library sounds by family, instrument, pitch, velocity or name.",
             "timbral library --family flute --pitch 60", cmd_library)
    p.add_argument("--family", help="e.g. bass, brass, flute, guitar, keyboard, mallet, organ, reed, string, ...")
    p.add_argument("--instrument", help="an instrument name, e.g. flute_acoustic_fluidr3_gm_073")
    p.add_argument("--pitch", type=_pitch, help="MIDI pitch or note name")
    p.add_argument("--velocity", type=int, help="MIDI velocity")
    p.add_argument("-q", "--query", help="part of the name")
    p.add_argument("--limit", type=int, default=50, help="show at most this many (default 50; 0: all)")
    p.add_argument("--json", action="store_true", help="one JSON line per sound")
    _model_flags(p)


def cmd_export_sfz(args) -> None:
    from ..data.notes import parse_numbers
    from ..data.nsynth import slug
    from ..exports.files import sfz_instrument, write_zip

    if args.out.suffix.lower() != ".zip":
        raise ValueError(f"{args.out}: the instrument is written as a .zip (samples + .sfz)")
    pitches = parse_numbers(args.pitches, 0, 127, "--pitches")
    velocities = parse_numbers(args.velocities, 1, 127, "--velocities")
    name = slug(args.name or _slug_of(args.source))
    files = sfz_instrument(_timbral(args), args.source, name=name, pitches=pitches, velocities=velocities, bits=args.bits,
                           rate=args.sr)
    write_zip(args.out, files)
    print(f"{args.out}: {name}.sfz with {len(files) - 1} samples ({len(pitches)} pitches x {len(velocities)} velocity layers)")


def _export_sfz_verb(sub) -> None:
    p = verb(sub, "export-sfz", "Export a timbre as a multi-sampled SFZ instrument (ZIP of WAVs + .sfz) for any sampler. A sound "
                               "with a recording (a file, a library sound) is played as recorded at its own pitch and transposed "
                               "to the others, keeping its length (not shortened going up as a sampler would), in each "
                               "velocity layer the model makes.",
             "timbral export-sfz cello.wav --out cello.zip --pitches 24:96:3 --velocities 50,100", cmd_export_sfz)
    p.add_argument("source", metavar="SOUND", help=SOUND)
    p.add_argument("--out", required=True, type=Path, help="instrument.zip")
    p.add_argument("--name", help="instrument name (default: from the sound)")
    p.add_argument("--pitches", default="24:96:3",
                   help="sampled pitches: numbers or note names, a list or a range, e.g. 24:96:3 (default) or C1:C7:3; "
                        "each serves its neighbours")
    p.add_argument("--velocities", default="50,100", help="velocity layers (default 50,100)")
    _audio_flags(p, folder=False)
    _model_flags(p)


def cmd_export_morph(args) -> None:
    import dataclasses
    import time

    from ..data.notes import parse_numbers
    from ..data.nsynth import slug
    from ..exports.morph import FORMATS, render, written

    formats = FORMATS if args.format == "all" else tuple(f.strip() for f in args.format.split(","))
    pitches = parse_numbers(args.pitches, 0, 127, "--pitches")
    name = slug(args.name or "_to_".join(_slug_of(s) for s in (args.sources[0], args.sources[-1])))
    start = time.perf_counter()
    m = render(_timbral(args), args.sources, layers=args.layers, pitches=pitches, velocity=args.velocity,
               recorded=not args.from_model, name=name, labels=[_slug_of(s) for s in args.sources], cc=args.cc, curve=args.curve)
    m = dataclasses.replace(m, rate=args.sr)
    files = written(m, formats)
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, data in files.items():
        (args.out / file_name).write_bytes(data)
        print(f"{args.out / file_name}: {len(data) / 2**20:.1f} MB")
    print(f"{m.layers} layers x {len(m.pitches)} pitches from {' -> '.join(args.sources)}; CC {m.cc} moves through them "
          f"({time.perf_counter() - start:.1f} s)")


def _export_morph_verb(sub) -> None:
    p = verb(sub, "export-morph", "Export a blend path as a morph instrument for your DAW: its steps as layers every few "
             "semitones, a knob (one MIDI CC) moving through them, for SFZ players, DecentSampler and Bitwig's Sampler.",
             "timbral export-morph cello.wav flute_acoustic_fluidr3_gm_073-060-100 --out morph/ --layers 7 --pitches C2:C6:3",
             cmd_export_morph)
    p.add_argument("sources", nargs="+", metavar="SOUND", help=f"two to eight sounds, the path goes through them in order; {SOUND}")
    p.add_argument("--out", required=True, type=Path, help="folder for NAME-sfz.zip, NAME.dslibrary and NAME.multisample")
    p.add_argument("--name", help="instrument name (default: from the first and last sound)")
    p.add_argument("--layers", type=int, default=7, help="steps of the path, each a layer the knob moves through (3-17, default 7)")
    p.add_argument("--pitches", default="C2:C6:3", help="sampled pitches, each serving its neighbours (default C2:C6:3)")
    p.add_argument("--format", default="all", help="sfz, dspreset, multisample, a comma list, or all (default)")
    p.add_argument("--cc", type=int, default=1, help="the MIDI CC of the morph knob (default 1, the mod wheel)")
    p.add_argument("--curve", default="gain", choices=("gain", "power"),
                   help="crossfade curve: gain (straight lines, default: the layers start from one phase and add like copies) or power")
    p.add_argument("--velocity", type=int, default=100, help="the velocity the layers are decoded at (default 100)")
    p.add_argument("--from-model", action="store_true",
                   help="the model's sounds alone, decoded at every pitch (by default a sound with a recording is played as "
                        "recorded: the layers decoded at the first recording's pitch and transposed to the others, keeping their length)")
    p.add_argument("--sr", type=int, default=SAMPLE_RATE, choices=EXPORT_RATES,
                   help="sample rate of the samples: 48000 (default, the whole band) or 44100")
    _model_flags(p)


def cmd_export_nn(args) -> None:
    from ..exports.nn import MAX_TIMBRES, export_live

    if len(args.sources) > MAX_TIMBRES:
        raise ValueError(f"a live instrument plays at most {MAX_TIMBRES} timbres, got {len(args.sources)}")
    t = _timbral(args)
    timbres = np.stack([t.latent(s) for s in args.sources]) if args.sources else np.zeros((1, t.latent_dim), np.float32)
    path = export_live(t.model, args.out, timbres, iterations=args.iterations, sample_rate=args.sr)
    names = args.sources or ["the centre of the timbre space (no sound given)"]
    print(f"{path}: {path.stat().st_size / 2**20:.1f} MB for nn~ (Max/MSP, Pure Data); method decode (or forward): inlets "
          f"pitch, velocity, gate, then {t.latent_dim} latent offsets; one outlet, audio")
    for i, name in enumerate(names):
        print(f"  timbre {i}: {name}")
    if len(names) > 1:
        print(f"  'set timbre X' moves between them (0 to {len(names) - 1}, fractions blend neighbours)")
    print(f"  it plays in tune at {args.sr} Hz; at another rate send it 'set rate <Hz>' (nn~ does not tell it its rate)")


def _export_nn_verb(sub) -> None:
    from ..exports.nn import MAX_ITERATIONS
    from ..phase import PLAY_ITERATIONS

    p = verb(sub, "export-nn", "Export the model as a live instrument for Max/MSP and Pure Data (the nn~ external): play it "
             "from a keyboard with pitch, velocity and gate signals, one voice per channel of mc.nn~.",
             "timbral export-nn cello.wav flute_acoustic_fluidr3_gm_073-060-100 --out timbral.ts", cmd_export_nn)
    p.add_argument("sources", nargs="*", metavar="SOUND", help=f"the timbres it plays, its attribute 'timbre' moving "
                   f"between them (default: the centre of the timbre space); {SOUND}")
    p.add_argument("--out", required=True, type=Path, help="the TorchScript file, NAME.ts")
    p.add_argument("--iterations", type=int, default=PLAY_ITERATIONS,
                   help=f"phase rebuilding passes per note (0-{MAX_ITERATIONS}, default {PLAY_ITERATIONS}): fewer start notes sooner, "
                        "more sound a little cleaner; attribute 'iterations' changes it live. Only a spectrogram model's phase is rebuilt: "
                        "the default model renders its audio and ignores it")
    p.add_argument("--sr", type=int, default=SAMPLE_RATE, choices=EXPORT_RATES,
                   help="the rate your Max or Pd runs at (default 48000; Pd often runs at 44100): nn~ does not tell the module "
                        "its rate, so it plays in tune at this one until told another with 'set rate <Hz>'")
    _model_flags(p)


def cmd_reconstruct(args) -> None:
    from ..exports.files import write_sound
    from ..phase import spectral_convergence
    from ..spectral import stft

    t = _timbral(args)
    a = t.analyse(args.input, args.pitch)
    e = t.encode(a, fit=args.fit)
    out = t.decode(e, e.pitch, recorded=False)  # what the model makes of it, at the level of a velocity-100 note
    write_sound(args.out, out, bits=args.bits, rate=args.sr)
    y = a.note
    sc = float(spectral_convergence(out * np.max(np.abs(y)) / max(np.max(np.abs(out)), 1e-9), stft(y).abs().numpy()))
    if args.json:
        print(json.dumps({"in": str(args.input), "out": str(args.out), "pitch": e.pitch, "pitched": e.pitched,
                          "remarks": list(e.remarks), "spectral_convergence_db": round(sc, 2)}))
    else:
        print(f"{args.out}: as the model hears {args.input}; spectral convergence {sc:.1f} dB"
              + "".join(f"\n  {r}" for r in e.remarks))


def _reconstruct_verb(sub) -> None:
    p = verb(sub, "reconstruct", "Hear how the model hears a sound: encode it and decode it again.",
             "timbral reconstruct cello.wav cello_model.wav --json", cmd_reconstruct)
    p.add_argument("input", type=Path, metavar="IN", help="an audio file")
    p.add_argument("out", type=Path, metavar="OUT", help="a .wav or .flac file")
    p.add_argument("--pitch", type=_pitch, help="the pitch played, e.g. 60 or C4 (default: from the name, else detected)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    _fit_flag(p)
    _audio_flags(p, folder=False)
    _model_flags(p)


def _fit_flag(p: argparse.ArgumentParser) -> None:
    from ..model import FIT_STEPS, MAX_FIT_STEPS

    p.add_argument("--fit", type=_fit_steps, nargs="?", const=FIT_STEPS, default=0, metavar="STEPS",
                   help=f"fit the latent to your sound so the model rebuilds it more closely: {FIT_STEPS} steps "
                        f"(about a second) when no number is given, up to {MAX_FIT_STEPS}; the fitted latent sits "
                        "further from where the encoder put it, so the map places it less surely (default: off)")


def _fit_steps(text: str) -> int:
    """``--fit``'s optional number; anything else was most likely a sound it swallowed."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of steps: put --fit after your sounds, or write "
                                         "--fit=STEPS") from None


def _pitch(text: str) -> int:
    """A MIDI number (60) or a note name (C4, F#3, Bb2)."""
    from ..pitch import PitchError, parse_pitch

    try:
        return parse_pitch(text)
    except PitchError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a MIDI note 0-127 or a note name like C4, F#3 or Bb2") from None


def _model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="model folder (default: the shipped models/default)")
    p.add_argument("--library", type=Path, help="dataset whose notes are the library (default: data/library)")


def _audio_flags(p: argparse.ArgumentParser, folder: bool) -> None:
    p.add_argument("--bits", type=int, default=24, choices=(16, 24), help="sample size of the files (default 24)")
    p.add_argument("--sr", type=int, default=SAMPLE_RATE, choices=EXPORT_RATES,
                   help="sample rate of the files: 48000 (default, the whole band) or 44100")
    if folder:
        p.add_argument("--format", default="wav", choices=("wav", "flac"), help="file format (default wav)")


SOUND = "a WAV/FLAC/OGG/MP3/AIFF file or the name of a library sound (see: timbral library)"


def add_parsers(sub) -> None:
    """Every verb of playing with timbres, each parser beside its command."""
    for add in (_encode_verb, _interpolate_verb, _mix_verb, _random_verb, _map_verb, _library_verb, _export_sfz_verb,
                _export_morph_verb, _export_nn_verb, _reconstruct_verb):
        add(sub)
