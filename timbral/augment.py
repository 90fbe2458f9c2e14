"""Augmentations of a training batch (scaled dB spectrograms ``(batch, bins, frames)``), each drawn
with torch's generator so a resumed run draws the same: what the encoder must learn to see through
(a noise floor, an instrument's colour) or to see more of (pitches between those rendered).
"""

from __future__ import annotations

import math

import torch

from .model import spectrogram_level
from .spectral import Bounds, SpectralSettings, db_to_power, power_to_db, shift_bins

NOISE_FLOOR_DB = (60.0, 85.0)  # how far below a note's level each bin of an added noise floor lies
COLOUR_TILT_DB = 3.0  # largest spectral tilt of a recolouring, dB per octave around 1 kHz
COLOUR_BANDS = 3  # broad resonances or notches per recolouring, each up to ±COLOUR_GAIN_DB
COLOUR_GAIN_DB = 12.0


def pitch_shifted(spec: torch.Tensor, pitch: torch.Tensor, semitones: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Every note moved by its own random shift of up to ``semitones`` up or down
    (:func:`~timbral.spectral.shift_bins`, as a recording resampled), and its pitch label with it (a
    fraction of a semitone included). Returns the spectrograms and their (float) pitches."""
    shift = (2 * torch.rand(len(spec), device=spec.device) - 1) * semitones
    return shift_bins(spec, shift), pitch.float() + shift


def with_noise_floor(spec: torch.Tensor, bounds: Bounds, share: float) -> torch.Tensor:
    """A ``share`` of the scaled spectrograms (drawn with torch's generator) with white noise added,
    each bin 60-85 dB below the note's level (power-domain, Rayleigh-distributed magnitudes): what
    a quiet take in a 16-bit file or a noisy room adds, which must not move a timbre."""
    n = len(spec)
    below = NOISE_FLOOR_DB[0] + (NOISE_FLOOR_DB[1] - NOISE_FLOOR_DB[0]) * torch.rand(n, device=spec.device)
    per_bin_db = spectrogram_level(spec, bounds) - below
    noise = torch.empty_like(spec).exponential_() * db_to_power(per_bin_db)[:, None, None]
    noisy = bounds.scale(power_to_db(db_to_power(bounds.unscale(spec)) + noise)).clamp(0.0, 1.0)
    chosen = (torch.rand(n, device=spec.device) < share)[:, None, None]
    return torch.where(chosen, noisy, spec)


def recoloured(spec: torch.Tensor, bounds: Bounds, settings: SpectralSettings, share: float, pairs: int = 0) -> torch.Tensor:
    """A ``share`` of the scaled spectrograms (drawn with torch's generator) through a random smooth EQ:
    a spectral tilt and a few broad resonances or notches on a log-frequency axis, the same for both
    notes of a pair (the first ``pairs`` notes and the next ``pairs``), so a pair stays one instrument.
    Each recoloured instrument is a new one of the same family, heard and rebuilt as such: more
    instruments per family than the SoundFonts hold, against a space that memorises their colour."""
    n, n_bins, _ = spec.shape
    g = pairs or n  # instruments: a pair shares one curve
    groups = torch.arange(n, device=spec.device) % g
    freqs = torch.linspace(0.0, settings.sr / 2, n_bins, device=spec.device).clamp(min=50.0)
    octave = torch.log2(freqs / 1000.0)  # (n_bins,)
    low, high = math.log2(150.0 / 1000.0), float(octave[-1])
    tilt = COLOUR_TILT_DB * (2 * torch.rand(g, 1, device=spec.device) - 1) * octave
    centre = low + (high - low) * torch.rand(g, COLOUR_BANDS, 1, device=spec.device)
    width = 0.4 + 0.8 * torch.rand(g, COLOUR_BANDS, 1, device=spec.device)
    gain = COLOUR_GAIN_DB * (2 * torch.rand(g, COLOUR_BANDS, 1, device=spec.device) - 1)
    bands = (gain * torch.exp(-0.5 * ((octave - centre) / width) ** 2)).sum(1)
    curve = (tilt + bands)[groups][:, :, None]  # (n, n_bins, 1) dB
    chosen = (torch.rand(g, device=spec.device) < share)[groups][:, None, None]
    above_floor = spec > 0  # the dB floor stays the floor
    return torch.where(chosen & above_floor, (spec + curve / (bounds.hi - bounds.lo)).clamp(0.0, 1.0), spec)
