"""Train / valid / test splits **by instrument**: a held-out instrument is never heard in training.

The split is stratified by family (every family with three or more instruments has at
least one in valid and one in test), seeded, and recorded in ``DIR/split.json``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from .nsynth import DatasetError, write_json

SPLIT_FILE = "split.json"
SPLITS = ("train", "valid", "test")


def make_split(examples: dict[str, dict], *, seed: int = 0, valid: float = 0.1, test: float = 0.1) -> dict:
    """Assign every instrument of ``examples`` to train, valid or test."""
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ValueError(f"valid and test fractions must be in [0, 1) and sum below 1, got {valid}, {test}")
    by_family: dict[str, set[str]] = defaultdict(set)
    for meta in examples.values():
        by_family[meta["instrument_family_str"]].add(meta["instrument_str"])
    rng = np.random.default_rng(seed)
    split = {"by": "instrument", "seed": seed, "fractions": {"valid": valid, "test": test}, "train": [], "valid": [], "test": []}
    for family in sorted(by_family):
        instruments = sorted(by_family[family])
        rng.shuffle(instruments)
        n = len(instruments)
        n_test = max(1, round(n * test)) if n >= 3 and test > 0 else 0
        n_valid = max(1, round(n * valid)) if n >= 3 and valid > 0 else 0
        split["test"] += instruments[:n_test]
        split["valid"] += instruments[n_test : n_test + n_valid]
        split["train"] += instruments[n_test + n_valid :]
    for name in SPLITS:
        split[name].sort()
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
    return split


def notes_in_split(examples: dict[str, dict], split: dict | None, name: str | None) -> list[str]:
    """The sorted note names of one split (all notes when ``name`` is ``None``)."""
    if name is None:
        return sorted(examples)
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
    if split is None:
        raise ValueError(f"the dataset has no {SPLIT_FILE}; make one with 'timbral split DIR' or leave the split out")
    chosen = set(split[name])
    return sorted(k for k, m in examples.items() if m["instrument_str"] in chosen)
