"""The feature store: what the model hears of each note of a dataset, computed once and memory-mapped after.

A store lives in ``<cache>/<key>/`` where the key hashes the spectral settings and the
dataset's ``examples.json``: change either and a new store is built, run the same thing
twice and the second run only opens the files. ``specs.npy`` holds float16 dB values (the core's bins,
then the high band's band levels: :func:`~timbral.spectral.heard_of`),
``index.json`` the notes in order, ``meta.json`` the settings and the dataset-level
:class:`~timbral.spectral.Bounds` that any model trained on it carries along.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_json
from ..progress import Bar
from ..spectral import Bounds, SpectralSettings, heard_db
from .nsynth import EXAMPLES, DatasetError, audio_path, read_examples
from .split import notes_in_split, read_split

CACHE_DIR = "features"
BATCH = 32
MEMORY_SHARE = 0.5  # rows are read into memory only when they take at most this share of the memory available
INDEX_FIELDS = ("note_str", "instrument_str", "instrument_family", "instrument_family_str", "pitch", "velocity")


@dataclass
class FeatureStore:
    """Memory-mapped dB spectrograms with their notes, settings and bounds."""

    path: Path
    dataset: Path
    settings: SpectralSettings
    bounds: Bounds
    index: list[dict]
    specs: np.ndarray | HeldRows  # (n_notes, heard_rows, n_frames) float16 dB, memory-mapped or held in memory

    @classmethod
    def open(cls, path: str | os.PathLike) -> FeatureStore:
        path = Path(path)
        meta = json.loads((path / "meta.json").read_text())
        index = json.loads((path / "index.json").read_text())
        specs = np.load(path / "specs.npy", mmap_mode="r")
        return cls(path, Path(meta["dataset"]), SpectralSettings.from_dict(meta["settings"]), Bounds(**meta["bounds"]), index, specs)

    def holding(self, rows, progress: bool = True, copies: int = 1) -> FeatureStore:
        """The store with ``rows`` read into memory when they fit (:data:`MEMORY_SHARE` of the memory available,
        for ``copies`` processes that each hold them: torchrun's), itself otherwise: a training run reads each of
        its notes a dozen times, and from memory a batch costs no disk read. Rows keep their numbers; reading any
        other row is an error."""
        rows = np.unique(np.asarray(rows, dtype=int))
        needed = copies * len(rows) * int(np.prod(self.specs.shape[1:])) * self.specs.dtype.itemsize
        if needed > MEMORY_SHARE * available_memory():
            return self
        return dataclasses.replace(self, specs=HeldRows(self.specs, rows, progress))

    def read(self, rows) -> np.ndarray:
        """The dB spectrograms of ``rows`` (float32), read in file order and returned in the order asked."""
        rows = np.asarray(rows, dtype=int)
        order = np.argsort(rows)  # memory-mapped reads in file order
        out = np.empty((len(rows), *self.specs.shape[1:]), np.float32)
        out[order] = self.specs[rows[order]]
        return out

    def load_batch(self, rows, bounds: Bounds | None = None, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
        """What training and encoding read of ``rows``, on ``device``: spectrograms scaled to [0, 1] with
        ``bounds`` (default: the store's own, a model's when it was trained elsewhere), ``pitch``,
        ``velocity`` and ``family`` (NSynth's family id, -1 when unknown)."""
        bounds = bounds or self.bounds
        meta = [self.index[r] for r in rows]
        return {
            "spec": bounds.scale(torch.from_numpy(self.read(rows)).to(device)).clamp(0.0, 1.0),  # scaled where it is used
            "pitch": torch.tensor([m["pitch"] for m in meta], device=device),
            "velocity": torch.tensor([m["velocity"] for m in meta], device=device),
            "family": torch.tensor([m.get("instrument_family", -1) for m in meta], device=device),
        }

    def positions(self, split: str | None = None) -> list[int]:
        """Row numbers of the notes in ``split`` (all rows for ``None``)."""
        if split is None:
            return list(range(len(self.index)))
        examples = {m["note_str"]: m for m in self.index}
        chosen = set(notes_in_split(examples, read_split(self.dataset), split))
        return [i for i, m in enumerate(self.index) if m["note_str"] in chosen]


class HeldRows:
    """Some rows of a store's spectrograms read into memory, indexed by their row numbers in the store."""

    def __init__(self, specs: np.ndarray, rows: np.ndarray, progress: bool = True):
        self.rows, self.shape, self.dtype = rows, specs.shape, specs.dtype
        self.data = np.empty((len(rows), *specs.shape[1:]), specs.dtype)
        for start in Bar(range(0, len(rows), 256), desc="reading the notes into memory", unit="chunk", disable=not progress or None):
            self.data[start : start + 256] = specs[rows[start : start + 256]]

    def __getitem__(self, rows):
        at = np.searchsorted(self.rows, rows)
        if np.any(at >= len(self.rows)) or np.any(self.rows[np.minimum(at, len(self.rows) - 1)] != rows):
            raise IndexError(f"rows {rows} are not held in memory")
        return self.data[at]


def available_memory() -> int:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable; 0 where it is not known)."""
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 0


def note_audio(data_dir: Path, names: list[str], settings: SpectralSettings) -> np.ndarray:
    """The dataset's notes ``names`` read at the settings' rate and length, untrimmed: ``(n, samples)``; decoded on
    every core (the decoder lets go of Python's lock), in order."""
    from ..audio import prepare_note, read_audio

    def read(name: str) -> np.ndarray:
        path = audio_path(data_dir, name)
        y, sr = read_audio(path)
        return prepare_note(y, sr, path, target_sr=settings.sr, duration=settings.duration, trim=False, allow_silent=True)

    with ThreadPoolExecutor(max(1, min(len(names), os.cpu_count() or 1))) as pool:
        return np.stack(list(pool.map(read, names)))


def store_key(data_dir: Path, settings: SpectralSettings) -> str:
    digest = hashlib.sha1((data_dir / EXAMPLES).read_bytes()).hexdigest()[:12]
    return f"{settings.key()}-{digest}"


def feature_store(
    data_dir: str | os.PathLike,
    settings: SpectralSettings = SpectralSettings(),
    *,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> FeatureStore:
    """Open the store for ``data_dir`` and ``settings``, building it first if it does not exist.

    The store is written to a temporary folder and renamed into place, so an interrupted
    build leaves nothing half-written behind.
    """
    data_dir = Path(data_dir).resolve()
    examples = read_examples(data_dir)
    if not examples:
        raise DatasetError(data_dir, "the dataset has no notes")
    cache = Path(cache_dir) if cache_dir else data_dir / CACHE_DIR
    path = cache / store_key(data_dir, settings)
    if (path / "meta.json").exists():  # the folder may have moved since: its split is read from where it is now
        return dataclasses.replace(FeatureStore.open(path), dataset=data_dir)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache, prefix=".building-"))
    try:
        _build(data_dir, examples, settings, tmp, progress)
        try:
            os.rename(tmp, path)
        except OSError:  # another process finished the same store first
            if not (path / "meta.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return FeatureStore.open(path)


def _build(data_dir: Path, examples: dict, settings: SpectralSettings, out: Path, progress: bool) -> None:
    names = sorted(examples)
    shape = (len(names), settings.heard_rows, settings.n_frames)
    specs = np.lib.format.open_memmap(out / "specs.npy", mode="w+", dtype=np.float16, shape=shape)
    hi = -np.inf
    for start in Bar(range(0, len(names), BATCH), desc="computing spectrograms", unit="batch", disable=not progress or None):
        db = heard_db(note_audio(data_dir, names[start : start + BATCH], settings), settings).numpy()
        specs[start : start + len(db)] = db
        hi = max(hi, float(db.max()))
    specs.flush()
    index = [{f: examples[n][f] for f in INDEX_FIELDS if f in examples[n]} for n in names]
    write_json(out / "index.json", index)
    bounds = Bounds(lo=settings.floor_db, hi=float(np.ceil(hi)))
    write_json(out / "meta.json", {"settings": settings.to_dict(), "bounds": vars(bounds), "dataset": str(data_dir), "n_notes": len(names)})
