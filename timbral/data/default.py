"""The default dataset: about 1,800 instruments from five independent sources, split by instrument.

- SoundFonts: FluidR3_GM (Debian ``fluid-soundfont-gm``) and its GS variation banks
  (``fluid-soundfont-gs``), TimGM6mb (inside the PyPI package ``pretty_midi``), Csound's
  sf_GMbank (``csound-soundfont``) and a sampled OPL3 FM chip (``opl3-soundfont``): every
  melodic preset, each set of samples once (:func:`~timbral.data.sf2.distinct_presets`);
- a variant of each such preset (a darker filter, or a slow swell with vibrato) where it sounds
  audibly different;
- every drum of the SoundFonts' drum kits, each an instrument of the ``percussion`` family
  (:func:`~timbral.data.render.render_drums`: a drum that sounds like one already kept is left out);
- 1,000 procedural instruments (:mod:`~timbral.data.synth`);
- with ``voices`` (the studio's library has them): six of Festival's diphone voices singing five vowels each
  (:mod:`~timbral.data.voices`), the ``vocal`` family's people. The shipped default model was trained
  before them; ``timbral data default --voices`` renders them into the dataset.

Every instrument plays 8 pitches of its own (:func:`~timbral.data.notes.spread_pitches`: one in
each eighth of its range, seeded by the instrument; 24-96 for a SoundFont preset, silent keys
dropped) at two velocities: about 28,000 notes, and every semitone of 24-96 is played by every
source and family. The split holds the OPL3 source out whole (its test split), so the default model
is measured on a source it never heard, and six pitches out of training (one in each octave, each a
different pitch class), so it is measured at pitches it never heard; the other sources'
instruments go to train and valid.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from ..atomic import write_json
from .families import MELODIC_PROGRAMS
from .info import BUILD_FILE
from .notes import RenderReport, Source
from .nsynth import read_examples
from .render import VARIANTS, PresetChoice, render_drums, render_presets
from .sf2 import distinct_presets
from .split import make_split, write_split
from .synth import render_synth
from .voices import ENGINE_NAME as VOICE_ENGINE
from .voices import render_voices

SF2_DIR = Path("/usr/share/sounds/sf2")
HELD_OUT_SOURCE = "OPL-3_FM_128M.sf2"  # the test split: a whole source no default model trains on
# SoundFont file -> the Debian package that installs it (TimGM6mb comes with pretty_midi)
DEBIAN_SOUNDFONTS = {"FluidR3_GM.sf2": "fluid-soundfont-gm", "FluidR3_GS.sf2": "fluid-soundfont-gs",
                     "sf_GMbank.sf2": "csound-soundfont", "OPL-3_FM_128M.sf2": "opl3-soundfont"}
TIMGM = "TimGM6mb.sf2"  # inside the PyPI package pretty_midi
SOUNDFONT_NAMES = ("FluidR3_GM.sf2", "FluidR3_GS.sf2", TIMGM, "sf_GMbank.sf2", "OPL-3_FM_128M.sf2")  # the order they render in
FLUID_R3 = SF2_DIR / "FluidR3_GM.sf2"
PITCH_RANGE = "24:96"  # a SoundFont preset's pitches are drawn from C1-C7
PITCHES_PER_INSTRUMENT = 8
HELD_OUT_PITCHES = (33, 38, 55, 64, 77, 95)  # never trained on: A1 D2 G3 E4 F5 B6, one per octave (seed 0)
VELOCITIES = "50,100"
LIBRARY_VELOCITIES = "100"  # the studio's library: the default dataset's loud notes (its soft ones, the model plays softly)
AUDIO_FORMAT = "flac"  # a third of WAV's disk space, the same samples
SYNTH_INSTRUMENTS = 1000
SEED = 0
VOICE_SOURCE = "voices"


def default_soundfonts(names: Sequence[str] | None = None, folder: str | os.PathLike | None = None) -> list[Path]:
    """Paths of the default SoundFonts (or of those ``names``), in order; a clear error names each
    package that is missing.

    With ``folder``, each is read from there instead, as ``NAME.sf2`` or compressed as ``NAME.sf3`` (``sf3convert``,
    as ``scripts/gpu pack`` does); the held-out source may be absent there, the others may not."""
    chosen = [name for name in SOUNDFONT_NAMES if names is None or name in names]
    if folder is not None:
        return _soundfonts_in(Path(folder), chosen)
    import pretty_midi

    tim = Path(pretty_midi.__file__).parent / TIMGM
    paths = [tim if name == TIMGM else SF2_DIR / name for name in chosen]
    missing = [f"{p} (install Debian's {DEBIAN_SOUNDFONTS[p.name]}; scripts/setup does it)"
               for p in paths if p != tim and not p.is_file()]
    if tim in paths and not tim.is_file():
        missing.append(f"{tim} (reinstall the PyPI package pretty_midi)")
    if missing:
        raise FileNotFoundError("default SoundFonts missing: " + "; ".join(missing))
    return paths


def _soundfonts_in(folder: Path, names: list[str]) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of SoundFonts")
    found = {name: next((p for p in (folder / name, (folder / name).with_suffix(".sf3")) if p.is_file()), None) for name in names}
    missing = [f"{name} (or .sf3)" for name, path in found.items() if path is None and name != HELD_OUT_SOURCE]
    if missing:
        raise FileNotFoundError(f"default SoundFonts missing from {folder}: " + ", ".join(missing))
    return [path for path in found.values() if path is not None]


def default_presets(soundfonts: Sequence[Path] | None = None) -> list[PresetChoice]:
    """Every distinct melodic preset of the default SoundFonts (or of ``soundfonts``), then one variant of each
    (alternating)."""
    presets = distinct_presets(soundfonts or default_soundfonts(), set(MELODIC_PROGRAMS))
    chosen = [PresetChoice(p.soundfont, p.bank, p.program) for p in presets]
    variants = list(VARIANTS)
    return chosen + [PresetChoice(c.soundfont, c.bank, c.program, variants[i % len(variants)]) for i, c in enumerate(chosen)]


def default_sources(synth_instruments: int = SYNTH_INSTRUMENTS, voices: bool = False,
                    soundfonts: Sequence[Path] | None = None) -> dict[str, Source]:
    """The default dataset's sources by name, in the order they render (a new source is one entry here); with
    ``voices``, Festival's singing voices too; ``soundfonts`` in place of :func:`default_soundfonts`."""
    soundfonts = soundfonts or default_soundfonts()
    sources: dict[str, Source] = {
        "SoundFont presets": partial(render_presets, default_presets(soundfonts), pitches=PITCH_RANGE,
                                     pitches_per_instrument=PITCHES_PER_INSTRUMENT, seed=SEED),
        "SoundFont drum kits": partial(render_drums, soundfonts),
        "procedural instruments": partial(render_synth, count=synth_instruments, seed=SEED,
                                          pitches_per_instrument=PITCHES_PER_INSTRUMENT),
    }
    if voices:
        sources[VOICE_SOURCE] = partial(render_voices, pitches_per_instrument=PITCHES_PER_INSTRUMENT, seed=SEED)
    return sources


def has_voices(examples: dict[str, dict]) -> bool:
    """Whether a dataset (or library) holds the voices source's notes."""
    return any(m.get("synth") == VOICE_ENGINE for m in examples.values())


def build_default_dataset(out: str | os.PathLike, *, velocities: str = VELOCITIES, synth_instruments: int = SYNTH_INSTRUMENTS,
                          voices: bool = False, soundfonts: str | os.PathLike | None = None, workers: int | None = None,
                          progress: bool = True) -> RenderReport:
    """Render the default dataset (at ``velocities``: :data:`LIBRARY_VELOCITIES` and ``voices`` make the studio's
    library; with ``synth_instruments`` of the synth engine; the SoundFonts read from the folder ``soundfonts``
    where given) into ``out``, write its seeded split and ``build.json`` (what it took).

    Without the held-out source (a folder may leave it out: a training machine needs none), the split has no test part."""
    start = time.monotonic()
    fonts = default_soundfonts(folder=soundfonts)
    held_out = next((p.name for p in fonts if p.stem == Path(HELD_OUT_SOURCE).stem), None)
    report = RenderReport()
    for source in default_sources(synth_instruments, voices, fonts).values():
        report.merge(source(out, velocities=velocities, workers=workers, audio_format=AUDIO_FORMAT, progress=progress))
    write_split(out, make_split(read_examples(out), seed=SEED, hold_out_source=held_out, test=0.1 if held_out else 0.0,
                                hold_out_pitches=HELD_OUT_PITCHES))
    write_json(Path(out) / BUILD_FILE, {"seconds": round(time.monotonic() - start, 1), "cpus": os.cpu_count(),
                                        "notes_written": len(report.written)})
    return report
