"""Turn a folder of a user's own single-note files into the NSynth layout.

Layout read: ``FOLDER/<family>/<file>`` or ``FOLDER/<family>/<instrument>/<file>``; files
directly in ``FOLDER`` get the ``default_family``. The pitch comes from the file name when
it holds a note name (``A3``, ``C#4``, ``Eb2``), a MIDI number (21-108) as a separate word or
an NSynth ``instrument-pitch-velocity`` ending, otherwise it is detected
(:func:`~timbral.pitch.detect_pitch`); a sound with no clear pitch is imported as unpitched
at C4 (``"pitched": false``) and listed. The instrument is the instrument folder, or the file
name with its pitch word removed (``me_A3.wav`` and ``me_C4.wav`` are both instrument ``me``).
Velocity follows loudness. Files that cannot be used are reported with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import AudioError, load_note
from ..pitch import find_pitch, pitch_from_name
from .families import SOURCES, family_ids
from .nsynth import note_metadata, read_examples, slug, write_examples, write_note


@dataclass
class ImportReport:
    """Notes written and files skipped, each with the reason."""

    written: dict[str, dict] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unpitched: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"imported {len(self.written)} notes"]
        out += [f"unpitched {path}: no clear pitch, imported at C4 (put the note in the name to change it)"
                for path in self.unpitched]
        out += [f"skipped {path}: {reason}" for path, reason in self.skipped]
        return out


def velocity_from_loudness(y: np.ndarray, frame: int = 1024) -> int:
    """MIDI velocity from the loudest frame's RMS: 0 dBFS -> 127, -60 dBFS -> 1."""
    n = max(1, len(y) // frame)
    rms = np.sqrt(np.mean(np.resize(y, n * frame).reshape(n, frame) ** 2, axis=1)).max()
    db = 20 * np.log10(max(rms, 1e-9))
    return int(np.clip(round(127 * (1 + db / 60)), 1, 127))


def import_folder(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    source: str = "acoustic",
    default_family: str = "other",
) -> ImportReport:
    """Import every file under ``folder`` into ``out`` (kept notes there stay)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    out = Path(out)
    examples = read_examples(out) if (out / "examples.json").exists() else {}
    report = ImportReport()
    origin: dict[str, str] = {}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(folder).parts))
    for path in files:
        rel = path.relative_to(folder)
        try:
            meta, y = _note_from_file(path, rel, source, slug(default_family, "other"))
        except AudioError as e:
            report.skipped.append((str(rel), e.reason))
            continue
        key = meta["note_str"]
        if key in origin:
            report.skipped.append((str(rel), f"same instrument, pitch and velocity as {origin[key]}; rename it or give it its own folder"))
            continue
        origin[key] = str(rel)
        if not meta["pitched"]:
            report.unpitched.append(str(rel))
        write_note(out, meta, y)
        report.written[key] = meta
    examples.update(report.written)
    ids = family_ids(m["instrument_family_str"] for m in examples.values())
    for meta in examples.values():
        meta["instrument_family"] = ids[meta["instrument_family_str"]]
    out.mkdir(parents=True, exist_ok=True)
    write_examples(out, examples)
    return report


def _note_from_file(path: Path, rel: Path, source: str, default_family: str) -> tuple[dict, np.ndarray]:
    y = load_note(path)
    estimate = find_pitch(y, name=path.stem)
    rest = pitch_from_name(path.stem)[1]
    family = slug(rel.parts[0], "other") if len(rel.parts) > 1 else default_family
    if len(rel.parts) > 2:
        instrument = slug(rel.parts[1])
    else:
        instrument = slug(rest, fallback=family)
    meta = note_metadata(
        f"{family}_{source}_{instrument}", family, source, estimate.pitch, velocity_from_loudness(y),
        instrument_name=rel.parts[1] if len(rel.parts) > 2 else (rest or path.stem), original_file=str(rel),
        pitched=estimate.pitched,
    )
    return meta, y
