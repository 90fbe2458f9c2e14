"""Render SoundFont presets into the NSynth layout, following NSynth's protocol.

Each note is held for 3 s and released for 1 s, rendered by FluidSynth at 16 kHz with
reverb and chorus off, mixed to mono and stored as 16-bit WAV. Renders that are silent
(the key lies outside the preset's range) or clipped are dropped and counted.
Output is deterministic: FluidSynth's float output (no dither), one fresh voice per note.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE
from ..pitch import parse_pitch
from ..progress import Bar
from .families import GM_PROGRAMS, MELODIC_PROGRAMS
from .nsynth import note_metadata, read_examples, slug, write_examples, write_note

NOTE_ON_SECONDS = 3.0
RELEASE_SECONDS = 1.0
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


def parse_numbers(text: str | Iterable[int], lo: int, hi: int, what: str) -> tuple[int, ...]:
    """Parse ``"48,60,72"``, a range ``"24:96:2"`` (end included) or a mix of both.

    For ``pitches``, note names work too: ``"C2,E2,G2"``, ``"C1:C7:3"``.
    Returns sorted unique values; anything outside ``lo..hi`` or unparsable raises ``ValueError``.
    """
    number = _number_or_note if "pitches" in what else int
    if not isinstance(text, str):
        values = list(text)
    else:
        values = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            try:
                bounds = [number(b) for b in part.split(":")[:2]] + [int(b) for b in part.split(":")[2:]]
            except ValueError:
                example = "24:96:2" if number is int else "24:96:3 or C1:C7:3"
                raise ValueError(f"{what}: {part!r} is not a number or a range like {example}") from None
            if len(bounds) == 1:
                values.append(bounds[0])
            elif len(bounds) in (2, 3):
                start, stop, step = (*bounds, 1)[:3]
                if step <= 0 or stop < start:
                    raise ValueError(f"{what}: range {part!r} needs start <= end and a positive step")
                values.extend(range(start, stop + 1, step))
            else:
                raise ValueError(f"{what}: {part!r} has too many ':'")
    if not values:
        raise ValueError(f"{what}: no values given")
    bad = [v for v in values if not isinstance(v, (int, np.integer)) or not lo <= v <= hi]
    if bad:
        raise ValueError(f"{what}: {bad[:5]} outside {lo}-{hi}")
    return tuple(sorted(set(int(v) for v in values)))


def _number_or_note(text: str) -> int:
    return int(text) if text.strip().lstrip("-").isdigit() else parse_pitch(text)


class SoundFontSynth:
    """One SoundFont loaded in FluidSynth, rendering single notes as float32 mono."""

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


@dataclass
class RenderReport:
    """What a render wrote and what it dropped, by reason."""

    written: dict[str, dict] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)
    missing_presets: list[str] = field(default_factory=list)
    close_variants: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"wrote {len(self.written)} notes"]
        out += [f"dropped {n} {reason} renders" for reason, n in sorted(self.dropped.items())]
        if self.missing_presets:
            out.append(f"skipped {len(self.missing_presets)} programs the SoundFonts lack: {', '.join(self.missing_presets[:8])}")
        if self.close_variants:
            out.append(f"left out {len(self.close_variants)} variants that sound too much like their preset")
        return out


@dataclass(frozen=True)
class _Job:
    soundfont: str
    bank: int
    program: int
    variant: str | None
    pitches: tuple[int, ...]
    velocities: tuple[int, ...]
    out: str
    gain: float


_SYNTHS: dict[str, SoundFontSynth] = {}  # per worker process: each SoundFont is loaded once


def _render_instrument(job: _Job) -> tuple[list[dict], Counter, str | None, str | None]:
    """(notes written, renders dropped by reason, the preset if the SoundFont lacks it,
    the instrument if it is a variant too close to its preset)."""
    key = f"{job.soundfont}@{job.gain}"
    synth = _SYNTHS.get(key) or _SYNTHS.setdefault(key, SoundFontSynth(job.soundfont, gain=job.gain))
    preset = synth.preset_name(job.program, job.bank)
    tag = slug(Path(job.soundfont).stem)
    if preset is None:
        return [], Counter(), f"{tag}@{job.bank}:{job.program}", None
    _, family, source = GM_PROGRAMS[job.program]
    if family is None:  # a non-melodic program asked for by number: keep it, call it what NSynth would
        family = "mallet"
    bank = f"_b{job.bank:03d}" if job.bank else ""
    instrument = f"{family}_{source}_{tag}{bank}_{job.program:03d}" + (f"_{job.variant}" if job.variant else "")
    if job.variant and _difference_db(synth.render(job.program, 60, 100, job.bank),
                                      synth.render(job.program, 60, 100, job.bank, job.variant)) < VARIANT_MIN_DB:
        return [], Counter(), None, instrument
    name = (preset.strip() or GM_PROGRAMS[job.program][0]) + (f" ({job.variant})" if job.variant else "")
    extra = {"bank": job.bank} if job.bank else {}
    if job.variant:  # the split keeps a variant with its preset: they play the same samples
        extra.update(variant=job.variant, variant_of=instrument.removesuffix(f"_{job.variant}"))
    notes, dropped = [], Counter()
    for pitch in job.pitches:
        for velocity in job.velocities:
            y = synth.render(job.program, pitch, velocity, job.bank, job.variant)
            peak = float(np.max(np.abs(y)))
            if peak < SILENT_PEAK:
                dropped["silent"] += 1
                continue
            if peak >= CLIP_PEAK:
                dropped["clipped"] += 1
                continue
            meta = note_metadata(
                instrument, family, source, pitch, velocity, instrument_name=name,
                soundfont=Path(job.soundfont).name, program=job.program, **extra,
            )
            write_note(job.out, meta, y)
            notes.append(meta)
    return notes, dropped, None, None


def _difference_db(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two notes' log spectra (dB, where either sounds within 40 dB of the louder's peak)."""
    from scipy.signal import stft

    spectra = [20 * np.log10(np.abs(stft(y, nperseg=1024)[2]) + 1e-9) for y in (a, b)]
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

    ``options`` are those of :func:`render_presets` (``pitches``, ``velocities``, ``workers``, ``gain``,
    ``progress``). Notes already in ``out`` are kept (a folder can collect several renders).
    Raises :class:`SoundFontError` before any work if a SoundFont does not load.
    """
    programs = parse_numbers(programs, 0, 127, "programs")
    presets = [PresetChoice(str(sf), 0, p) for sf in soundfonts for p in programs]
    return render_presets(presets, out, **options)


@dataclass(frozen=True)
class PresetChoice:
    """One preset to render: SoundFont file, bank, GM program, and a variant of :data:`VARIANTS` or ``None``."""

    soundfont: str
    bank: int
    program: int
    variant: str | None = None


def render_presets(
    presets: Sequence[PresetChoice],
    out: str | os.PathLike,
    *,
    pitches: Sequence[int] = (48, 60, 72),
    velocities: Sequence[int] = (50, 100),
    workers: int | None = None,
    gain: float = GAIN,
    progress: bool = True,
) -> RenderReport:
    """Render every (preset, pitch, velocity) into ``out`` in the NSynth layout (as :func:`render_soundfonts`)."""
    if not presets:
        raise ValueError("give at least one SoundFont")
    if not 0 < gain <= 10:
        raise ValueError(f"gain must be in (0, 10], got {gain}")
    unknown = sorted({p.variant for p in presets} - set(VARIANTS) - {None})
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    soundfonts = {p.soundfont: str(Path(p.soundfont).resolve()) for p in presets}
    for path in soundfonts.values():
        SoundFontSynth(path).close()  # fail fast, with the file's name
    pitches = parse_numbers(pitches, 0, 127, "pitches")
    velocities = parse_numbers(velocities, 1, 127, "velocities")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    examples = read_examples(out) if (out / "examples.json").exists() else {}

    jobs = [_Job(soundfonts[p.soundfont], p.bank, p.program, p.variant, pitches, velocities, str(out), gain) for p in presets]
    report = RenderReport()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    bar = Bar(total=len(jobs) * len(pitches) * len(velocities), unit="note", desc="rendering SoundFont notes", disable=not progress or None)
    # spawn, not fork: a process that has loaded FluidSynth holds its threads' locks
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for notes, dropped, missing, too_close in pool.map(_render_instrument, jobs, chunksize=4):
            report.written.update((m["note_str"], m) for m in notes)
            report.dropped.update(dropped)
            report.missing_presets.extend(filter(None, [missing]))
            report.close_variants.extend(filter(None, [too_close]))
            bar.update(len(pitches) * len(velocities))
    bar.close()
    examples.update(report.written)
    write_examples(out, examples)
    return report
