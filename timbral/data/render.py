"""Render SoundFont presets into the NSynth layout, following NSynth's protocol.

Each note is held for 3 s and released for 1 s, rendered by FluidSynth at 48 kHz (Timbral's rate) with
reverb and chorus off, mixed to mono and stored as 16-bit WAV. A SoundFont's drum kits (bank 128) are
rendered drum by drum (:func:`render_drums`): each drum of each kit an instrument of the ``percussion``
family, played at its key, unpitched. A TiMidity config (``.cfg``, GUS
patches such as Debian's freepats) renders the same way through TiMidity++ (:mod:`~timbral.data.timidity`). Renders that are silent
(the key lies outside the preset's range) or clipped are dropped and counted.
Output is deterministic: FluidSynth's float output (no dither), one fresh voice per note.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..pitch import NOMINAL_PITCH
from ..settings import SAMPLE_RATE
from .families import ELECTRONIC_KITS, GM_DRUMS, GM_PROGRAMS, MELODIC_PROGRAMS
from .notes import (
    NOTE_ON_SECONDS,
    RELEASE_SECONDS,
    BankSynth,
    RenderReport,
    parse_numbers,
    render_instruments,
    spread_pitches,
)
from .nsynth import check_audio_format, note_metadata, slug, write_note
from .sf2 import PERCUSSION_BANK
from .timidity import TimiditySynth

GAIN = 1.0  # the loudest default preset peaks at -1.3 dBFS at velocity 127
SILENT_PEAK = 10 ** (-60 / 20)  # quieter than -60 dBFS: nothing sounded
CLIP_PEAK = 0.999


# Variants of a preset, made by offsetting SoundFont generators (units of the SF2 specification):
# a new instrument where the result is audibly different from the preset (VARIANT_MIN_DB).
VARIANTS: dict[str, dict[int, float]] = {
    "dark": {8: -4200.0, 9: 100.0},  # filter cutoff 3.5 octaves lower (cents), 10 dB of resonance (cB)
    "swell": {34: 8400.0, 38: 1200.0, 6: 30.0, 24: -600.0},  # attack x128, release x2 (timecents); vibrato 30 cents at ~5.8 Hz
}
VARIANT_MIN_DB = 4.0  # mean log-spectral difference from the preset at C4, loud


class SoundFontError(ValueError):
    """A SoundFont that FluidSynth cannot load."""


class SoundFontSynth:
    """One SoundFont loaded in FluidSynth, rendering single notes as float32 mono (a :class:`~timbral.data.notes.BankSynth`)."""

    def __init__(self, path: str | os.PathLike, sr: int = SAMPLE_RATE, gain: float = GAIN):
        import fluidsynth  # loads libfluidsynth; imported here so the rest of Timbral works without it

        self._lib = fluidsynth._fl
        self._lib.fluid_synth_write_float.argtypes = [ctypes.c_void_p, ctypes.c_int] + [
            ctypes.c_void_p, ctypes.c_int, ctypes.c_int] * 2
        self._lib.fluid_synth_set_gen.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_float]
        self.path = Path(path)
        self.sr = sr
        if not self.path.is_file():
            raise SoundFontError(f"{self.path}: no such SoundFont file")
        self._synth = fluidsynth.Synth(
            gain=float(gain), samplerate=float(sr),  # an int would be ignored by FluidSynth
            **{"synth.reverb.active": 0, "synth.chorus.active": 0, "synth.polyphony": 64},
        )
        self._sfid = self._synth.sfload(str(self.path))
        if self._sfid < 0:
            raise SoundFontError(f"{self.path}: FluidSynth cannot load it (not a valid SoundFont 2 file)")
        # FluidSynth's very first note differs in its first block; play one so every note renders alike
        first = next(((b, p) for b in range(128) for p in range(128) if self.preset_name(p, b) is not None), None)
        if first is None:
            raise SoundFontError(f"{self.path}: the SoundFont has no melodic presets")
        self.render(first[1], 60, 100, bank=first[0])

    def preset_name(self, program: int, bank: int = 0) -> str | None:
        """The name of the preset at ``bank``/``program``, or ``None`` where the SoundFont has none."""
        return self._synth.sfpreset_name(self._sfid, bank, program)

    def render(self, program: int, pitch: int, velocity: int, bank: int = 0, variant: str | None = None) -> np.ndarray:
        """Hold ``pitch`` for 3 s, release it for 1 s: 4 s of float32 mono (``variant``: see :data:`VARIANTS`)."""
        s = self._synth
        s.program_select(0, self._sfid, bank, program)
        for generator, offset in VARIANTS[variant].items() if variant else ():
            self._lib.fluid_synth_set_gen(self._synth.synth, 0, generator, offset)
        s.noteon(0, pitch, velocity)
        on = self._write(round(NOTE_ON_SECONDS * self.sr))
        s.noteoff(0, pitch)
        off = self._write(round(RELEASE_SECONDS * self.sr))
        s.all_sounds_off(0)
        s.system_reset()
        return np.concatenate([on, off])

    def _write(self, n: int) -> np.ndarray:
        left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self._lib.fluid_synth_write_float(self._synth.synth, n, left.ctypes.data, 0, 1, right.ctypes.data, 0, 1)
        return 0.5 * (left + right)

    def close(self) -> None:
        self._synth.delete()


@dataclass(frozen=True)
class PresetChoice:
    """One preset to render: SoundFont file, bank, GM program, and a variant of :data:`VARIANTS` or ``None``."""

    soundfont: str
    bank: int
    program: int
    variant: str | None = None

    @property
    def instrument_str(self) -> str:
        """The instrument's NSynth id, e.g. ``keyboard_acoustic_fluidr3_gm_000`` or ``..._b008_024_dark``."""
        _, family, source = GM_PROGRAMS[self.program]
        bank = f"_b{self.bank:03d}" if self.bank else ""
        variant = f"_{self.variant}" if self.variant else ""
        return f"{family or 'mallet'}_{source}_{slug(Path(self.soundfont).stem)}{bank}_{self.program:03d}{variant}"


@dataclass(frozen=True)
class _Job:
    preset: PresetChoice  # its soundfont as an absolute path
    pitches: tuple[int, ...]
    velocities: tuple[int, ...]
    out: str
    gain: float
    audio_format: str


_SYNTHS: dict[str, BankSynth] = {}  # per worker process: each bank is loaded once
# what plays a bank, by its file's suffix; FluidSynth plays any other (.sf2, .sf3)
BANK_FORMATS: dict[str, type[BankSynth]] = {".cfg": TimiditySynth}


def open_synth(path: str | os.PathLike, gain: float = GAIN) -> BankSynth:
    """What renders the bank at ``path`` (:data:`BANK_FORMATS`): TiMidity++ for a TiMidity config (``.cfg``),
    FluidSynth for a SoundFont."""
    return BANK_FORMATS.get(Path(path).suffix.lower(), SoundFontSynth)(path, gain=gain)


def preset_title(preset_name: str, program: int) -> str:
    """The name people see for a preset: its own, or its GM program's where it has none worth
    showing (no letters in it, as the OPL3 bank's "014").

    >>> preset_title("Violin", 40), preset_title(" 014 ", 40), preset_title("", 0)
    ('Violin', 'Violin', 'Acoustic Grand Piano')
    """
    name = preset_name.strip()
    return name if any(c.isalpha() for c in name) else GM_PROGRAMS[program][0]


def _render_instrument(job: _Job) -> RenderReport:
    """The notes of one preset, with renders dropped by reason, the preset if the SoundFont lacks it,
    or the instrument if it is a variant too close to its preset."""
    p = job.preset
    key = f"{p.soundfont}@{job.gain}"
    synth = _SYNTHS.get(key) or _SYNTHS.setdefault(key, open_synth(p.soundfont, job.gain))
    preset = synth.preset_name(p.program, p.bank)
    report = RenderReport()
    if preset is None:
        report.missing_presets.append(f"{slug(Path(p.soundfont).stem)}@{p.bank}:{p.program}")
        return report
    _, family, source = GM_PROGRAMS[p.program]
    instrument = p.instrument_str
    if p.variant and _difference_db(synth.render(p.program, 60, 100, p.bank),
                                    synth.render(p.program, 60, 100, p.bank, p.variant)) < VARIANT_MIN_DB:
        report.close_variants.append(instrument)
        return report
    name = preset_title(preset, p.program) + (f" ({p.variant})" if p.variant else "")
    extra = {"bank": p.bank} if p.bank else {}
    if p.variant:  # the split keeps a variant with its preset: they play the same samples
        extra.update(variant=p.variant, variant_of=instrument.removesuffix(f"_{p.variant}"))
    for pitch in job.pitches:
        for velocity in job.velocities:
            y = synth.render(p.program, pitch, velocity, p.bank, p.variant)
            peak = float(np.max(np.abs(y)))
            if peak < SILENT_PEAK:
                report.dropped["silent"] += 1
                continue
            if peak >= CLIP_PEAK:
                report.dropped["clipped"] += 1
                continue
            meta = note_metadata(
                instrument, family or "mallet", source, pitch, velocity, instrument_name=name,
                soundfont=Path(p.soundfont).name, program=p.program, **extra,
            )
            write_note(job.out, meta, y, job.audio_format)
            report.written[meta["note_str"]] = meta
    return report


def _difference_db(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two notes' log spectra (dB, where either sounds within 40 dB of the louder's peak)."""
    return _spectra_difference_db(_log_spectrum(a), _log_spectrum(b))


def _log_spectrum(y: np.ndarray) -> np.ndarray:
    from scipy.signal import stft

    return 20 * np.log10(np.abs(stft(y, nperseg=1024)[2]) + 1e-9)


def _spectra_difference_db(*spectra: np.ndarray) -> float:
    floor = max(s.max() for s in spectra) - 60
    a_db, b_db = (np.maximum(s, floor) for s in spectra)
    sounding = np.maximum(a_db, b_db) > floor + 20  # where either really sounds
    return float(np.mean(np.abs(a_db - b_db)[sounding]))


def render_soundfonts(
    soundfonts: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    programs: Sequence[int] | str = MELODIC_PROGRAMS,
    **options,
) -> RenderReport:
    """Render every (SoundFont, GM program of bank 0, pitch, velocity) into ``out`` in the NSynth layout.

    ``options`` are those of :func:`render_presets` (``pitches``, ``velocities``, ``pitches_per_instrument``,
    ``seed``, ``workers``, ``gain``, ``audio_format``, ``progress``). Notes already in ``out`` are kept (a folder
    can collect several renders). Raises :class:`SoundFontError` (:class:`~timbral.data.timidity.TimidityError` for a
    TiMidity config) before any work if a bank does not load.
    """
    programs = parse_numbers(programs, 0, 127, "programs")
    presets = [PresetChoice(str(sf), 0, p) for sf in soundfonts for p in programs]
    return render_presets(presets, out, **options)


def render_presets(
    presets: Sequence[PresetChoice],
    out: str | os.PathLike,
    *,
    pitches: Sequence[int] | str = (48, 60, 72),
    velocities: Sequence[int] | str = (50, 100),
    pitches_per_instrument: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    gain: float = GAIN,
    audio_format: str = "wav",
    progress: bool = True,
) -> RenderReport:
    """Render every (preset, pitch, velocity) into ``out`` in the NSynth layout (as :func:`render_soundfonts`).

    With ``pitches_per_instrument`` each preset plays that many pitches of its own instead, drawn
    across the range of ``pitches`` (lowest to highest) by :func:`~timbral.data.notes.spread_pitches`
    with ``seed``: no pitch grid shared by every preset. ``audio_format`` ``"flac"`` stores the notes as
    FLAC (a third of the space of WAV).
    """
    check_audio_format(audio_format)
    if not presets:
        raise ValueError("give at least one SoundFont")
    if not 0 < gain <= 10:
        raise ValueError(f"gain must be in (0, 10], got {gain}")
    unknown = sorted({p.variant for p in presets} - set(VARIANTS) - {None})
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    soundfonts = {p.soundfont: str(Path(p.soundfont).resolve()) for p in presets}
    for path in soundfonts.values():
        open_synth(path).close()  # fail fast, with the file's name
    if any(p.variant and p.soundfont.lower().endswith(".cfg") for p in presets):
        raise ValueError("variants change SoundFont generators; a TiMidity config has none")
    pitches = parse_numbers(pitches, 0, 127, "pitches")
    velocities = parse_numbers(velocities, 1, 127, "velocities")
    if pitches_per_instrument is not None and not (isinstance(pitches_per_instrument, int) and 1 <= pitches_per_instrument <= 128):
        raise ValueError(f"pitches_per_instrument must be 1-128, got {pitches_per_instrument!r}")

    def own_pitches(p: PresetChoice) -> tuple[int, ...]:
        if pitches_per_instrument is None:
            return pitches
        return spread_pitches(pitches[0], pitches[-1], pitches_per_instrument, p.instrument_str, seed)

    jobs = [_Job(replace(p, soundfont=soundfonts[p.soundfont]), own_pitches(p), velocities, str(out), gain, audio_format)
            for p in presets]
    return render_instruments(_render_instrument, jobs, lambda j: len(j.pitches) * len(j.velocities), out,
                              desc="rendering SoundFont notes", workers=workers, progress=progress)


# --- drum kits ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _DrumJob:
    soundfont: str  # an absolute path
    kits: tuple[int, ...]  # the programs of bank 128 that hold drum kits
    key: int
    velocities: tuple[int, ...]
    out: str
    gain: float
    audio_format: str


def drum_kits(soundfont: str | os.PathLike) -> tuple[int, ...]:
    """The programs of a SoundFont's percussion bank (128) that hold a drum kit."""
    synth = open_synth(soundfont)
    try:
        return tuple(p for p in range(128) if synth.preset_name(p, PERCUSSION_BANK) is not None)
    finally:
        synth.close()


def _render_drum(job: _DrumJob) -> RenderReport:
    """The drum at ``job.key`` of each kit of a SoundFont, as an instrument of its own unless it sounds like the
    same key of a kit already kept (many kits share most of their drums)."""
    key = f"{job.soundfont}@{job.gain}"
    synth = _SYNTHS.get(key) or _SYNTHS.setdefault(key, open_synth(job.soundfont, job.gain))
    report, kept = RenderReport(), []
    stem = slug(Path(job.soundfont).stem)
    for kit in job.kits:
        kit_name = synth.preset_name(kit, PERCUSSION_BANK) or f"kit {kit}"
        loud = synth.render(kit, job.key, 100, PERCUSSION_BANK)
        if float(np.max(np.abs(loud))) < SILENT_PEAK:  # the kit has no drum at this key
            report.dropped["silent"] += 1
            continue
        spectrum = _log_spectrum(loud)
        if any(_spectra_difference_db(spectrum, other) < VARIANT_MIN_DB for other in kept):
            report.close_variants.append(f"{stem}_kit{kit:03d}_{job.key:03d}")
            continue
        kept.append(spectrum)
        source = "electronic" if any(word in kit_name.lower() for word in ELECTRONIC_KITS) else "acoustic"
        instrument = f"percussion_{source}_{stem}_kit{kit:03d}_{job.key:03d}"
        for velocity in job.velocities:
            y = loud if velocity == 100 else synth.render(kit, job.key, velocity, PERCUSSION_BANK)
            peak = float(np.max(np.abs(y)))
            if peak < SILENT_PEAK or peak >= CLIP_PEAK:
                report.dropped["silent" if peak < SILENT_PEAK else "clipped"] += 1
                continue
            meta = note_metadata(instrument, "percussion", source, NOMINAL_PITCH, velocity, qualities=("percussive",),
                                 instrument_name=f"{GM_DRUMS[job.key]} ({kit_name.strip()})", soundfont=Path(job.soundfont).name,
                                 bank=PERCUSSION_BANK, program=kit, key=job.key, pitched=False)
            write_note(job.out, meta, y, job.audio_format)
            report.written[meta["note_str"]] = meta
    return report


def render_drums(soundfonts: Sequence[str | os.PathLike], out: str | os.PathLike, *, velocities: Sequence[int] | str = (50, 100),
                 workers: int | None = None, gain: float = GAIN, audio_format: str = "wav", progress: bool = True) -> RenderReport:
    """Render every drum (GM keys 35-81) of every drum kit of the ``soundfonts`` into ``out``: each one an instrument of
    the ``percussion`` family, played at its key for 3 s and released for 1 s, at each of ``velocities``, labelled
    unpitched at C4 (where an unpitched sound plays); a drum that sounds like the same key of a kit kept before is
    left out (within :data:`VARIANT_MIN_DB`)."""
    check_audio_format(audio_format)
    velocities = parse_numbers(velocities, 1, 127, "velocities")
    jobs = [_DrumJob(str(Path(sf).resolve()), kits, key, velocities, str(out), gain, audio_format)
            for sf in soundfonts if (kits := drum_kits(sf)) for key in GM_DRUMS]
    return render_instruments(_render_drum, jobs, lambda j: len(j.kits), out, desc="rendering drum kits",
                              workers=workers, progress=progress, chunksize=2)
