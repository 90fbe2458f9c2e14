"""The one declaration of Timbral's sample rate, note length and STFT: what every part reads.

Timbral takes in, plays and exports sound at 48 kHz (44.1 kHz on request at export): 48 kHz is the
rate producers and ViSQOL work at, and 48 kHz is three times 16 kHz, NSynth's rate, so the timbre core's
band (0-8 kHz, NSynth's whole band) is the first 513 bins of the full-rate STFT, on the same
time-frequency grid a 16 kHz STFT of 1024/256 has (15.625 Hz bins, 16 ms hops). Above the core the
*high band* (8-24 kHz: cymbals, breath, air) is heard as a coarse envelope of ``high_bands``
log-spaced bands per frame, and played back at every bin.

>>> s = SpectralSettings()
>>> s.sr, s.n_fft, s.hop_length, s.n_bins, s.core_bins, s.n_high_bands, s.heard_rows
(48000, 3072, 768, 1537, 513, 16, 529)
>>> SpectralSettings(sr=16000, n_fft=1024, hop_length=256).n_high_bands  # a 16 kHz model: the core is all there is
0
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SpectralSettings:
    """Rate, note length, STFT, dB floor and the core/high-band split; their hash keys the feature cache."""

    sr: int = 48000
    n_fft: int = 3072
    hop_length: int = 768
    duration: float = 4.0
    floor_db: float = -80.0
    core_hz: float = 8000.0  # the timbre core's band ends here (NSynth's Nyquist)
    high_bands: int = 16  # the high band's envelope: log-spaced bands from core_hz to Nyquist

    def __post_init__(self):
        if self.n_fft < 16 or self.n_fft % 4:
            raise ValueError(f"n_fft must be a multiple of 4, at least 16, got {self.n_fft}")
        if not 0 < self.hop_length <= self.n_fft // 4:
            raise ValueError(f"hop_length must be in 1..n_fft/4 ({self.n_fft // 4}) for phase to be rebuilt well")
        if self.sr <= 0 or self.duration <= 0:
            raise ValueError("sr and duration must be positive")
        if not 0 < self.core_hz <= self.sr / 2 or not 0 <= self.high_bands <= 64:
            raise ValueError(f"core_hz must be in (0, {self.sr / 2:g}] and high_bands 0-64")

    @property
    def n_samples(self) -> int:
        return round(self.sr * self.duration)

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def n_frames(self) -> int:
        return 1 + self.n_samples // self.hop_length

    @property
    def bin_hz(self) -> float:
        return self.sr / self.n_fft

    @property
    def core_bins(self) -> int:
        """Bins of the timbre core: 0 Hz up to and including ``core_hz``."""
        return min(self.n_bins, int(round(self.core_hz / self.bin_hz)) + 1)

    @property
    def n_high_bands(self) -> int:
        """Envelope bands of the high band (0 where the core reaches Nyquist: a 16 kHz model)."""
        return self.high_bands if self.core_bins < self.n_bins else 0

    @property
    def heard_rows(self) -> int:
        """Rows of what the model hears and rebuilds: the core's bins, then the high band's bands."""
        return self.core_bins + self.n_high_bands

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SpectralSettings:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def key(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


DEFAULT = SpectralSettings()
SAMPLE_RATE = DEFAULT.sr  # what Timbral takes in, plays and exports
DURATION = DEFAULT.duration  # seconds of every note, from its onset
EXPORT_RATES = (48000, 44100)  # what exports are written at: the full rate, or 44.1 kHz on request
