"""Harmonic-plus-noise synthesis straight to audio: how a model of ``synthesis="audio"`` plays (issue 42's design (b)).

Per frame the decoder gives a level, the share of each of :data:`HARMONICS` harmonics at exactly ``k`` times the
note's pitch (those above Nyquist silenced) and :data:`NOISE_BANDS` mel-spaced noise bands over the whole band
(20 Hz to Nyquist). :func:`render` turns them into audio through one inverse STFT (n_fft 4 hops, Hann), as DDSP
does: each harmonic is its window's lobe at ``k·f0`` with the phase of a cosine of constant pitch that starts at
phase 0 with the note (an oscillator bank's output, frame by frame, to -59 dB), each noise band's magnitude carries
the phases it is given. The model's spectrogram is then that audio's (:mod:`timbral.spectral` conventions), so its
sound reaches Nyquist with no bandwidth extension, and everything that plays a spectrogram plays it.

These are plain torch functions: they compile with TorchScript (the nn~ export).
"""

from __future__ import annotations

import math

import torch

HARMONICS = 96  # up to 24 kHz from about 250 Hz (MIDI 59); the lowest notes keep their harmonics up to 2-3 kHz
NOISE_BANDS = 64  # mel-spaced, 20 Hz to Nyquist
NOISE_START = -5.0  # the noise's logits start here (about 90 dB down), as DDSP's filtered noise does
CROP_FRAMES = 48  # training hears a 48-hop crop of each note's audio (0.77 s at 48 kHz), half of them at the start


def scaled_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """DDSP's positive output: 2·sigmoid(x)^ln 10 + 1e-7, smooth over many decades."""
    return 2.0 * torch.pow(torch.sigmoid(x), math.log(10.0)) + 1e-7


def noise_bands(sr: int, n_fft: int) -> torch.Tensor:
    """``(n_fft // 2 + 1, NOISE_BANDS)``: triangular mel-spaced bands (peak 1) over the STFT's bins."""
    import librosa

    return torch.from_numpy(librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=NOISE_BANDS, fmin=20.0, norm=None)).T.contiguous()


def render(params: torch.Tensor, pitch: torch.Tensor, bands: torch.Tensor, phases: torch.Tensor, sr: int, hop: int,
           first: int, count: int) -> torch.Tensor:
    """Audio ``(batch, count·hop)`` of frames ``first``..``first + count`` of the positive frame parameters
    ``(batch, 1 + harmonics + noise bands, frames)`` (level, harmonic shares, noise bands' standard deviations) at
    ``pitch`` (MIDI, continuous). ``bands`` is :func:`noise_bands`; ``phases`` ``(batch or 1, bins, count + 1)`` the
    noise's phases (random in training, fixed when played, so a sound plays the same every time)."""
    n_fft = 4 * hop
    p = params[:, :, first : first + count + 1]
    if p.shape[-1] < count + 1:  # the last frame held
        p = torch.cat([p, p[:, :, -1:].expand(p.shape[0], p.shape[1], count + 1 - p.shape[-1])], dim=-1)
    harmonics = p.shape[1] - 1 - bands.shape[1]
    level, shares, noise = p[:, :1], p[:, 1 : 1 + harmonics], p[:, 1 + harmonics :]
    f0 = 440.0 * torch.pow(2.0, (pitch.double() - 69.0) / 12.0)
    k = torch.arange(1, harmonics + 1, device=p.device, dtype=torch.float64)
    audible = (k[None] * f0[:, None] < sr / 2).to(p.dtype)[:, :, None]
    shares = shares * audible
    amplitude = level * shares / shares.sum(1, keepdim=True).clamp(min=1e-7)
    with torch.no_grad():
        offset = torch.arange(n_fft // 2 + 1, device=p.device, dtype=torch.float64)[None, None] - (
            k[None, :, None] * f0[:, None, None] * n_fft / sr)  # bins from each harmonic
        lobe = n_fft * (0.5 * torch.sinc(offset) + 0.25 * torch.sinc(offset - 1) + 0.25 * torch.sinc(offset + 1))
        sign = 1.0 - 2.0 * (torch.arange(n_fft // 2 + 1, device=p.device) % 2).double()  # frame start vs centre
        lobe = (0.5 * lobe * (offset.abs() < 4).double() * sign).to(p.dtype)  # (batch, harmonics, bins)
        centres = torch.arange(first, first + count + 1, device=p.device, dtype=torch.float64) * hop
        cycles = torch.remainder(k[None, :, None] * torch.remainder(f0[:, None, None] * centres / sr, 1.0), 1.0)
        cos, sin = torch.cos(2 * math.pi * cycles).to(p.dtype), torch.sin(2 * math.pi * cycles).to(p.dtype)
    real = torch.einsum("xkb,xkt->xbt", lobe, amplitude * cos)
    imag = torch.einsum("xkb,xkt->xbt", lobe, amplitude * sin)
    # a band's value is its noise's standard deviation: random phases make a frame's inverse FFT noise of variance
    # magnitude² / n_fft, which the overlap-add (windowed again, over the squared windows' sum of 1.5 at 4 hops)
    # divides by 1.5
    magnitude = math.sqrt(1.5 * n_fft) * torch.einsum("fb,xbt->xft", bands, noise)
    spectrum = torch.complex(real + magnitude * torch.cos(phases), imag + magnitude * torch.sin(phases))
    return torch.istft(spectrum, n_fft, hop, window=torch.hann_window(n_fft, device=p.device), length=count * hop)

