"""Turn a folder of a user's own single-note files into the NSynth layout.

Layout read: ``FOLDER/<family>/<file>`` or ``FOLDER/<family>/<instrument>/<file>``; files
directly in ``FOLDER`` get the ``default_family``. The pitch comes from the file name when
it holds a note name (``A3``, ``C#4``, ``Eb2``) or a MIDI number (21-108) as a separate word,
otherwise it is estimated with pYIN. The instrument is the instrument folder, or the file
name with its pitch word removed (``me_A3.wav`` and ``me_C4.wav`` are both instrument ``me``).
Velocity follows loudness. Files that cannot be used are reported with the reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE, AudioError, load_note
from .families import SOURCES, family_ids
from .nsynth import note_metadata, read_examples, slug, write_examples, write_note

NOTE_NAME = re.compile(r"^([a-g])(#|b|s|sharp|flat)?(-?[0-9])$")
SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
MIN_VOICED = 0.2  # pYIN must find a pitch in this share of frames


@dataclass
class ImportReport:
    """Notes written and files skipped, each with the reason."""

    written: dict[str, dict] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"imported {len(self.written)} notes"]
        out += [f"skipped {path}: {reason}" for path, reason in self.skipped]
        return out


def pitch_from_name(stem: str) -> tuple[int | None, str]:
    """The MIDI pitch a file name states, and the name without that word.

    >>> pitch_from_name("voice_A3")
    (57, 'voice')
    >>> pitch_from_name("synth 60 soft")
    (60, 'synth soft')
    """
    words = [w for w in re.split(r"[^A-Za-z0-9#]+", stem) if w]
    for i, word in enumerate(words):
        m = NOTE_NAME.match(word.lower())
        if m:
            letter, accidental, octave = m.groups()
            shift = {"#": 1, "s": 1, "sharp": 1, "b": -1, "flat": -1}.get(accidental or "", 0)
            midi = 12 * (int(octave) + 1) + SEMITONES[letter] + shift
            if 0 <= midi <= 127:
                return midi, " ".join(words[:i] + words[i + 1 :])
    for i, word in enumerate(words):
        if word.isdigit() and 21 <= int(word) <= 108:
            return int(word), " ".join(words[:i] + words[i + 1 :])
    return None, " ".join(words)


def estimate_pitch(y: np.ndarray, sr: int = SAMPLE_RATE) -> int | None:
    """The median pYIN pitch (MIDI, rounded) of the first 2 s, or ``None`` when mostly unpitched."""
    import librosa

    f0, _, probability = librosa.pyin(
        y[: 2 * sr], fmin=librosa.note_to_hz("C1"), fmax=librosa.note_to_hz("C7"), sr=sr, frame_length=2048
    )
    voiced = (probability > 0.5) & np.isfinite(f0)  # pYIN's own voiced flag calls noise voiced
    if np.mean(voiced) < MIN_VOICED:
        return None
    return int(np.clip(np.round(librosa.hz_to_midi(np.nanmedian(f0[voiced]))), 0, 127))


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
    pitch, rest = pitch_from_name(path.stem)
    if pitch is None:
        pitch = estimate_pitch(y)
        if pitch is None:
            raise AudioError(path, "no clear pitch found; put the note in the file name, e.g. voice_A3.wav")
    family = slug(rel.parts[0], "other") if len(rel.parts) > 1 else default_family
    if len(rel.parts) > 2:
        instrument = slug(rel.parts[1])
    else:
        instrument = slug(rest, fallback=family)
    meta = note_metadata(
        f"{family}_{source}_{instrument}", family, source, pitch, velocity_from_loudness(y),
        instrument_name=rel.parts[1] if len(rel.parts) > 2 else (rest or path.stem), original_file=str(rel),
    )
    return meta, y
