"""Physical models: the Synthesis ToolKit's acoustic-like instruments (Debian ``stk``, its ``stk-demo``).

STK models how an instrument makes its sound — a reed or a jet driving a bore, a bow or a pluck on a
string, struck bars and bells, FM electric pianos and organs — so its notes come from neither samples
nor Timbral's own synth engine: an independent source of acoustic-like timbres. Each model gives several
instruments, each with its own draw (seeded) of the model's controls (reed stiffness, breath pressure,
bow pressure and position, stick hardness, a bar's preset, ...; MIDI control changes in STK's score
format, SKINI), playing like a SoundFont preset: 3 s on, 1 s released, at 48 kHz.

>>> MODELS["ModalBar"].family, MODELS["Bowed"].family
('mallet', 'string')
>>> first, second = make_stk_instruments(instruments_per_model=2)[:2]
>>> first.name, first.family, first.controls, len(second.controls)
('STK Clarinet 00', 'reed', (), 5)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio import fix_length
from ..settings import SAMPLE_RATE
from .notes import NOTE_ON_SECONDS, RELEASE_SECONDS, RenderReport, render_instruments, source_arguments, spread_pitches
from .nsynth import note_metadata, write_note

ENGINE_NAME = "stk"  # the synth every STK note records
PACKAGE = "stk"  # the Debian package of stk-demo
PEAK = 10 ** (-6 / 20)  # an instrument's loudest loud note peaks here; its other notes keep their level to it
SILENT_PEAK = 10 ** (-50 / 20)  # below this (after the instrument's gain) a note did not speak: dropped
_SPACING = 6.0  # seconds between notes in one score: each note's 4 s, then 2 s for its tail to die


@dataclass(frozen=True)
class StkModel:
    """An STK instrument class: the family it plays in, its range (MIDI) and the controls drawn per instrument,
    each ``(number, low, high)`` in STK's 0-128 control scale."""

    name: str
    family: str
    low: int
    high: int
    controls: tuple[tuple[int, int, int], ...] = ()
    presets: tuple[int, ...] = ()  # control 16 picks one (ModalBar's bars, BandedWG's bars and bowls)


_VIBRATO = ((11, 20, 70), (1, 0, 24))  # vibrato rate and (gentle) depth
_FM = ((2, 16, 112), (4, 0, 128), (11, 10, 60), (1, 0, 20), (128, 40, 128))  # index, crossfade, LFO, envelope

# Controls that retune a model (a flute's jet delay, a string's stretch) stay STK's; Brass (its lips rarely speak
# without a tension set to the note), BlowHole (sharp by a semitone or more) and PercFlut (a fifth above its key)
# are left out.
MODELS: dict[str, StkModel] = {m.name: m for m in (
    StkModel("Clarinet", "reed", 50, 86, ((2, 24, 104), (4, 0, 40), *_VIBRATO, (128, 70, 120))),
    StkModel("Saxofony", "reed", 44, 80, ((2, 40, 90), (26, 40, 80), (4, 0, 40), (29, 10, 60), (128, 70, 110))),
    StkModel("Flute", "flute", 60, 96, ((4, 0, 50), *_VIBRATO, (128, 70, 120))),
    StkModel("BlowBotl", "flute", 48, 84, ((2, 0, 60), (128, 70, 120))),
    StkModel("Bowed", "string", 36, 96, ((2, 40, 90), (4, 20, 80), *_VIBRATO, (128, 80, 128))),
    StkModel("Plucked", "guitar", 40, 84),
    StkModel("StifKarp", "guitar", 36, 84, ((4, 30, 100), (11, 60, 128))),
    StkModel("Mandolin", "guitar", 55, 91, ((2, 10, 118), (4, 10, 118), (11, 60, 128), (1, 0, 40))),
    StkModel("Sitar", "guitar", 48, 84),
    StkModel("Rhodey", "keyboard", 28, 96, _FM),
    StkModel("Wurley", "keyboard", 36, 96, _FM),
    StkModel("BeeThree", "organ", 36, 96, _FM),
    StkModel("TubeBell", "mallet", 48, 84, _FM),
    StkModel("ModalBar", "mallet", 48, 96, ((2, 20, 118), (4, 10, 118), (8, 0, 128)), presets=(0, 1, 4)),
    StkModel("BandedWG", "mallet", 48, 84, ((2, 20, 100), (8, 10, 118), (64, 0, 1)), presets=(0, 1, 2)),
    StkModel("HevyMetl", "synth_lead", 36, 84, _FM),
    StkModel("Moog", "synth_lead", 36, 84, ((2, 10, 110), (4, 10, 110), *_VIBRATO)),
)}


@dataclass(frozen=True)
class StkInstrument:
    """One STK instrument: a model and its drawn controls (``(number, value)``, in the order they are sent)."""

    model: str
    index: int
    controls: tuple[tuple[int, int], ...]

    @property
    def family(self) -> str:
        return MODELS[self.model].family

    @property
    def instrument_str(self) -> str:
        return f"{self.family}_acoustic_stk_{self.model.lower()}_{self.index:02d}"

    @property
    def name(self) -> str:
        return f"STK {self.model} {self.index:02d}"

    def pitches(self, n: int, seed: int = 0) -> tuple[int, ...]:
        model = MODELS[self.model]
        return spread_pitches(model.low, model.high, n, self.instrument_str, seed)


def make_stk_instruments(instruments_per_model: int = 6, seed: int = 0,
                         models: Sequence[str] = tuple(MODELS)) -> list[StkInstrument]:
    """``instruments_per_model`` instruments of each model with controls (one of a model without), each drawing its
    controls (seeded by ``seed``, the model and its number) within the model's ranges; the first plays STK's own
    settings."""
    if not isinstance(instruments_per_model, int) or not 1 <= instruments_per_model <= 100:
        raise ValueError(f"instruments_per_model must be 1-100, got {instruments_per_model!r}")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown STK models {unknown}; known: {', '.join(MODELS)}")
    out = []
    for name in models:
        model = MODELS[name]
        for index in range(instruments_per_model if model.controls or model.presets else 1):
            rng = np.random.default_rng([seed, zlib.crc32(name.encode()), index])
            controls = tuple((number, int(rng.integers(lo, hi + 1))) for number, lo, hi in model.controls) if index else ()
            if model.presets:
                controls = ((16, model.presets[index % len(model.presets)]), *controls)
            out.append(StkInstrument(name, index, controls))
    return out


def check_stk() -> str:
    """The path of ``stk-demo``; a clear error names the Debian package when it is missing."""
    path = shutil.which("stk-demo")
    if path is None:
        raise FileNotFoundError(f"stk-demo not found: install Debian's {PACKAGE} (scripts/setup does it)")
    return path


def render_stk_notes(inst: StkInstrument, notes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """Play ``notes`` (``(pitch, velocity)``) on ``inst`` in one STK score, each 3 s on and 1 s released: 4 s of
    float32 mono at 48 kHz per note, at STK's own level."""
    score = [f"ControlChange 0.0 1 {number} {value}" for number, value in inst.controls]
    for i, (pitch, velocity) in enumerate(notes):
        score.append(f"NoteOn {0.0 if i == 0 else _SPACING - NOTE_ON_SECONDS:.3f} 1 {pitch} {velocity}")
        score.append(f"NoteOff {NOTE_ON_SECONDS:.3f} 1 {pitch} 64")
    score.append(f"NoteOff {_SPACING - NOTE_ON_SECONDS:.3f} 1 {notes[-1][0]} 64")  # a no-op past the release: the file ends here
    with tempfile.TemporaryDirectory(prefix="timbral-stk-") as tmp:
        ski, wav = Path(tmp, "score.ski"), Path(tmp, "notes.wav")
        ski.write_text("\n".join(score) + "\n")
        subprocess.run([check_stk(), inst.model, "-s", str(SAMPLE_RATE), "-ow", str(wav), "-if", str(ski)],
                       capture_output=True, timeout=60 + 10 * len(notes), check=True, cwd=tmp)
        y, sr = sf.read(wav, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SAMPLE_RATE:
        raise RuntimeError(f"stk-demo wrote {sr} Hz, not {SAMPLE_RATE}")
    n, step = round((NOTE_ON_SECONDS + RELEASE_SECONDS) * sr), round(_SPACING * sr)
    return [fix_length(y[i * step:], n) for i in range(len(notes))]


@dataclass(frozen=True)
class _StkJob:
    inst: StkInstrument
    pitches: tuple[int, ...]
    velocities: tuple[int, ...]
    out: str
    audio_format: str


def _render_stk_instrument(job: _StkJob) -> RenderReport:
    report = RenderReport()
    notes = [(p, v) for p in job.pitches for v in job.velocities]
    audio = render_stk_notes(job.inst, notes)
    loudest = max((float(np.abs(y).max()) for (_, v), y in zip(notes, audio) if v == max(job.velocities)), default=0.0)
    if not np.isfinite(loudest) or loudest < 1e-6:
        report.dropped["silent"] += len(notes)
        return report
    gain = PEAK / loudest
    for (pitch, velocity), y in zip(notes, audio):
        y = y * np.float32(gain)
        if not np.all(np.isfinite(y)) or float(np.abs(y).max()) < SILENT_PEAK:
            report.dropped["silent"] += 1
            continue
        meta = note_metadata(job.inst.instrument_str, job.inst.family, "acoustic", pitch, velocity,
                             instrument_name=job.inst.name, synth=ENGINE_NAME, engine=job.inst.model,
                             controls={str(k): v for k, v in job.inst.controls})
        write_note(job.out, meta, np.clip(y, -1.0, 1.0), job.audio_format)
        report.written[meta["note_str"]] = meta
    return report


def render_stk(out: str | os.PathLike, *, instruments_per_model: int = 6, models: Sequence[str] = tuple(MODELS),
               pitches_per_instrument: int = 8, velocities: Sequence[int] | str = (50, 100), seed: int = 0,
               workers: int | None = None, audio_format: str = "wav", progress: bool = True) -> RenderReport:
    """Render STK's instruments (:func:`make_stk_instruments`) into ``out`` in the NSynth layout: each plays
    ``pitches_per_instrument`` pitches of its own spread over its model's range, at every velocity. Notes already
    in ``out`` are kept."""
    velocities = source_arguments(velocities, pitches_per_instrument, audio_format)
    instruments = make_stk_instruments(instruments_per_model, seed, models)
    check_stk()
    jobs = [_StkJob(inst, inst.pitches(pitches_per_instrument, seed), velocities, str(out), audio_format)
            for inst in instruments]
    return render_instruments(_render_stk_instrument, jobs, lambda j: len(j.pitches) * len(j.velocities), out,
                              desc="rendering physical models", workers=workers, progress=progress, chunksize=2)
