"""What the model cannot make of a sound that has audio: its *detail*.

A sound heard from a recording (a library note, a file of yours) is the decoder's spectrogram of its latent
plus its detail: the difference between the recording's own log-magnitude spectrogram and the decoder's, in
the model's scaled dB. Added back at the sound's own pitch it gives the recording's magnitudes exactly, so the
sound plays as itself. At another pitch it is transposed (``move="transpose"``, the default): its spectrogram
at its own pitch (its :func:`anchor`) rebuilt through an STFT whose window is the pitch ratio shorter
(:func:`~timbral.phase.transposed`), so its partials move by the ratio and the note keeps its length and
envelope at every key (within an octave, above a sampler on two sources never trained on: docs/benchmarks.md).
Or it plays as a sampler plays a recording (``"resample"``): rendered at its own pitch, then resampled, faster
and shorter or slower and longer. Or, the decoder playing the new pitch, the detail moves with the harmonics
(``"shift"``: every bin by the pitch ratio) or fades out over an octave (``"fade"``). In a blend or a mix the
details weigh as the latents do; transposed or resampled, the blend is rendered at its heaviest detail's
pitch, the others moved there with the harmonics. A sound with no audio (a random one, a point of the map) has
none: it is the model's alone, at every pitch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .spectral import shift_bins

MOVES = ("transpose", "resample", "shift", "fade")  # how a sound with a recording is played at another pitch
FADE_SEMITONES = 12.0  # with move="fade": the detail is gone this far from its pitch


@dataclass(frozen=True, eq=False)
class Detail:
    """A recording's spectrogram minus the decoder's at its latent, ``pitch`` and velocity: ``(bins, frames)``
    in the model's scaled dB (float16: a quarter of a megabyte)."""

    spec: np.ndarray
    pitch: int
    key: bytes = field(init=False, repr=False)  # names it in caches

    def __post_init__(self):
        object.__setattr__(self, "spec", np.asarray(self.spec, np.float16))
        object.__setattr__(self, "key", hashlib.blake2b(self.spec.tobytes(), digest_size=8).digest() + bytes([self.pitch]))

    def at(self, pitch: float, move: str = "shift") -> torch.Tensor:
        """The detail for the sound decoded at ``pitch``: as it is at its own pitch; elsewhere moved with the
        harmonics (``"shift"``, and ``"transpose"``/``"resample"`` for a blend's detail moved to its anchor:
        :func:`~timbral.spectral.shift_bins`) or faded."""
        spec = torch.from_numpy(self.spec.astype(np.float32))
        if pitch == self.pitch:
            return spec
        if move == "fade":
            return spec * max(0.0, 1.0 - abs(pitch - self.pitch) / FADE_SEMITONES)
        if move not in MOVES:
            raise ValueError(f"move must be one of {', '.join(MOVES)}, got {move!r}")
        return shift_bins(spec[None], torch.tensor([float(pitch - self.pitch)]))[0]


Details = tuple[tuple[float, Detail], ...]  # weighted details: a sound's own (1.0), or a blend's or a mix's share of each


def weighted(parts: Sequence[tuple[float, Details]]) -> Details:
    """The details of a blend or mix: each source's details scaled by its weight (weights as the latents')."""
    return tuple((w * v, d) for w, details in parts if w > 0 for v, d in details)


def anchor(details: Details) -> int | None:
    """The pitch a sound with details is rendered at before it is transposed or resampled to another:
    its heaviest detail's, the first of equals; ``None`` for a sound without."""
    return max(details, key=lambda part: part[0])[1].pitch if details else None


def summed(details: Details, pitch: float, move: str = "shift") -> torch.Tensor | None:
    """The details of one sound, added up for it played at ``pitch`` (``None`` when it has none)."""
    parts = [w * d.at(pitch, move) for w, d in details if w > 0]
    return torch.stack(parts).sum(0) if parts else None


def key_of(details: Details) -> bytes:
    """Names a sound's details in a cache of decoded sounds."""
    return b"".join(np.float32(w).tobytes() + d.key for w, d in details)
