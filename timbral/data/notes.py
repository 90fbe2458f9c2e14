"""What every source of notes shares (SoundFonts and their drum kits, :mod:`~timbral.data.render`; TiMidity
patch sets, :mod:`~timbral.data.timidity`; procedural instruments, :mod:`~timbral.data.synth`): NSynth's
note timing, the pitches each instrument plays, number lists from the command line, the pool that renders
instruments into an NSynth-layout folder, and the two interfaces a new source writes to:

- a :class:`Source` renders its instruments into a folder (one file with one such function is a new source of
  the dataset; :func:`~timbral.data.default.default_sources` lists the default dataset's);
- a :class:`BankSynth` plays the presets of a General MIDI bank one note at a time (a new bank format is one
  class, named by its file suffix in :data:`~timbral.data.render.BANK_FORMATS`).

**No pitch grid.** With :func:`spread_pitches` every instrument plays pitches of its own: one drawn
(seeded by the instrument) in each of ``n`` equal stretches of its range, so its notes cover the
range and the instruments of a source, taken together, cover every semitone of it. A timbre is then
never tied to the pitches it happened to be rendered at.

>>> spread_pitches(24, 96, 8, "keyboard_acoustic_fluidr3_gm_000")
(29, 41, 48, 54, 67, 71, 79, 96)
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..pitch import parse_pitch
from ..progress import Bar
from .nsynth import check_audio_format, read_examples, write_examples

NOTE_ON_SECONDS = 3.0
RELEASE_SECONDS = 1.0


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


def source_arguments(velocities: Sequence[int] | str, pitches_per_instrument: int, audio_format: str) -> tuple[int, ...]:
    """Check what every source of notes is asked for (a clear ``ValueError`` otherwise); returns the velocities parsed."""
    check_audio_format(audio_format)
    if not isinstance(pitches_per_instrument, int) or not 1 <= pitches_per_instrument <= 128:
        raise ValueError(f"pitches_per_instrument must be 1-128, got {pitches_per_instrument!r}")
    return parse_numbers(velocities, 1, 127, "velocities")


def _number_or_note(text: str) -> int:
    return int(text) if text.strip().lstrip("-").isdigit() else parse_pitch(text)


def spread_pitches(low: int, high: int, n: int, instrument: str, seed: int = 0) -> tuple[int, ...]:
    """``n`` pitches of ``low..high`` (both included) for ``instrument``: one drawn in each of ``n``
    equal stretches of the range, seeded by ``seed`` and the instrument's name, so the notes spread
    over the whole range and every instrument plays a set of its own."""
    if not (isinstance(n, int) and 1 <= n <= 128 and 0 <= low <= high <= 127):
        raise ValueError(f"need 1-128 pitches in a range within 0-127, got {n} in {low}-{high}")
    rng = np.random.default_rng([seed, zlib.crc32(instrument.encode())])
    edges = np.round(np.linspace(low, high + 1, n + 1)).astype(int)
    return tuple(sorted({int(rng.integers(a, b)) for a, b in zip(edges[:-1], edges[1:]) if b > a}))


@dataclass
class RenderReport:
    """What a render wrote and what it dropped, by reason."""

    written: dict[str, dict] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)
    missing_presets: list[str] = field(default_factory=list)
    close_variants: list[str] = field(default_factory=list)

    def merge(self, other: RenderReport) -> RenderReport:
        """Add ``other``'s notes, drops and remarks to this report; returns it."""
        self.written.update(other.written)
        self.dropped.update(other.dropped)
        self.missing_presets.extend(other.missing_presets)
        self.close_variants.extend(other.close_variants)
        return self

    def lines(self) -> list[str]:
        out = [f"wrote {len(self.written)} notes"]
        out += [f"dropped {n} {reason} renders" for reason, n in sorted(self.dropped.items())]
        if self.missing_presets:
            out.append(f"skipped {len(self.missing_presets)} programs the SoundFonts lack: {', '.join(self.missing_presets[:8])}")
        if self.close_variants:
            out.append(f"left out {len(self.close_variants)} variants that sound too much like their preset")
        return out


class Source(Protocol):
    """A source of notes: renders its instruments at ``velocities`` into ``out`` (NSynth layout, each note 3 s on
    and 1 s released at Timbral's rate), keeping the notes already there, and reports what it wrote and dropped."""

    def __call__(self, out: str | os.PathLike, *, velocities: Sequence[int] | str, workers: int | None,
                 audio_format: str, progress: bool) -> RenderReport: ...


class BankSynth(Protocol):
    """A General MIDI bank loaded in the engine that plays it, rendering single notes as float32 mono at ``sr``."""

    path: Path
    sr: int

    def preset_name(self, program: int, bank: int = 0) -> str | None:
        """The name of the preset at ``bank``/``program``, or ``None`` where the bank has none."""

    def render(self, program: int, pitch: int, velocity: int, bank: int = 0, variant: str | None = None) -> np.ndarray:
        """Hold ``pitch`` for :data:`NOTE_ON_SECONDS`, release it for :data:`RELEASE_SECONDS`: float32 mono."""

    def close(self) -> None:
        """Free the engine."""


def render_instruments(render: Callable, jobs: Sequence, notes_per_job: Callable[[object], int], out: str | os.PathLike, *,
                       desc: str, workers: int | None = None, progress: bool = True, chunksize: int = 4) -> RenderReport:
    """Run ``render(job) -> RenderReport`` for every job (one instrument each) in a pool of ``workers``
    processes, with a progress bar counting ``notes_per_job(job)`` notes per job, and add what they wrote
    to ``out/examples.json`` (notes already there are kept)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    examples = read_examples(out) if (out / "examples.json").exists() else {}
    report = RenderReport()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    bar = Bar(total=sum(notes_per_job(j) for j in jobs), unit="note", desc=desc, disable=not progress or None)
    # spawn, not fork: a process that has loaded FluidSynth holds its threads' locks
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for job, part in zip(jobs, pool.map(render, jobs, chunksize=chunksize)):
            report.merge(part)
            bar.update(notes_per_job(job))
    bar.close()
    examples.update(report.written)
    write_examples(out, examples)
    return report
