"""The representation the model sees: log-magnitude STFT of the whole 4 s note, min-max scaled.

Conventions follow librosa: a periodic Hann window, ``center=True`` with zero padding, so
frame ``t`` is centred on sample ``t * hop_length``. Magnitudes become dB with an absolute
floor, then are scaled to [0, 1] with **dataset-level** bounds that travel with a model,
so a decoded spectrogram keeps its absolute level.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SpectralSettings:
    """STFT and dB settings; their hash keys the feature cache."""

    sr: int = 16000
    n_fft: int = 1024
    hop_length: int = 256
    duration: float = 4.0
    floor_db: float = -80.0

    def __post_init__(self):
        if self.n_fft < 16 or self.n_fft & (self.n_fft - 1):
            raise ValueError(f"n_fft must be a power of two >= 16, got {self.n_fft}")
        if not 0 < self.hop_length <= self.n_fft // 4:
            raise ValueError(f"hop_length must be in 1..n_fft/4 ({self.n_fft // 4}) for phase to be rebuilt well")
        if self.sr <= 0 or self.duration <= 0:
            raise ValueError("sr and duration must be positive")

    @property
    def n_samples(self) -> int:
        return round(self.sr * self.duration)

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def n_frames(self) -> int:
        return 1 + self.n_samples // self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SpectralSettings:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def key(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Bounds:
    """Dataset-level dB bounds of the min-max scaling."""

    lo: float
    hi: float

    def __post_init__(self):
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.hi > self.lo):
            raise ValueError(f"bounds need finite lo < hi, got {self.lo}, {self.hi}")

    def scale(self, db):
        """dB → [0, 1] (values above ``hi`` stay above 1)."""
        return (db - self.lo) / (self.hi - self.lo)

    def unscale(self, x):
        """[0, 1] → dB."""
        return x * (self.hi - self.lo) + self.lo


def _as_batch(y) -> tuple[torch.Tensor, bool]:
    t = torch.as_tensor(np.asarray(y, dtype=np.float32) if not torch.is_tensor(y) else y, dtype=torch.float32)
    return (t.unsqueeze(0), True) if t.ndim == 1 else (t, False)


def stft(y, settings: SpectralSettings = SpectralSettings()) -> torch.Tensor:
    """Complex STFT of ``(n,)`` or ``(batch, n)`` audio: ``(…, n_bins, n_frames)``."""
    t, single = _as_batch(y)
    window = torch.hann_window(settings.n_fft, dtype=t.dtype, device=t.device)
    spec = torch.stft(t, settings.n_fft, settings.hop_length, window=window, center=True, pad_mode="constant", return_complex=True)
    return spec[0] if single else spec


def magnitude_to_db(magnitude, settings: SpectralSettings = SpectralSettings()):
    """Linear magnitude → dB with the settings' absolute floor (numpy or torch)."""
    amin = 10 ** (settings.floor_db / 20)
    if torch.is_tensor(magnitude):
        return 20 * torch.log10(torch.clamp(magnitude, min=amin))
    return 20 * np.log10(np.maximum(magnitude, amin))


DB_TO_LOG = math.log(10.0) / 20.0  # a magnitude is exp(dB · DB_TO_LOG): in torch twice as fast as 10 ** (dB / 20)


def db_to_magnitude(db):
    """dB → linear magnitude (numpy or torch)."""
    return torch.exp(db * DB_TO_LOG) if isinstance(db, torch.Tensor) else np.exp(np.asarray(db) * DB_TO_LOG)


def log_magnitude(y, settings: SpectralSettings = SpectralSettings()) -> np.ndarray:
    """dB magnitude spectrogram of ``(n,)`` or ``(batch, n)`` audio as float32 numpy."""
    return magnitude_to_db(stft(y, settings).abs(), settings).numpy()


def level_db(db) -> np.ndarray:
    """A note's level as the model hears it: its loudest frame's energy, in dB, from a dB spectrogram.

    ``db`` is ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``; returns a float or ``(batch,)``.
    Scaling the audio by ``g`` adds ``20 log10 g`` to it (above the floor).
    """
    power = np.sum(10.0 ** (np.asarray(db, dtype=np.float32) / 10.0), axis=-2)
    return 10.0 * np.log10(np.max(power, axis=-1))


def shift_bins(spec: torch.Tensor, semitones: torch.Tensor) -> torch.Tensor:
    """Spectrograms ``(batch, bins, frames)`` each moved by its ``semitones`` ``(batch,)``: bin ``k`` takes
    what lay at ``k / r``, ``r = 2 ** (semitones / 12)``, so partials and spectral envelope move together
    as when a recording is resampled (its timing kept)."""
    bins = torch.arange(spec.shape[1], device=spec.device, dtype=torch.float32)
    return read_bins(spec, bins[None, :] * 2.0 ** (-semitones.float()[:, None] / 12.0))


def read_bins(spec: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """Spectrograms ``(batch, bins, frames)`` read at fractional bin ``position`` ``(batch, rows)``,
    linearly interpolated between neighbouring bins; 0 where a position lies beyond the last bin.
    Moving every bin by one ratio shifts a note's pitch; reading at a pitch's harmonics aligns them."""
    n_bins, frames = spec.shape[1], spec.shape[2]
    inside = (position >= 0) & (position <= n_bins - 1)
    position = position.clamp(0, n_bins - 1)
    low = position.floor().long().clamp(max=n_bins - 2)
    frac = (position - low)[..., None]
    below = spec.gather(1, low[..., None].expand(-1, -1, frames))
    above = spec.gather(1, (low + 1)[..., None].expand(-1, -1, frames))
    return torch.where(inside[..., None], below + frac * (above - below), torch.zeros_like(below))
