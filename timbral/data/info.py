"""What a dataset folder holds: notes, instruments and sources, families, how pitches are covered,
split, disk size, build time."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from .features import CACHE_DIR
from .nsynth import AUDIO_DIR, read_examples, source_of
from .split import SPLITS, read_split

BUILD_FILE = "build.json"  # written by a build that times itself (timbral data default)


def dataset_info(root: str | os.PathLike) -> dict:
    """The figures ``timbral data info --json`` prints for the NSynth-layout folder ``root``."""
    root = Path(root)
    examples = read_examples(root)
    split = read_split(root)
    notes: Counter = Counter()
    instruments: dict[str, set[str]] = defaultdict(set)
    for m in examples.values():
        notes[source_of(m)] += 1
        instruments[source_of(m)].add(m["instrument_str"])
    build = root / BUILD_FILE
    return {
        "n_notes": len(examples),
        "n_instruments": len({m["instrument_str"] for m in examples.values()}),
        "n_sources": len(notes),
        "sources": {s: {"notes": notes[s], "instruments": len(instruments[s])} for s in sorted(notes)},
        "families": dict(sorted(Counter(m["instrument_family_str"] for m in examples.values()).items())),
        "pitch_coverage": pitch_coverage(examples.values()),
        "split_instruments": {s: len(split[s]) for s in SPLITS} if split else None,
        "held_out_source": split.get("hold_out_source") if split else None,
        "held_out_pitches": split.get("hold_out_pitches", []) if split else [],
        "audio_bytes": folder_bytes(root / AUDIO_DIR),
        "features_bytes": folder_bytes(root / CACHE_DIR),
        "build_seconds": json.loads(build.read_text()).get("seconds") if build.is_file() else None,
    }


def pitch_coverage(notes, lo: int = 24, hi: int = 96) -> dict:
    """How the notes cover the semitones ``lo..hi``, per source and per family: the lowest and highest
    pitch, how many of those semitones are played, and the notes per semitone (fewest, median, most)."""
    groups: dict[str, dict[str, Counter]] = {"sources": defaultdict(Counter), "families": defaultdict(Counter)}
    for m in notes:
        groups["sources"][source_of(m)][int(m["pitch"])] += 1
        groups["families"][m["instrument_family_str"]][int(m["pitch"])] += 1
    span = range(lo, hi + 1)

    def covered(counts: Counter) -> dict:
        per = np.array([counts[p] for p in span])
        return {"lowest": min(counts), "highest": max(counts), "semitones": int((per > 0).sum()), "of": len(span),
                "notes_per_semitone": {"fewest": int(per.min()), "median": float(np.median(per)), "most": int(per.max())}}

    return {kind: {name: covered(c) for name, c in sorted(by.items())} for kind, by in groups.items()}


def folder_bytes(folder: Path) -> int:
    """Size of every file under ``folder`` (0 if there is none)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0
