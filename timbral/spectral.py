"""The representation the model sees: log-magnitude STFT of the whole 4 s note at the full rate, min-max scaled.

Conventions follow librosa: a periodic Hann window, ``center=True`` with zero padding, so
frame ``t`` is centred on sample ``t * hop_length``. Magnitudes become dB with an absolute
floor, then are scaled to [0, 1] with **dataset-level** bounds that travel with a model,
so a decoded spectrogram keeps its absolute level.

A note is held in two forms (:mod:`~timbral.settings`): its *full* spectrogram (every bin up to 24 kHz:
what is played back) and what the model *hears* of it (the core's bins up to 8 kHz, then the high band as
the mean power of each of a few log-spaced bands): :func:`heard_of` turns the first into the second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .settings import SpectralSettings


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


def db_to_power(db):
    """dB → power, the square of :func:`db_to_magnitude` (numpy or torch)."""
    return torch.exp(db * (2 * DB_TO_LOG)) if isinstance(db, torch.Tensor) else np.exp(np.asarray(db) * (2 * DB_TO_LOG))


def power_to_db(power, floor_db: float = -300.0):
    """Power → dB, floored at ``floor_db`` (numpy or torch); the inverse of :func:`db_to_power`.

    >>> float(power_to_db(db_to_power(np.float64(-12.5))))
    -12.5
    """
    if torch.is_tensor(power):
        return 10.0 * torch.log10(power.clamp(min=10 ** (floor_db / 10)))
    return 10.0 * np.log10(np.maximum(power, 10 ** (floor_db / 10)))


def log_magnitude(y, settings: SpectralSettings = SpectralSettings()) -> np.ndarray:
    """dB magnitude spectrogram of ``(n,)`` or ``(batch, n)`` audio as float32 numpy."""
    return magnitude_to_db(stft(y, settings).abs(), settings).numpy()


def level_db(db) -> np.ndarray:
    """A note's level as the model hears it: its loudest frame's energy, in dB, from a dB spectrogram.

    ``db`` is ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``; returns a float or ``(batch,)``.
    Scaling the audio by ``g`` adds ``20 log10 g`` to it (above the floor).
    """
    return power_to_db(np.max(np.sum(db_to_power(np.asarray(db, dtype=np.float32)), axis=-2), axis=-1))


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


def mel_means(settings: SpectralSettings, bands: int) -> np.ndarray:
    """``(bands, core_bins)``: the core on a mel axis from 20 Hz (Slaney's triangles, librosa's), each band the
    weighted mean power of its bins, so a band reads in dB as its bins do."""
    import librosa

    weights = librosa.filters.mel(sr=settings.sr, n_fft=settings.n_fft, n_mels=bands, fmin=20.0,
                                  fmax=settings.core_bins * settings.bin_hz, norm=None)[:, : settings.core_bins]
    return (weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)).astype(np.float32)


# --- the high band as a few bands -----------------------------------------------------------------

def band_edges(settings: SpectralSettings) -> np.ndarray:
    """The high band's ``n_high_bands + 1`` band edges in Hz, log-spaced from ``core_hz`` to Nyquist."""
    return settings.core_hz * (settings.sr / 2 / settings.core_hz) ** np.linspace(0.0, 1.0, settings.n_high_bands + 1)


def band_means(settings: SpectralSettings) -> np.ndarray:
    """``(n_high_bands, n_bins - core_bins)``: each band's mean over the bins above the core that it holds."""
    freqs = np.arange(settings.core_bins, settings.n_bins) * settings.bin_hz
    band = np.clip(np.searchsorted(band_edges(settings), freqs, side="right") - 1, 0, settings.n_high_bands - 1)
    weights = np.zeros((settings.n_high_bands, len(freqs)), np.float32)
    weights[band, np.arange(len(freqs))] = 1.0
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)


def band_spread(settings: SpectralSettings) -> np.ndarray:
    """``(n_bins - core_bins, n_high_bands)``: each bin above the core as a linear blend of the two bands whose
    centres (on a log-frequency axis) lie around it (the nearest band's alone beyond the outer centres)."""
    edges = np.log(band_edges(settings))
    centres = (edges[:-1] + edges[1:]) / 2
    at = np.log(np.arange(settings.core_bins, settings.n_bins) * settings.bin_hz)
    position = np.interp(at, centres, np.arange(len(centres)))
    low = np.clip(np.floor(position).astype(int), 0, max(0, len(centres) - 2))
    frac = np.clip(position - low, 0.0, 1.0)
    weights = np.zeros((len(at), len(centres)), np.float32)
    weights[np.arange(len(at)), low] = 1.0 - frac
    if len(centres) > 1:
        weights[np.arange(len(at)), low + 1] += frac
    return weights


def heard_of(db, settings: SpectralSettings):
    """What the model hears of full dB spectrograms ``(…, n_bins, frames)``: the core's rows as they are, then
    each high band's mean power in dB (``(…, heard_rows, frames)``; numpy or torch, as given)."""
    if not settings.n_high_bands:
        return db
    means = band_means(settings)
    if torch.is_tensor(db):
        power = db_to_power(db[..., settings.core_bins :, :])
        bands = power_to_db(torch.einsum("bk,...kt->...bt", torch.from_numpy(means).to(db), power), settings.floor_db)
        return torch.cat([db[..., : settings.core_bins, :], bands], dim=-2)
    power = db_to_power(np.asarray(db, np.float64)[..., settings.core_bins :, :])
    bands = power_to_db(np.einsum("bk,...kt->...bt", means, power), settings.floor_db)
    return np.concatenate([db[..., : settings.core_bins, :], bands.astype(db.dtype)], axis=-2)


HEARD_CHUNK = 16  # notes transformed at once: their complex spectrograms stay in the CPU's caches


def heard_db(y, settings: SpectralSettings = SpectralSettings()) -> torch.Tensor:
    """What the model hears of ``(n,)`` or ``(batch, n)`` audio, in dB: the same as :func:`heard_of` of
    :func:`log_magnitude`, computed from the power spectrogram directly (the bands' mean power without a round
    trip through dB), a few notes at a time: ``(…, heard_rows, frames)`` float32."""
    t, single = _as_batch(y)
    means = torch.from_numpy(band_means(settings)) if settings.n_high_bands else None
    parts = []
    for chunk in t.split(HEARD_CHUNK):
        spec = stft(chunk, settings)
        power = spec.real * spec.real + spec.imag * spec.imag  # a third of the time of view_as_real(...).square()
        core = power_to_db(power[:, : settings.core_bins], settings.floor_db)
        if means is not None:
            core = torch.cat([core, power_to_db(torch.matmul(means, power[:, settings.core_bins :]), settings.floor_db)], dim=1)
        parts.append(core)
    out = torch.cat(parts)
    return out[0] if single else out


def shift_heard(spec: torch.Tensor, semitones: torch.Tensor, settings: SpectralSettings) -> torch.Tensor:
    """What the model hears ``(batch, heard_rows, frames)`` of each note moved by its ``semitones``, as when a
    recording is resampled: the core's bins by :func:`shift_bins`, the high band's bands along their
    log-frequency axis (a band is the ratio ``Nyquist / core_hz`` split ``n_high_bands`` ways)."""
    core = shift_bins(spec[:, : settings.core_bins], semitones)
    if not settings.n_high_bands:
        return core
    octaves_per_band = math.log2(settings.sr / 2 / settings.core_hz) / settings.n_high_bands
    rows = torch.arange(settings.n_high_bands, device=spec.device, dtype=torch.float32)
    position = rows[None, :] - semitones.float()[:, None] / 12.0 / octaves_per_band
    return torch.cat([core, read_bins(spec[:, settings.core_bins :], position)], dim=1)
