"""The NSynth layout, Timbral's lingua franca: ``DIR/audio/<note_str>.wav`` + ``DIR/examples.json``.

The official NSynth download reads as it is; everything Timbral renders or imports is
written in the same layout, with the same metadata fields.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..atomic import write_json
from ..audio import AudioError, load_note, write_audio
from ..settings import SAMPLE_RATE
from .families import FAMILIES, QUALITIES, SOURCES, family_ids

EXAMPLES = "examples.json"
AUDIO_DIR = "audio"
AUDIO_FORMATS = ("wav", "flac")  # a note's audio file: NSynth's 16-bit WAV, or the same samples as FLAC
REQUIRED_FIELDS = ("note_str", "instrument_str", "instrument_family_str", "pitch", "velocity")
_TOKEN = re.compile(r"^[a-z0-9_]+$")


class DatasetError(ValueError):
    """A dataset folder that cannot be read, with the folder and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {reason}")


def slug(text: str, fallback: str = "sound") -> str:
    """A safe lowercase token (``a-z0-9_``) for names built from user text."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s[:48] or fallback


def note_metadata(
    instrument_str: str,
    family: str,
    source: str,
    pitch: int,
    velocity: int,
    *,
    qualities: tuple[str, ...] = (),
    family_id: int | None = None,
    **extra,
) -> dict:
    """One note's NSynth metadata, numeric twins included.

    ``instrument_str`` must be a token (``a-z0-9_``) so that ``note_str`` parses back.
    Extra keyword fields (e.g. ``instrument_name``) are kept as they are.
    """
    if not _TOKEN.match(instrument_str):
        raise ValueError(f"instrument_str must match [a-z0-9_]+, got {instrument_str!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    pitch, velocity = int(pitch), int(velocity)
    if not (0 <= pitch <= 127 and 1 <= velocity <= 127):
        raise ValueError(f"pitch must be 0-127 and velocity 1-127, got {pitch}, {velocity}")
    note_str = f"{instrument_str}-{pitch:03d}-{velocity:03d}"
    return {
        "note": _stable_id(note_str),
        "note_str": note_str,
        "instrument": _stable_id(instrument_str),
        "instrument_str": instrument_str,
        "instrument_family": family_ids([family])[family] if family_id is None else family_id,
        "instrument_family_str": family,
        "instrument_source": SOURCES.index(source),
        "instrument_source_str": source,
        "pitch": pitch,
        "velocity": velocity,
        "sample_rate": SAMPLE_RATE,
        "qualities": [int(q in qualities) for q in QUALITIES],
        "qualities_str": [q for q in QUALITIES if q in qualities],
        **extra,
    }


def _stable_id(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def read_examples(root: str | os.PathLike) -> dict[str, dict]:
    """``examples.json`` of an NSynth-layout folder, checked for the fields Timbral needs."""
    root = Path(root)
    path = root / EXAMPLES
    if not path.is_file():
        raise DatasetError(root, f"not an NSynth-layout folder (no {EXAMPLES})")
    try:
        examples = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetError(path, f"corrupt JSON ({e})") from None
    if not isinstance(examples, dict):
        raise DatasetError(path, "expected a JSON object keyed by note_str")
    for key, meta in examples.items():
        missing = [f for f in REQUIRED_FIELDS if not isinstance(meta, dict) or f not in meta]
        if missing:
            raise DatasetError(path, f"note {key!r} lacks {', '.join(missing)}")
        if not _TOKEN.match(meta["instrument_str"]) or "/" in key or key.startswith("."):
            raise DatasetError(path, f"note {key!r} has an unsafe name")
    return examples


def audio_path(root: str | os.PathLike, note_str: str) -> Path:
    """Where a note's audio lies: ``audio/<note_str>.wav``, or ``.flac`` in a dataset stored as FLAC
    (a third of the disk space; the default dataset is)."""
    wav = Path(root) / AUDIO_DIR / f"{note_str}.wav"
    flac = wav.with_suffix(".flac")
    return flac if not wav.exists() and flac.exists() else wav


def iter_notes(root: str | os.PathLike, notes: list[str] | None = None) -> Iterator[tuple[np.ndarray, dict]]:
    """Yield ``(audio, metadata)`` for every note (or the named ``notes``), in sorted order.

    Audio is float32 mono at Timbral's rate (48 kHz; a 16 kHz NSynth note is resampled and has no high band), exactly
    4 s, as stored (no trimming).
    """
    examples = read_examples(root)
    for key in sorted(examples) if notes is None else notes:
        yield load_note(audio_path(root, key), trim=False), examples[key]


def write_examples(root: str | os.PathLike, examples: dict[str, dict]) -> Path:
    """Write ``examples.json`` atomically, keys sorted so the file is deterministic."""
    return write_json(Path(root) / EXAMPLES, examples)


def check_audio_format(audio_format: str) -> None:
    """Refuse an audio format a note cannot be stored in (:data:`AUDIO_FORMATS`) with a clear ``ValueError``."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio format must be one of {', '.join(AUDIO_FORMATS)}, got {audio_format!r}")


def write_note(root: str | os.PathLike, meta: dict, audio: np.ndarray, audio_format: str = "wav") -> Path:
    """Write one note's audio as 16-bit WAV (or FLAC: ``audio_format="flac"``) under ``root/audio``."""
    check_audio_format(audio_format)
    return write_audio(Path(root) / AUDIO_DIR / f"{meta['note_str']}.{audio_format}", audio)


def summary(examples: dict[str, dict]) -> str:
    """A few lines a person reads after a dataset is built: notes and instruments per family."""
    notes = Counter(m["instrument_family_str"] for m in examples.values())
    instruments = Counter(f for f, _ in {(m["instrument_family_str"], m["instrument_str"]) for m in examples.values()})
    order = [f for f in FAMILIES if f in notes] + sorted(set(notes) - set(FAMILIES))
    lines = [f"{'family':<12} {'notes':>6} {'instruments':>11}"]
    lines += [f"{f:<12} {notes[f]:>6} {instruments[f]:>11}" for f in order]
    lines.append(f"{'total':<12} {sum(notes.values()):>6} {sum(instruments.values()):>11}")
    return "\n".join(lines)


__all__ = [
    "AudioError", "DatasetError", "audio_path", "check_audio_format", "iter_notes", "note_metadata", "read_examples",
    "slug", "source_of", "summary", "write_examples", "write_note",
]


def source_of(meta: dict) -> str:
    """Where a note comes from, so that a split can hold a whole source out: its SoundFont file, the
    voice that sang it, its synthesis engine, else ``imported`` (your own files) or ``nsynth``.

    >>> source_of({"soundfont": "FluidR3_GM.sf2"}), source_of({"synth": "timbral-synth"}), source_of({})
    ('FluidR3_GM.sf2', 'timbral-synth', 'nsynth')
    >>> source_of({"synth": "festival", "voice": "kal_diphone"})
    'kal_diphone'
    """
    return (meta.get("soundfont") or meta.get("voice") or meta.get("synth")
            or ("imported" if "original_file" in meta else "nsynth"))


def display_name(meta: dict) -> str:
    """A note's name for people: instrument, note name, dynamics and where it comes from.

    >>> display_name({"instrument_name": "Acoustic Bass", "pitch": 24, "velocity": 50, "soundfont": "FluidR3_GM.sf2"})
    'Acoustic Bass C1 · soft · FluidR3_GM'
    >>> display_name({"instrument_str": "bass_synthetic_033", "pitch": 60, "velocity": 127})
    'bass synthetic 033 C4 · loud'
    >>> display_name({"instrument_name": "Crash Cymbal 1 (Standard)", "pitch": 60, "velocity": 50, "pitched": False})
    'Crash Cymbal 1 (Standard) · soft'
    """
    from ..pitch import note_name

    instrument = meta.get("instrument_name") or str(meta.get("instrument_str", "sound")).replace("_", " ")
    velocity = int(meta.get("velocity", 100))
    dynamics = "soft" if velocity < 64 else "loud" if velocity >= 96 else "medium"
    origin = Path(meta["soundfont"]).stem if meta.get("soundfont") else None
    note = "" if meta.get("pitched") is False else f" {note_name(int(meta['pitch']))}"  # a drum has no note
    return " · ".join(filter(None, [f"{instrument.strip()}{note}", dynamics, origin]))
