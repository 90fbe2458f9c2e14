"""The timbre map: a 2-D picture of the latent space that a person can travel on.

The library's latents are laid out once with t-SNE (openTSNE, FFT-accelerated) and scaled into
the unit square. Two small inverse operations make the map usable for sounds that are not
in the library and for places where no sound lies:

``place(latent)``
    where a new sound goes: the distance-weighted mean position of its nearest library
    neighbours in latent space (openTSNE's own initialisation for new points, without the
    affinity optimisation, so placing is instant and never moves existing points).
``decode(x, y)``
    what lies at any point: the distance-weighted mean latent of the nearest map points.
    On a library point it is exactly that point's latent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .progress import Bar

NEIGHBOURS = 8
POWER = 2.0


@dataclass
class TimbreMap:
    """Map coordinates ``(n, 2)`` in [0, 1] for the latents ``(n, latent_dim)`` they picture."""

    coords: np.ndarray
    latents: np.ndarray

    def __post_init__(self):
        self.coords = np.asarray(self.coords, dtype=np.float32)
        self.latents = np.asarray(self.latents, dtype=np.float32)
        if self.coords.shape != (len(self.latents), 2) or len(self.latents) < 2:
            raise ValueError("a map needs at least 2 points and one (x, y) per latent")
        self._by_position = cKDTree(self.coords)
        self._by_latent = cKDTree(self.latents)

    @classmethod
    def fit(cls, latents: np.ndarray, *, seed: int = 0, perplexity: float = 30.0, n_jobs: int = 2,
            progress: bool = True) -> TimbreMap:
        """Lay out ``latents`` with t-SNE; the same latents and seed give the same map."""
        from openTSNE import TSNE

        latents = np.asarray(latents, dtype=np.float32)
        if len(latents) < 4:
            raise ValueError(f"a map needs at least 4 sounds, got {len(latents)}")
        perplexity = min(perplexity, (len(latents) - 1) / 3)
        # openTSNE's early exaggeration and main phase, in iterations: on the studio's 14,475 notes 350 main iterations
        # keep the map's neighbourhoods as 500 do (trustworthiness 0.9936 vs 0.9938, 5-NN family 0.723 vs 0.724) in half the time
        every, phases = 25, (250, 350)
        bar = Bar(total=sum(phases), desc="laying out the map", unit="it", disable=not progress or None)

        def advance(*_) -> bool:
            bar.update(every)
            return False  # True would stop the optimisation

        tsne = TSNE(perplexity=perplexity, n_jobs=n_jobs, random_state=seed, verbose=False, early_exaggeration_iter=phases[0],
                    n_iter=phases[1], callbacks=advance, callbacks_every_iters=every)
        xy = np.asarray(tsne.fit(latents))
        bar.close()
        return cls(_unit_square(xy), latents)

    def place(self, latent: np.ndarray) -> tuple[float, float]:
        """Map position of a sound from its latent."""
        latent = _finite(latent, self.latents.shape[1], "latent")
        d, i = self._by_latent.query(latent, k=min(NEIGHBOURS, len(self.latents)))
        x, y = _weighted(self.coords[i], d)
        return float(x), float(y)

    def nearest(self, latent: np.ndarray, k: int = 5) -> list[int]:
        """The rows of the ``k`` library sounds nearest to ``latent`` (latent space), nearest first."""
        latent = _finite(latent, self.latents.shape[1], "latent")
        _, i = self._by_latent.query(latent, k=min(k, len(self.latents)))
        return np.atleast_1d(i).tolist()

    def decode(self, x: float, y: float) -> np.ndarray:
        """The latent at any map point ``(x, y)`` (the library spans [0, 1] on both axes)."""
        point = _finite([x, y], 2, "map point")
        d, i = self._by_position.query(point, k=min(NEIGHBOURS, len(self.coords)))
        return _weighted(self.latents[i], d).astype(np.float32)

    def trustworthiness(self, n_neighbors: int = 5, sample: int | None = None, seed: int = 0) -> float:
        """How well map neighbourhoods keep latent ones (1 is perfect), on all points or a seeded sample."""
        from sklearn.manifold import trustworthiness

        rows = np.arange(len(self.latents))
        if sample is not None and sample < len(rows):
            rows = np.sort(np.random.default_rng(seed).choice(rows, sample, replace=False))
        return float(trustworthiness(self.latents[rows], self.coords[rows], n_neighbors=n_neighbors))


def _unit_square(xy: np.ndarray) -> np.ndarray:
    """Shift and scale (one factor for both axes, so distances keep their proportions) into [0, 1]."""
    lo = xy.min(axis=0)
    span = max(float((xy.max(axis=0) - lo).max()), 1e-9)
    return ((xy - lo) / span + (1 - (xy.max(axis=0) - lo) / span) / 2).astype(np.float32)


def _weighted(values: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Inverse-distance weighting; a zero distance returns that value exactly."""
    if distances[0] < 1e-9:
        return values[0]
    w = 1.0 / distances**POWER
    return (w[:, None] * values).sum(axis=0) / w.sum()


def _finite(values, size: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be {size} numbers") from None
    if arr.shape != (size,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be {size} finite numbers")
    return arr
