"""The library: every note of a model's dataset, with its metadata, latent and place on the map.

Latents (heard from the notes' audio) and the map are computed once per (model, dataset) pair and cached in
``<dataset>/library/<key>.npz``; the key hashes the model's weights and the dataset's
``examples.json``, so retraining or re-rendering builds a fresh cache and opening it again
takes a fraction of a second.

>>> lib = Timbral.load().library                          # doctest: +SKIP
>>> [s.name for s in lib.search(family="flute", pitch=60)][:2]  # doctest: +SKIP
['flute_acoustic_fluidr3_gm_073-060-050', 'flute_acoustic_fluidr3_gm_073-060-100']
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from .atomic import atomic_path
from .data.features import note_audio
from .data.nsynth import DatasetError, audio_path, display_name, read_examples
from .map import TimbreMap
from .pitch import note_name
from .progress import Bar

CACHE_DIR = "library"
CHUNK = 64  # notes heard at once while encoding


class NoteEncoder(Protocol):
    """What a library asks of its model (a :class:`~timbral.model.TimbreVAE`): which model it is, how it hears a
    note's audio, and where it places what it heard."""

    config: Any  # its spectral_settings say how notes are read

    def fingerprint(self) -> str: ...

    def spectrogram_of(self, audio: np.ndarray) -> torch.Tensor: ...

    def encode(self, spec: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


class UnknownSound(KeyError, ValueError):
    """A name that is not in the library (a ``KeyError`` for lookups, a ``ValueError`` for users)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class LibrarySound:
    """One note of the library."""

    name: str  # the note's id in its dataset, e.g. bass_acoustic_fluidr3_gm_032-024-050
    instrument: str
    family: str
    pitch: int
    velocity: int
    x: float
    y: float
    title: str = ""  # for people: "Acoustic Bass C1 · soft · FluidR3_GM"
    pitched: bool = True  # False for a drum: no note of its own, it plays at C4 as recorded

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "instrument": self.instrument, "family": self.family,
                "pitch": self.pitch, "note": note_name(self.pitch), "velocity": self.velocity, "pitched": self.pitched,
                "x": round(self.x, 5), "y": round(self.y, 5)}


class Library:
    """The notes of a dataset as the model hears them: searchable, each with a latent and a map point."""

    def __init__(self, root: Path, examples: dict[str, dict], names: list[str], timbre_map: TimbreMap):
        self.root = root
        self.map = timbre_map
        self.sounds = [
            LibrarySound(n, examples[n]["instrument_str"], examples[n]["instrument_family_str"], int(examples[n]["pitch"]),
                         int(examples[n]["velocity"]), float(x), float(y), display_name(examples[n]),
                         examples[n].get("pitched") is not False)
            for n, (x, y) in zip(names, timbre_map.coords)
        ]
        self._rows = {n: i for i, n in enumerate(names)}

    @staticmethod
    def cached(model: NoteEncoder, data_dir: str | os.PathLike) -> bool:
        """Whether the library of ``data_dir`` for ``model`` opens from its cache (in a moment)."""
        root = Path(data_dir).resolve()
        return (root / CACHE_DIR / f"{_key(model, root)}.npz").is_file()

    @classmethod
    def open(cls, model: NoteEncoder, data_dir: str | os.PathLike, *, progress: bool = True) -> Library:
        """The library of ``data_dir`` for ``model``, computing and caching latents and map on first use."""
        root = Path(data_dir).resolve()
        examples = read_examples(root)
        if len(examples) < 4:
            raise DatasetError(root, f"a library needs at least 4 notes, found {len(examples)}")
        cache = root / CACHE_DIR / f"{_key(model, root)}.npz"
        if cache.exists():
            with np.load(cache) as z:
                names, latents, coords = list(z["names"]), z["latents"], z["coords"]
            if set(names) == set(examples):
                return cls(root, examples, names, TimbreMap(coords, latents))
        names = sorted(examples)
        latents = _encode(model, root, examples, names, progress)
        timbre_map = TimbreMap.fit(latents, progress=progress)
        with atomic_path(cache) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, names=np.array(names), latents=timbre_map.latents, coords=timbre_map.coords)
        return cls(root, examples, names, timbre_map)

    def __len__(self) -> int:
        return len(self.sounds)

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __getitem__(self, name: str) -> LibrarySound:
        return self.sounds[self._row(name)]

    def latent(self, name: str) -> np.ndarray:
        return self.map.latents[self._row(name)]

    def nearest(self, latent: np.ndarray, k: int = 5) -> list[LibrarySound]:
        """The ``k`` library sounds whose timbre lies nearest to ``latent``, nearest first."""
        return [self.sounds[i] for i in self.map.nearest(latent, k)]

    def audio_path(self, name: str) -> Path:
        """The original recording of a library sound."""
        return audio_path(self.root, self[name].name)

    def families(self) -> list[str]:
        return sorted({s.family for s in self.sounds})

    def search(self, *, family: str | None = None, instrument: str | None = None, pitch: int | None = None,
               velocity: int | None = None, q: str | None = None) -> list[LibrarySound]:
        """Sounds matching every given filter; ``q`` is a case-insensitive part of the name or the title."""
        q = q.lower() if q else None
        return [
            s for s in self.sounds
            if (family is None or s.family == family)
            and (instrument is None or s.instrument == instrument)
            and (pitch is None or s.pitch == pitch)
            and (velocity is None or s.velocity == velocity)
            and (q is None or q in s.name.lower() or q in s.title.lower())
        ]

    def _row(self, name: str) -> int:
        if name not in self._rows:
            raise UnknownSound(f"no sound named {name!r} in the library {self.root} (search it with: timbral library)")
        return self._rows[name]


def _key(model: NoteEncoder, root: Path) -> str:
    digest = hashlib.sha1(model.fingerprint().encode())
    digest.update((root / "examples.json").read_bytes())
    return digest.hexdigest()[:16]


@torch.no_grad()
def _encode(model: NoteEncoder, root: Path, examples: dict[str, dict], names: list[str], progress: bool) -> np.ndarray:
    """The latent means of the notes ``names``, heard from their audio in chunks: no feature store (the
    gigabytes training keeps on disk) is needed to open a library. The next chunk is decoded while one is
    heard (decoding FLAC leaves the GIL, and torch leaves a core idle part of the time)."""
    settings, chunks = model.config.spectral_settings, [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
    latents = []
    with ThreadPoolExecutor(1) as reader:
        upcoming = reader.submit(note_audio, root, chunks[0], settings)
        for i, chunk in enumerate(Bar(chunks, desc="encoding the library", unit="chunk", disable=not progress or None)):
            audio = upcoming.result()
            if i + 1 < len(chunks):
                upcoming = reader.submit(note_audio, root, chunks[i + 1], settings)
            spec = model.spectrogram_of(audio)
            latents.append(model.encode(spec, torch.tensor([int(examples[n]["pitch"]) for n in chunk]))[0].numpy())
    return np.concatenate(latents)
