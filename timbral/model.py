"""The pitch-conditioned timbre VAE, and the model folder it lives in.

The encoder reads a whole note's scaled log-magnitude spectrogram (frequency as channels,
1-D convolutions over time) and returns the mean and log-variance of a latent vector that
holds **timbre**. With ``level_normalise`` it first brings the note to one level and a fixed
dynamic range (so how loud a note was recorded cannot move its timbre); with ``encoder_pitch``
it is told the note's pitch too, so it can take out what pitch alone explains. The decoder
rebuilds the spectrogram from that vector plus the pitch and velocity to play it at: pitch
enters as continuous Fourier features (any MIDI pitch works, also ones never trained on) and
as a harmonic comb over the frequency bins, which one decoder head uses to place partials
exactly where that pitch puts them.

A model lives in a folder (:mod:`~timbral.model_folder`): :func:`save_model` writes one, :func:`load_model` reads one.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import synthesis
from .losses import reconstruction_losses
from .model_folder import CONFIG_FILE, ModelError, default_model_path, read_folder, write_folder
from .phase import DEFAULT_METHOD, N_ITER, reconstruct
from .spectral import (
    DB_TO_LOG,
    Bounds,
    SpectralSettings,
    band_means,
    band_spread,
    db_to_magnitude,
    db_to_power,
    heard_db,
    log_magnitude,
    mel_means,
    power_to_db,
    read_bins,
    shift_heard,
)

ENCODER_RANGE_DB = 75.0  # with level_normalise, the encoder hears this much below a note's level (models saved before it was a setting)
INPUT_LEVEL_DB = 38.72  # measured with train.input_level on data/default (velocity 100, train split)
FIT_STEPS = 100  # latent fitting (fit_latents), measured on OPL3: SC -3.6 -> -6.9 dB in 100 steps, -7.5 in 300
FIT_LR = 0.05
MAX_FIT_STEPS = 2000
# a note's latent is heard over the note and its copies resampled 2 semitones down and up: on unseen instruments
# it placed them 0.03 better and found their notes at other pitches 0.05 more often (docs/history/, 16 kHz era)
ENCODE_SHIFTS = (-2.0, 0.0, 2.0)
HIGH_BANDS = ("continued", "envelope", "none")  # ModelConfig.high_band
SYNTHESES = ("spectrogram", "audio")  # ModelConfig.synthesis
# the ModelConfig fields that make the encoder what it is: what a note is heard as, and where it lands
ENCODER_SETTINGS = ("latent_dim", "channels", "pitch_features", "spectral", "bounds", "input_level_db", "level_normalise",
                    "encoder_range_db", "level_ramp", "encoder_pitch", "encoder_relative", "encoder_mel", "encode_shifts")
MAX_MEL_BANDS = 128  # ModelConfig.encoder_mel: more would leave the lowest bands narrower than a bin


@dataclass
class ModelConfig:
    """Architecture settings; with the spectral settings and bounds they define a model. The defaults are the plainest
    model, which is also what a model file written before a setting existed means; the values a new model is trained
    with are the recipe's, :class:`~timbral.train.TrainConfig` (``timbral train``)."""

    latent_dim: int = 32
    channels: int = 256
    pitch_features: int = 16
    pitch_conditioning: bool = True
    harmonic_template: bool = True
    n_families: int = 0  # > 0: a linear family head on μ, trained as an auxiliary task
    spectral: dict = field(default_factory=lambda: SpectralSettings().to_dict())
    bounds: dict = field(default_factory=lambda: {"lo": -80.0, "hi": 40.0})
    # the typical level (spectral.level_db) of a loud training note: a user's sound is brought to it before
    # encoding, so its recording level changes nothing (the default: the default dataset's velocity-100 notes)
    input_level_db: float = INPUT_LEVEL_DB
    level_normalise: bool = False  # the encoder hears every note at input_level_db, over encoder_range_db
    encoder_range_db: float = ENCODER_RANGE_DB  # with level_normalise: how far below the note's level it hears
    level_ramp: bool = False  # with level_normalise: each bin as its height above the window's bottom (no step there)
    encoder_pitch: bool = False  # the encoder is given the note's pitch
    encoder_relative: bool = False  # the encoder also hears the spectrum on a log-frequency axis starting at the pitch
    encoder_mel: int = 0  # > 0: the encoder hears the core as this many mel bands (then the high band's), not its bins
    harmonic_noise: bool = False  # the decoder's output stage adds harmonics and filtered noise (DDSP-style) to a free head
    decoder_blocks: int = 0  # residual dilated convolutions where the decoder shapes a note's course (its middle rate)
    # how the decoder plays the band above the core (no weights depend on it): "continued" (each band's level, the core's
    # harmonics and texture continued on it), "envelope" (each band's level alone: shaped noise) or "none" (nothing)
    high_band: str = "continued"
    # how the decoder makes a note: "spectrogram" (its magnitudes, the core and the high band's levels, the phase
    # rebuilt when played) or "audio" (harmonics and noise over the whole band rendered to audio, :mod:`~timbral.synthesis`,
    # its spectrogram that audio's; then harmonic_template, harmonic_noise and high_band are unused)
    synthesis: str = "spectrogram"
    # a note's latent is the encoder's mean over the note resampled by each of these semitones (its pitch moved along)
    encode_shifts: tuple[float, ...] = ENCODE_SHIFTS

    def __post_init__(self):
        shifts = tuple(self.encode_shifts) if isinstance(self.encode_shifts, (list, tuple)) else ()
        if not shifts or not all(isinstance(s, (int, float)) and not isinstance(s, bool) and abs(s) <= 12 for s in shifts):
            raise ValueError(f"encode_shifts must be a list of semitones within ±12, got {self.encode_shifts!r}")
        self.encode_shifts = tuple(float(s) for s in shifts)
        if self.high_band not in HIGH_BANDS:
            raise ValueError(f"high_band must be one of {', '.join(HIGH_BANDS)}, got {self.high_band!r}")
        if self.synthesis not in SYNTHESES:
            raise ValueError(f"synthesis must be one of {', '.join(SYNTHESES)}, got {self.synthesis!r}")
        if isinstance(self.encoder_mel, bool) or not isinstance(self.encoder_mel, int) or not 0 <= self.encoder_mel <= MAX_MEL_BANDS:
            raise ValueError(f"encoder_mel must be 0 (the core's bins) or up to {MAX_MEL_BANDS} mel bands, got {self.encoder_mel!r}")
        if self.encoder_mel and self.encoder_relative:
            raise ValueError("encoder_relative reads the core's bins: leave it off with encoder_mel")

    @property
    def spectral_settings(self) -> SpectralSettings:
        return SpectralSettings.from_dict(self.spectral)

    @property
    def scale(self) -> Bounds:
        return Bounds(**self.bounds)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown model settings: {', '.join(sorted(unknown))}")
        return cls(**d)


def pitch_features(pitch: torch.Tensor, n: int) -> torch.Tensor:
    """Sinusoidal features of continuous MIDI pitch (plus the pitch itself, scaled)."""
    p = pitch.float().unsqueeze(-1) / 128.0
    freqs = torch.pow(2.0, torch.arange(n // 2, device=pitch.device, dtype=torch.float32)) * math.pi
    return torch.cat([p, torch.sin(p * freqs), torch.cos(p * freqs)], dim=-1)


def pitch_hz(pitch: torch.Tensor) -> torch.Tensor:
    """The fundamental in Hz of each (continuous) MIDI pitch (TorchScript too)."""
    return 440.0 * torch.pow(2.0, (pitch.float() - 69.0) / 12.0)


def harmonic_comb(pitch: torch.Tensor, sr: int, n_fft: int, n_bins: int, width: float = 0.8) -> torch.Tensor:
    """``(batch, n_bins)`` in [0, 1]: Gaussian bumps at the harmonics of each pitch (TorchScript too)."""
    f0 = pitch_hz(pitch)
    bin_hz = sr / n_fft
    bins = torch.arange(n_bins, device=pitch.device, dtype=torch.float32)
    harmonic = bins[None, :] * bin_hz / f0[:, None]  # bin position in units of f0
    nearest = torch.clamp(torch.round(harmonic), min=1.0)
    distance_bins = (harmonic - nearest) * f0[:, None] / bin_hz
    return torch.exp(-0.5 * (distance_bins / width) ** 2)


HARMONICS = 160  # partials the harmonic-plus-noise stage places (up to 5 kHz at MIDI 24)
NOISE_BANDS = 64  # its noise filter's bands, evenly spaced up to Nyquist


def harmonic_lobes(pitch: torch.Tensor, sr: int, n_fft: int, n_bins: int, count: int, width: float = 0.85) -> torch.Tensor:
    """``(batch, count, n_bins)``: the magnitude each of the first ``count`` harmonics of each pitch leaves in
    each of the first ``n_bins`` bins, its window's main lobe as a Gaussian ``width`` bins wide."""
    f0 = pitch_hz(pitch)
    harmonics = torch.arange(1, count + 1, device=pitch.device, dtype=torch.float32)
    centres = f0[:, None] * harmonics[None, :] / (sr / n_fft)
    bins = torch.arange(n_bins, device=pitch.device, dtype=torch.float32)
    return torch.exp(-0.5 * ((bins[None, None, :] - centres[:, :, None]) / width) ** 2)


def band_interpolation(bands: int, bins: int) -> torch.Tensor:
    """``(bins, bands)``: each bin's weights of the two band levels around it (linear interpolation)."""
    at = torch.linspace(0, bands - 1, bins)
    low = at.floor().clamp(max=bands - 2).long()
    weights = torch.zeros(bins, bands)
    weights[torch.arange(bins), low] = 1.0 - (at - low)
    weights[torch.arange(bins), low + 1] = at - low
    return weights


def spectrogram_level(spec: torch.Tensor, bounds: Bounds) -> torch.Tensor:
    """:func:`~timbral.spectral.level_db` of scaled spectrograms ``(batch, bins, frames)`` (pass the core's rows:
    a note's level is measured below 8 kHz, where every note has sound), in torch."""
    # log Σ power per frame in one fused pass (the sum of exp(2·dB·ln10/20)), then the loudest frame
    log_power = torch.logsumexp(spec * (2 * DB_TO_LOG * (bounds.hi - bounds.lo)), dim=1) + 2 * DB_TO_LOG * bounds.lo
    return (log_power.amax(dim=-1) / (2 * DB_TO_LOG)).clamp(min=-120.0)


def normalise_level(spec: torch.Tensor, level_db: float, bounds: Bounds, range_db: float = ENCODER_RANGE_DB,
                    core_bins: int = -1) -> torch.Tensor:
    """Scaled spectrograms ``(batch, rows, frames)`` shifted in dB so that each one's level
    (:func:`~timbral.spectral.level_db` of its first ``core_bins`` rows; -1: all) is ``level_db`` (what scaling
    the audio would do), keeping only the ``range_db`` below it: a note recorded quietly, whose softest
    detail sank under the floor or the noise of its file, then looks the same as when recorded loud."""
    level = spectrogram_level(spec[:, :core_bins] if core_bins > 0 else spec, bounds)
    shifted = spec + ((level_db - level) / (bounds.hi - bounds.lo))[:, None, None]
    keep = (spec > 0) & (shifted > bounds.scale(level_db - range_db))
    return shifted.clamp_(max=1.0).mul_(keep)  # in place on the new tensor: a third of the memory passes


def level_ramp(spec: torch.Tensor, bounds: Bounds, range_db: float = ENCODER_RANGE_DB, core_bins: int = -1) -> torch.Tensor:
    """Scaled spectrograms ``(batch, bins, frames)`` as each bin's height in dB above ``range_db`` below
    the note's level, over ``range_db``: 0 at the window's bottom, 1 at the level. Like
    :func:`normalise_level` the recording level changes nothing, but a bin that crosses the bottom
    (the noise of a quiet 16-bit take) moves the input by a little instead of a step of a third."""
    level = spectrogram_level(spec[:, :core_bins] if core_bins > 0 else spec, bounds)
    above = bounds.unscale(spec) - level[:, None, None] + range_db
    return torch.where(spec > 0, (above / range_db).clamp(0.0, 1.0), torch.zeros_like(spec))


RELATIVE_BINS_PER_OCTAVE = 24
RELATIVE_OCTAVES = (-1, 6)  # the pitch-relative axis: from an octave below the fundamental to its 64th harmonic


def relative_bins() -> int:
    """Rows of :func:`pitch_relative`'s output."""
    return (RELATIVE_OCTAVES[1] - RELATIVE_OCTAVES[0]) * RELATIVE_BINS_PER_OCTAVE


POOL_SIZES = (1, 3, 7, 15)  # frequency max-pools the pitch-relative axis reads from where its rows lie far apart


def pitch_relative(spec: torch.Tensor, pitch: torch.Tensor, settings: SpectralSettings) -> torch.Tensor:
    """Spectrograms ``(batch, bins, frames)`` read on a log-frequency axis that starts an octave below
    each note's fundamental, :data:`RELATIVE_BINS_PER_OCTAVE` rows an octave (0 above Nyquist): the
    harmonics of any pitch land on the same rows, so an instrument looks alike at every pitch. Where
    rows lie more than a bin apart (high up) a row reads the loudest bin around it, so no partial
    falls between two rows."""
    f0 = pitch_hz(pitch)
    steps = torch.arange(relative_bins(), device=spec.device, dtype=torch.float32)
    octaves = RELATIVE_OCTAVES[0] + steps / RELATIVE_BINS_PER_OCTAVE
    position = f0[:, None] * 2.0 ** octaves[None, :] / (settings.sr / settings.n_fft)  # (batch, rows) in bins
    spacing = position * (2.0 ** (1 / RELATIVE_BINS_PER_OCTAVE) - 1)
    pooled = [spec if k == 1 else F.max_pool2d(spec[:, None], (k, 1), stride=1, padding=(k // 2, 0))[:, 0] for k in POOL_SIZES]
    read = torch.stack([read_bins(p, position) for p in pooled])  # (pools, batch, rows, frames)
    which = (spacing[None] > torch.tensor(POOL_SIZES[:-1], device=spec.device, dtype=torch.float32)[:, None, None]).sum(0)
    return read.gather(0, which[None, :, :, None].expand(1, -1, -1, spec.shape[-1]))[0]


class Encoder(nn.Module):
    """What the model hears of a note (the core's bins and the high band's bands, scaled) and its pitch →
    the mean and log-variance of its timbre latent. With ``encoder_mel`` it reads the core on a mel axis: a
    note's broad shape, not where its pitch puts each partial."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        s, channels = config.spectral_settings, config.channels
        self.config, self.settings = config, s
        mel = torch.from_numpy(mel_means(s, config.encoder_mel)) if config.encoder_mel else torch.zeros(0, 0)
        self.register_buffer("mel", mel, persistent=False)
        self.core_rows = config.encoder_mel or s.core_bins
        rows = self.core_rows + s.n_high_bands + (relative_bins() if config.encoder_relative else 0)
        self.convs = nn.Sequential(
            nn.Conv1d(rows, channels, 8, stride=4, padding=2), nn.GELU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.GELU(),
        )
        with torch.no_grad():
            steps = self.convs(torch.zeros(1, rows, s.n_frames)).shape[-1]
        extra = config.pitch_features + 1 if config.encoder_pitch else 0
        self.to_latent = nn.Linear(channels * steps + extra, 2 * config.latent_dim)

    def forward(self, spec: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.config
        core = self.settings.core_bins
        if cfg.encoder_mel:
            spec = torch.cat([self.on_mel(spec[:, :core]), spec[:, core:]], dim=1)
        if cfg.level_normalise:
            spec = (level_ramp(spec, cfg.scale, cfg.encoder_range_db, self.core_rows) if cfg.level_ramp
                    else normalise_level(spec, cfg.input_level_db, cfg.scale, cfg.encoder_range_db, self.core_rows))
        if cfg.encoder_relative:
            spec = torch.cat([spec, pitch_relative(spec[:, :core], pitch, self.settings)], dim=1)
        h = self.convs(spec).flatten(1)
        if cfg.encoder_pitch:
            h = torch.cat([h, pitch_features(pitch, cfg.pitch_features)], dim=-1)
        mu, logvar = self.to_latent(h).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def on_mel(self, core: torch.Tensor) -> torch.Tensor:
        """The core's scaled bins ``(batch, core_bins, frames)`` → its mel bands, scaled alike."""
        scale = self.config.scale
        power = db_to_power(scale.unscale(core))
        return scale.scale(power_to_db(torch.einsum("mk,bkt->bmt", self.mel, power))).clamp(0.0, 1.0)


# the high band's harmonics and texture continue the core's top (spectral band replication): every bin above
# the core reads the core's fine structure a whole number of harmonic steps of about SOURCE_HZ lower
SOURCE_HZ = 4000.0
SMOOTH_BINS = 33  # the core's fine structure: each bin in dB against the mean of the 33 around it (about 500 Hz)


class Decoder(nn.Module):
    """Latent, pitch and velocity → what the model hears of a note (:meth:`heard`: the core's bins and the high
    band's band levels) and its whole spectrogram (:meth:`forward`: every bin to Nyquist), scaled. Its methods
    compile with TorchScript (:mod:`~timbral.exports.nn`), so they read plain numbers, not the config."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        s = config.spectral_settings
        c = config.channels
        self.config, self.settings = config, s
        self.channels, self.n_pitch_features = c, config.pitch_features
        self.pitch_conditioning, self.harmonic_template = config.pitch_conditioning, config.harmonic_template
        self.harmonic_noise, self.n_bins, self.n_harmonics = config.harmonic_noise, s.core_bins, HARMONICS
        self.n_high_bands, self.full_bins, self.bin_hz = s.n_high_bands, s.n_bins, s.bin_hz
        self.lo, self.hi = float(config.scale.lo), float(config.scale.hi)
        self.floor = 10.0 ** (self.lo / 20.0)  # the linear magnitude of the bottom of the range
        self.db_to_log = DB_TO_LOG  # a plain attribute: TorchScript reads no module constants
        self.source_hz, self.smooth_bins, self.high_band = SOURCE_HZ, SMOOTH_BINS, config.high_band
        self.sr, self.n_fft, self.n_frames = s.sr, s.n_fft, s.n_frames
        self.steps = math.ceil(s.n_frames / 16)
        cond = config.latent_dim + (config.pitch_features + 1 + 1 if config.pitch_conditioning else 0)
        self.start = nn.Sequential(nn.Linear(cond, 512), nn.GELU(), nn.Linear(512, c * self.steps))
        self.film = nn.Linear(cond, 4 * c)  # scale and shift for the two upsampling blocks
        self.up1 = nn.ConvTranspose1d(c, c, 4, stride=2, padding=1)
        self.up2 = nn.ConvTranspose1d(c, c, 4, stride=2, padding=1)
        self.mix = nn.Conv1d(c, c, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv1d(c, c, 3, padding=2**i, dilation=2**i), nn.GELU(), nn.Conv1d(c, c, 1))
            for i in range(config.decoder_blocks))
        self.up3 = nn.ConvTranspose1d(c, c, 4, stride=4)
        self.renders_audio, self.hop, self.note_hops = config.synthesis == "audio", s.hop_length, s.n_frames - 1
        self.floor_power = 10.0 ** (s.floor_db / 10.0)
        if self.renders_audio:
            self.out = nn.Conv1d(c, 1 + synthesis.HARMONICS + synthesis.NOISE_BANDS, 1)
            with torch.no_grad():
                self.out.bias[1 + synthesis.HARMONICS :] = synthesis.NOISE_START
            self.register_buffer("bands", synthesis.noise_bands(s.sr, s.n_fft), persistent=False)
        elif config.harmonic_noise:
            self.out = nn.Conv1d(c, s.core_bins + HARMONICS + NOISE_BANDS, 1)
            self.register_buffer("bands", band_interpolation(NOISE_BANDS, s.core_bins), persistent=False)
        else:
            self.out = nn.Conv1d(c, (2 if config.harmonic_template else 1) * s.core_bins, 1)
            self.register_buffer("bands", torch.zeros(0, 0), persistent=False)
        # the high band: a level per band and frame, spread over its bins, with the core's fine structure on top
        self.high = nn.Conv1d(c, s.n_high_bands, 1) if s.n_high_bands and not self.renders_audio else nn.Identity()
        self.register_buffer("spread", torch.from_numpy(band_spread(s)) if s.n_high_bands else torch.zeros(0, 0),
                             persistent=False)
        self.register_buffer("high_bins", torch.arange(s.core_bins, s.n_bins, dtype=torch.float32), persistent=False)
        # what an audio-rendering decoder hears of its audio above the core (the bands' mean power), and the noise's
        # phases when it plays: drawn once, so a sound plays the same every time
        self.register_buffer("band_means", torch.from_numpy(band_means(s)) if s.n_high_bands else torch.zeros(0, 0),
                             persistent=False)
        phases = (torch.rand(s.n_bins, s.n_frames, generator=torch.Generator().manual_seed(0)) * (2 * math.pi)
                  if self.renders_audio else torch.zeros(0, 0))
        self.register_buffer("phases", phases, persistent=False)

    def forward(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """The whole scaled spectrogram ``(batch, n_bins, frames)``: the core, then the high band at every bin."""
        if self.renders_audio:
            return self.scaled_db(self.note_power(z, pitch, velocity))
        return self.full(self.heard(z, pitch, velocity), pitch)

    @torch.jit.export
    def heard(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """What the model hears of the note it makes ``(batch, heard_rows, frames)``: the core's bins, then the
        high band's band levels (what training compares with a note's own)."""
        if self.renders_audio:
            power = self.note_power(z, pitch, velocity)
            if self.n_high_bands == 0:
                return self.scaled_db(power)
            bands = torch.einsum("bk,nkt->nbt", self.band_means, power[:, self.n_bins :])
            return self.scaled_db(torch.cat([power[:, : self.n_bins], bands], dim=1))
        h = self.trunk(z, pitch, velocity)
        out = self.out(h)
        if self.harmonic_noise:
            core = self.harmonics_and_noise(out, pitch)
        elif self.harmonic_template:
            direct, gate = out.chunk(2, dim=1)
            core = torch.sigmoid(direct + gate * harmonic_comb(pitch, self.sr, self.n_fft, self.n_bins).unsqueeze(-1))
        else:
            core = torch.sigmoid(out)
        if self.n_high_bands == 0:
            return core
        return torch.cat([core, torch.sigmoid(self.high(h))], dim=1)

    @torch.jit.export
    def audio(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor, first: int, count: int) -> torch.Tensor:
        """With ``synthesis="audio"``: the audio ``(batch, count·hop)`` of frames ``first``..``first + count`` of the
        notes it makes (:func:`~timbral.synthesis.render`; the noise's phases random in training, fixed otherwise)."""
        params = synthesis.scaled_sigmoid(self.out(self.trunk(z, pitch, velocity)))
        if self.training:
            phases = torch.rand(z.shape[0], self.full_bins, count + 1, device=z.device) * (2 * math.pi)
        else:
            phases = self.phases[None, :, first : first + count + 1]
        return synthesis.render(params, pitch, self.bands, phases, self.sr, self.hop, first, count)

    def note_power(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """The power spectrogram ``(batch, n_bins, frames)`` of the whole notes it renders (:func:`~timbral.spectral.stft`'s
        conventions)."""
        audio = self.audio(z, pitch, velocity, 0, self.note_hops)
        window = torch.hann_window(self.n_fft, device=audio.device)
        spec = torch.stft(audio, self.n_fft, self.hop, window=window, center=True, pad_mode="constant", return_complex=True)
        return spec.real * spec.real + spec.imag * spec.imag

    def scaled_db(self, power: torch.Tensor) -> torch.Tensor:
        """Power → dB over the floor, scaled by the bounds to [0, 1]."""
        db = 10.0 * torch.log10(power.clamp(min=self.floor_power))
        return ((db - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)

    def trunk(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """Latent, pitch and velocity → ``(batch, channels, frames)``: the features every output is read from."""
        if self.pitch_conditioning:
            cond = torch.cat([z, pitch_features(pitch, self.n_pitch_features), velocity.float().unsqueeze(-1) / 127.0], dim=-1)
        else:
            cond = z
        h = F.gelu(self.start(cond).view(z.shape[0], self.channels, self.steps))
        s1, b1, s2, b2 = self.film(cond).unsqueeze(-1).chunk(4, dim=1)
        h = F.gelu(self.up1(h) * (1 + s1) + b1)
        h = F.gelu(self.up2(h) * (1 + s2) + b2)
        h = F.gelu(self.mix(h)) + h
        for block in self.blocks:
            h = h + block(h)
        return F.gelu(self.up3(h))[..., : self.n_frames]

    @torch.jit.export
    def full(self, heard: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """Heard rows ``(batch, heard_rows, frames)`` → the whole scaled spectrogram: each bin above the core
        takes its band's level (spread between band centres) plus the core's fine structure from a whole
        number of harmonic steps lower, so harmonics continue at multiples of the pitch and noise stays noise."""
        if self.n_high_bands == 0:
            return heard
        core, bands = heard[:, : self.n_bins], heard[:, self.n_bins :]
        if self.high_band == "none":
            return torch.cat([core, torch.zeros(core.shape[0], self.full_bins - self.n_bins, core.shape[2], device=core.device)], dim=1)
        envelope = torch.einsum("kb,nbt->nkt", self.spread, bands)
        if self.high_band == "envelope":
            return torch.cat([core, envelope.clamp(0.0, 1.0)], dim=1)
        smooth = F.avg_pool1d(core.transpose(1, 2), self.smooth_bins, 1, self.smooth_bins // 2, count_include_pad=False)
        f0 = pitch_hz(pitch)
        step = f0 * torch.clamp(torch.round(self.source_hz / f0), min=1.0) / self.bin_hz  # in bins, a multiple of f0
        if not self.pitch_conditioning:  # a model that ignores pitch continues its core by a fixed step
            step = torch.full_like(step, self.source_hz / self.bin_hz)
        above = self.high_bins[None, :] - float(self.n_bins - 1)
        source = self.high_bins[None, :] - torch.ceil(above / step[:, None]) * step[:, None]
        fine = read_bins(core - smooth.transpose(1, 2), source)
        return torch.cat([core, (envelope + fine).clamp(0.0, 1.0)], dim=1)

    def harmonics_and_noise(self, out: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """The scaled core whose magnitudes add a free head's, the harmonics' (each its own level
        over time, placed at exactly ``k`` × f0) and a noise filter's (band levels, interpolated between)."""
        direct, harmonics, noise = out.split([self.n_bins, self.n_harmonics, self.bands.shape[1]], dim=1)
        lobes = harmonic_lobes(pitch, self.sr, self.n_fft, self.n_bins, self.n_harmonics)
        total = (self.magnitude(direct) + torch.einsum("bkt,bkf->bft", self.magnitude(harmonics), lobes)
                 + torch.einsum("fn,bnt->bft", self.bands, self.magnitude(noise)) + self.floor)
        return ((20.0 * torch.log10(total) - self.lo) / (self.hi - self.lo)).clamp(max=1.0)

    def magnitude(self, logits: torch.Tensor) -> torch.Tensor:
        """Linear magnitudes from logits, sigmoid-scaled between the bounds (0 at the floor)."""
        return torch.exp((self.lo + torch.sigmoid(logits) * (self.hi - self.lo)) * self.db_to_log) - self.floor


class TimbreVAE(nn.Module):
    """Encoder → (μ, log σ²) → reparameterised z → decoder conditioned on pitch and velocity."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.family_head = nn.Linear(config.latent_dim, config.n_families) if config.n_families else None

    def forward(self, spec, pitch, velocity, source: torch.Tensor | None = None, first: int | None = None):
        """Rebuild what the model hears of each note (``(batch, heard_rows, frames)``) from a latent sample (μ in
        eval mode); with ``source``, note ``i`` is rebuilt from the latent of note ``source[i]`` (another note of
        its instrument, in training). With ``first`` (``synthesis="audio"``), the audio of the
        :data:`~timbral.synthesis.CROP_FRAMES` hops from frame ``first`` instead."""
        mu, logvar = self.encoder(spec, pitch)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        z = z if source is None else z[source]
        if first is not None:
            return self.decoder.audio(z, pitch, velocity, first, synthesis.CROP_FRAMES), mu, logvar
        return self.decoder.heard(z, pitch, velocity), mu, logvar

    def encode(self, spec: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The latent (μ, log σ²) of heard spectrograms ``(batch, heard_rows, frames)`` at ``pitch`` as Timbral
        hears a sound: the encoder's, averaged over the note resampled by each of ``config.encode_shifts``
        semitones (:func:`~timbral.spectral.shift_heard`, its pitch moved along), so that where a timbre lands
        depends less on the very pitch it was played at. Training hears each note once (:meth:`forward`)."""
        settings = self.config.spectral_settings
        views = [self.encoder(spec if s == 0 else shift_heard(spec, torch.full((len(spec),), s, device=spec.device), settings),
                              pitch if s == 0 else pitch.float() + s) for s in self.config.encode_shifts]
        return torch.stack([mu for mu, _ in views]).mean(0), torch.stack([lv for _, lv in views]).mean(0)

    # --- the boundary between audio and the model -------------------------------------------------

    def decode(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor, *, heard: bool = False) -> torch.Tensor:
        """The scaled spectrograms the decoder makes of latents ``z`` at ``pitch`` and ``velocity``: whole,
        ``(batch, n_bins, frames)``, what :meth:`audio_of` plays; with ``heard``, as the model hears a note."""
        return self.decoder.heard(z, pitch, velocity) if heard else self.decoder(z, pitch, velocity)

    def full_spectrogram_of(self, audio: np.ndarray) -> torch.Tensor:
        """The whole spectrogram of ``audio`` (``(samples,)`` or ``(n, samples)`` at the model's rate), every bin to
        Nyquist, in dB scaled to [0, 1] by the model's bounds: ``(n, n_bins, frames)``."""
        db = torch.from_numpy(log_magnitude(np.asarray(audio, np.float32), self.config.spectral_settings))
        return self.config.scale.scale(db).clamp(0.0, 1.0).reshape(-1, *db.shape[-2:])

    def spectrogram_of(self, audio: np.ndarray) -> torch.Tensor:
        """What the model hears of ``audio``: the core's bins and the high band's band levels, scaled,
        ``(n, heard_rows, frames)`` (:func:`~timbral.spectral.heard_of`)."""
        settings = self.config.spectral_settings
        db = heard_db(np.asarray(audio, np.float32), settings).reshape(-1, settings.heard_rows, settings.n_frames)
        return self.config.scale.scale(db).clamp(0.0, 1.0)

    def magnitude_of(self, output: torch.Tensor) -> np.ndarray:
        """The linear magnitudes ``(n, bins, frames)`` of decoder outputs (scaled spectrograms)."""
        return db_to_magnitude(self.config.scale.unscale(output.detach().float())).cpu().numpy()

    def audio_of(self, output: torch.Tensor, *, phase: str = DEFAULT_METHOD, n_iter: int = N_ITER) -> np.ndarray:
        """The audio ``(n, samples)`` of decoder outputs (scaled spectrograms ``(n, bins, frames)``): their
        magnitudes, with the phase rebuilt by ``phase`` (:func:`~timbral.phase.reconstruct`)."""
        settings = self.config.spectral_settings
        return reconstruct(self.magnitude_of(output), settings, method=phase, n_iter=n_iter, length=settings.n_samples)

    def rendered(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> np.ndarray:
        """With ``synthesis="audio"``: the audio ``(n, samples)`` the decoder renders of latents ``z`` (no phase to
        rebuild; its spectrogram is what :meth:`decode` gives)."""
        with torch.no_grad():
            return self.decoder.audio(z, pitch, velocity, 0, self.decoder.note_hops).numpy()

    def fingerprint(self) -> str:
        """16 hex digits that change whenever the weights or the way a note is heard do: which model a stored
        latent belongs to."""
        digest = hashlib.sha1(repr(self.config.encode_shifts).encode())
        for tensor in self.state_dict().values():
            digest.update(tensor.detach().cpu().numpy().tobytes())
        return digest.hexdigest()[:16]


def save_model(model: TimbreVAE, path: str | os.PathLike, card: str | None = None) -> Path:
    """Write ``model`` as a model folder (:func:`~timbral.model_folder.write_folder`) with its ``card``."""
    return write_folder(path, asdict(model.config), model.state_dict(), card)


def load_model(path: str | os.PathLike | None = None) -> TimbreVAE:
    """Load a model folder (the default model when ``path`` is ``None``), in eval mode on the CPU."""
    path = Path(path) if path is not None else default_model_path()
    raw, state = read_folder(path)
    try:
        model = TimbreVAE(ModelConfig.from_dict(raw))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModelError(path, f"bad {CONFIG_FILE} ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ModelError(path, f"weights do not match {CONFIG_FILE} ({str(e).splitlines()[0]})") from None
    return model.eval()


@torch.no_grad()
def encode_rows(model: TimbreVAE, store, rows: np.ndarray, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Latent means and log-variances of a feature store's ``rows`` (:meth:`~timbral.data.features.FeatureStore.load_batch`),
    encoded on the model's device."""
    device = next(model.parameters()).device
    mus, logvars = [], []
    for i in range(0, len(rows), chunk):
        batch = store.load_batch(rows[i : i + chunk], model.config.scale, device)
        mu, logvar = model.encode(batch["spec"], batch["pitch"])
        mus.append(mu.cpu())
        logvars.append(logvar.cpu())
    return torch.cat(mus).numpy(), torch.cat(logvars).numpy()


def check_fit_steps(steps) -> None:
    """A ValueError that says what is allowed unless ``steps`` suits :func:`fit_latents`."""
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= MAX_FIT_STEPS:
        raise ValueError(f"fit steps must be a whole number from 0 to {MAX_FIT_STEPS}, got {steps!r}")


def fit_latents(model: TimbreVAE, spec: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor, z: torch.Tensor,
                steps: int = FIT_STEPS, lr: float = FIT_LR) -> torch.Tensor:
    """Latents the decoder turns into ``spec`` (scaled) more closely than the encoder's guess ``z``:
    ``steps`` of Adam on the training's reconstruction loss from ``z``, the decoder fixed. The
    fitted latent serves rebuilding; it lies further from the library's latents than ``z``."""
    check_fit_steps(steps)
    z = z.detach().clone().requires_grad_(True)
    optimiser = torch.optim.Adam([z], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            l1, sc = reconstruction_losses(model.decoder.heard(z, pitch, velocity), spec, model.config.scale,
                                           model.config.spectral_settings.core_bins)
            (z.grad,) = torch.autograd.grad(l1 + sc, [z])  # the decoder's weights get no gradient
            optimiser.step()
    return z.detach()
