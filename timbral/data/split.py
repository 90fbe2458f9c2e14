"""Train / valid / test splits **by instrument**: a held-out instrument is never heard in training.

The split is stratified by source and family (every such group with three or more instruments
has at least one in valid and one in test), seeded, and recorded in ``DIR/split.json``; it can
also hold a whole source (a SoundFont, a synthesis engine) out for test, and **pitches** out of
training: the train split then leaves out every note at those pitches (valid and test keep them),
so a model is measured at pitches it never heard as well as at those it did.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import write_json
from .nsynth import DatasetError, source_of

SPLIT_FILE = "split.json"
SPLITS = ("train", "valid", "test")


def make_split(examples: dict[str, dict], *, seed: int = 0, valid: float = 0.1, test: float = 0.1,
               hold_out_source: str | None = None, hold_out_pitches: Sequence[int] = ()) -> dict:
    """Assign every instrument of ``examples`` to train, valid or test.

    Instruments are drawn per (source, family), so every source and family is heard in each
    split; a variant of a preset goes where its preset goes. ``hold_out_source`` (a SoundFont
    file name or synthesis engine, see :func:`~timbral.data.nsynth.source_of`) puts that whole
    source in test, and nothing else: the rest is shared between train and valid.
    ``hold_out_pitches`` (MIDI numbers) are left out of training: no train note is at one of them.
    """
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ValueError(f"valid and test fractions must be in [0, 1) and sum below 1, got {valid}, {test}")
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    members: dict[str, set[str]] = defaultdict(set)  # a preset and its variants
    for meta in examples.values():
        unit = meta.get("variant_of") or meta["instrument_str"]
        groups[(source_of(meta), meta["instrument_family_str"])].add(unit)
        members[unit].add(meta["instrument_str"])
    sources = sorted({source for source, _ in groups})
    if hold_out_source is not None and hold_out_source not in sources:
        raise ValueError(f"no source {hold_out_source!r} in the dataset; its sources: {', '.join(sources)}")
    rng = np.random.default_rng(seed)
    pitches = sorted({int(p) for p in hold_out_pitches})
    if any(not 0 <= p <= 127 for p in pitches):
        raise ValueError(f"held-out pitches must be MIDI numbers 0-127, got {pitches}")
    split = {"by": "instrument", "seed": seed, "fractions": {"valid": valid, "test": test},
             "hold_out_source": hold_out_source, "hold_out_pitches": pitches, "train": [], "valid": [], "test": []}
    for source, family in sorted(groups):
        units = sorted(groups[(source, family)])
        if source == hold_out_source:
            split["test"] += units
            continue
        rng.shuffle(units)
        n = len(units)
        share = 0 if hold_out_source else test
        n_test = max(1, round(n * share)) if n >= 3 and share > 0 else 0
        n_valid = max(1, round(n * valid)) if n >= 3 and valid > 0 else 0
        split["test"] += units[:n_test]
        split["valid"] += units[n_test : n_test + n_valid]
        split["train"] += units[n_test + n_valid :]
    for name in SPLITS:
        split[name] = sorted(i for unit in split[name] for i in members[unit])
    return split


def write_split(root: str | os.PathLike, split: dict) -> Path:
    return write_json(Path(root) / SPLIT_FILE, split)


def read_split(root: str | os.PathLike) -> dict | None:
    """``split.json`` of a dataset folder, or ``None`` when it has none."""
    path = Path(root) / SPLIT_FILE
    if not path.exists():
        return None
    try:
        split = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetError(path, f"corrupt JSON ({e})") from None
    if not isinstance(split, dict) or not all(isinstance(split.get(s), list) for s in SPLITS):
        raise DatasetError(path, f"expected lists of instruments under {', '.join(SPLITS)}")
    if not isinstance(split.get("hold_out_pitches", []), list):
        raise DatasetError(path, "hold_out_pitches must be a list of MIDI numbers")
    return split


def notes_in_split(examples: dict[str, dict], split: dict | None, name: str | None) -> list[str]:
    """The sorted note names of one split (all notes when ``name`` is ``None``); the train split
    leaves out the notes at the split's held-out pitches."""
    if name is None:
        return sorted(examples)
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
    if split is None:
        raise ValueError(f"the dataset has no {SPLIT_FILE}; make one with 'timbral split DIR' or leave the split out")
    chosen = set(split[name])
    unheard = set(split.get("hold_out_pitches", [])) if name == "train" else set()
    return sorted(k for k, m in examples.items() if m["instrument_str"] in chosen and int(m["pitch"]) not in unheard)
