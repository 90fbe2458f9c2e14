"""The live instrument: a Timbral model as a TorchScript file that ``nn~`` plays in Max/MSP and Pure Data.

`nn~ <https://github.com/acids-ircam/nn_tilde>`_ (IRCAM) loads a TorchScript module and, buffer by
buffer, calls one of its methods with the signals of its inlets, ``(voices, channels, samples)``,
taking ``(voices, 1, samples)`` of audio back. :class:`LiveInstrument` follows the conventions of nn~'s
Python package (``nn_tilde.Module``; the package itself pins torch 2.5, so they are followed here, not
imported): ``get_methods`` lists the methods and a ``<method>_params`` buffer gives each one's input
channels, input ratio, output channels and output ratio; ``get_attributes`` lists the attributes, a
``<name>_params`` buffer types them, ``get_<name>``/``set_<name>`` read and set them (a setter returns 0,
or -1 and changes nothing).

**The host's rate.** nn~ means to tell a module the host's rate through ``set_sample_rate``, but nn~ 1.6 calls it
while loading, before it counts the model as loaded, so the call never reaches the module (``Backend::load``; Max
loads the same way). So the module plays at the rate it was exported for (``timbral export-nn --sr``, 48000 by
default) until told otherwise: by the attribute ``rate`` (``set rate 44100`` in Pd or Max, or
``set_sample_rate`` should a later nn~ call it).

``decode`` (and ``forward``, which nn~ calls when no method is named) hears pitch, velocity, a gate and
the latent's offsets from the chosen timbre, one signal each. A gate rising above 0 starts a note at that
very sample: the decoder makes its 4 s spectrogram at that pitch and velocity, the phase is rebuilt (PGHI
along time, then fast Griffin-Lim; a model that renders audio, ``timbral train --synthesis audio``, plays its
own audio instead), the audio is resampled from the model's rate (48 kHz) to the host's and
played out buffer by buffer; a falling gate fades it over the release. Each voice of the batch
(``mc.nn~``) plays notes of its own.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import List, Optional

import torch
from torch import nn

from ..atomic import atomic_path
from ..model import TimbreVAE
from ..phase import PLAY_ITERATIONS, fast_griffin_lim, pghi_along_time
from ..settings import SAMPLE_RATE

RELEASE = 0.25  # seconds a note takes to fade after its gate falls
GAIN_DB = -6.0  # the model decodes the level of its training notes, whose loud ones peak near full scale
FADE = 0.005  # seconds: a voice's previous note fades out this fast when a new one starts, as does a note's end
MAX_TIMBRES = 64
RELEASES = (0.0, 10.0)  # what the attributes take; a setter given anything else returns -1
GAINS = (-60.0, 24.0)
MAX_ITERATIONS = 64
SAMPLE_RATES = (8000, 384000)  # a rate nn~ announces outside these is ignored
TYPE_IDS = {bool: 0, int: 1, float: 2, str: 3}  # nn~'s attribute type ids (``nn_tilde.TYPE_HASH``)
CONTROLS = ("(signal) pitch: MIDI note number, 60 is middle C, fractions bend it (read when a note starts)",
            "(signal) velocity: 1-127 (read when a note starts)",
            "(signal) gate: a note starts when it rises above 0 and fades when it falls back")


class LiveInstrument(nn.Module):
    """A model's decoder and phase rebuild as an nn~ instrument playing ``timbres`` (``(k, latent_dim)``):
    attribute ``timbre`` is a position along them (0 the first, 1.5 halfway from the second to the third)."""

    def __init__(self, model: TimbreVAE, timbres: torch.Tensor, iterations: int = PLAY_ITERATIONS, sample_rate: int = SAMPLE_RATE):
        super().__init__()
        config, settings = model.config, model.config.spectral_settings
        timbres = torch.as_tensor(timbres, dtype=torch.float32).reshape(-1, config.latent_dim)
        if not 1 <= len(timbres) <= MAX_TIMBRES or not bool(torch.isfinite(timbres).all()):
            raise ValueError(f"a live instrument plays 1 to {MAX_TIMBRES} timbres of finite numbers, got {len(timbres)}")
        if isinstance(iterations, bool) or not isinstance(iterations, int) or not 0 <= iterations <= MAX_ITERATIONS:
            raise ValueError(f"iterations must be a whole number from 0 to {MAX_ITERATIONS}, got {iterations!r}")
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not SAMPLE_RATES[0] <= sample_rate <= SAMPLE_RATES[1]:
            raise ValueError(f"the host's rate must be a whole number of Hz from {SAMPLE_RATES[0]} to {SAMPLE_RATES[1]}, "
                             f"got {sample_rate!r}")
        self.decoder = model.decoder
        self.register_buffer("timbres", timbres.clone())
        self.model_sr, self.n_fft, self.hop_length, self.n_samples = settings.sr, settings.n_fft, settings.hop_length, settings.n_samples
        self.lo, self.hi = float(config.scale.lo), float(config.scale.hi)
        self.sample_rate = sample_rate  # the host's: what the module plays at until told another
        self.fade, self.releases, self.gains, self.max_iterations, self.sample_rates = FADE, RELEASES, GAINS, MAX_ITERATIONS, SAMPLE_RATES
        inputs = list(CONTROLS) + [f"(signal) latent {i + 1}: added to the timbre's" for i in range(config.latent_dim)]
        self._methods, self._attributes = [], []
        for method in ("decode", "forward"):
            self.register_method(method, inputs, ["(signal) audio"])
        self.timbre, self.release, self.gain, self.iterations, self.rate = 0.0, RELEASE, GAIN_DB, iterations, sample_rate
        for name in ("timbre", "release", "gain", "iterations", "rate"):
            self.register_attribute(name)
        # the voices: each one's note (audio at the host's rate), playhead, level, whether it is
        # released, its gate at the end of the last buffer, and a fading note's tail for the next buffer
        self.register_buffer("notes", torch.zeros(0, 0))
        self.register_buffer("heads", torch.zeros(0, dtype=torch.long))
        self.register_buffer("levels", torch.zeros(0))
        self.register_buffer("released", torch.zeros(0, dtype=torch.bool))
        self.register_buffer("gates", torch.zeros(0, dtype=torch.bool))
        self.register_buffer("tails", torch.zeros(0, 0))

    def register_method(self, name: str, input_labels: list[str], output_labels: list[str]) -> None:
        """Describe a method as nn~ reads it: ``<name>_params`` (channels and ratio in and out) and labels."""
        self.register_buffer(f"{name}_params", torch.tensor([len(input_labels), 1, len(output_labels), 1]))
        setattr(self, f"{name}_input_labels", list(input_labels))
        setattr(self, f"{name}_output_labels", list(output_labels))
        self._methods.append(name)

    def register_attribute(self, name: str) -> None:
        """Type an attribute as nn~ reads it (``<name>_params``): its getter and setter are methods below."""
        self.register_buffer(f"{name}_params", torch.tensor([TYPE_IDS[type(getattr(self, name))]]))
        self._attributes.append(name)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return self._methods

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        return self._attributes

    @torch.jit.export
    def get_sample_rate(self) -> int:
        return self.sample_rate

    @torch.jit.export
    def set_sample_rate(self, sample_rate: int) -> None:
        """The host's rate, as nn~ means to announce it (see the module's text); the voices start silent again."""
        self.set_rate(sample_rate)

    @torch.jit.export
    def get_rate(self) -> List[int]:
        return [self.sample_rate]

    @torch.jit.export
    def set_rate(self, rate: int) -> int:
        """The host's rate, told by ``set rate 44100``: notes play in tune and as long at it (silent until the next gate)."""
        if not self.sample_rates[0] <= rate <= self.sample_rates[1]:
            return -1
        if rate != self.sample_rate:
            self.sample_rate = rate
            self.rate = rate
            self.reset(0)
        return 0

    @torch.jit.export
    def get_timbre(self) -> List[float]:
        return [self.timbre]

    @torch.jit.export
    def set_timbre(self, timbre: float) -> int:
        if not 0.0 <= timbre <= self.timbres.shape[0] - 1.0:
            return -1
        self.timbre = timbre
        return 0

    @torch.jit.export
    def get_release(self) -> List[float]:
        return [self.release]

    @torch.jit.export
    def set_release(self, release: float) -> int:
        if not self.releases[0] <= release <= self.releases[1]:
            return -1
        self.release = release
        return 0

    @torch.jit.export
    def get_gain(self) -> List[float]:
        return [self.gain]

    @torch.jit.export
    def set_gain(self, gain: float) -> int:
        if not self.gains[0] <= gain <= self.gains[1]:
            return -1
        self.gain = gain
        return 0

    @torch.jit.export
    def get_iterations(self) -> List[int]:
        return [self.iterations]

    @torch.jit.export
    def set_iterations(self, iterations: int) -> int:
        if not 0 <= iterations <= self.max_iterations:
            return -1
        self.iterations = iterations
        return 0

    @torch.jit.export
    def reset(self, voices: int) -> None:
        """Silence every voice (and make ``voices`` of them)."""
        length = self.note_length()
        self.notes = torch.zeros(voices, length)
        self.heads = torch.full([voices], length, dtype=torch.long)
        self.levels = torch.zeros(voices)
        self.released = torch.ones(voices, dtype=torch.bool)
        self.gates = torch.zeros(voices, dtype=torch.bool)
        self.tails = torch.zeros(voices, self.fade_length())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(x)

    @torch.jit.export
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """``(voices, 3 + latent_dim, samples)`` of pitch, velocity, gate and latent offsets → ``(voices, 1, samples)``."""
        x = torch.nan_to_num(x.float(), 0.0, 0.0, 0.0)
        if x.shape[0] != self.heads.shape[0] or self.notes.shape[1] != self.note_length():
            self.reset(x.shape[0])
        gates = x[:, 2] > 0.0
        before = torch.cat([self.gates[:, None], gates[:, :-1]], 1)
        starts = gates & ~before
        # the first note each voice starts in this buffer is made side by side with the others' (a task each)
        firsts: List[int] = torch.where(starts.any(1), starts.int().argmax(1), -1).tolist()
        notes: List[torch.jit.Future[torch.Tensor]] = []
        for voice, first in enumerate(firsts):
            if first >= 0:
                notes.append(torch.jit.fork(self.note_of, x[voice, :, first]))
        out = torch.zeros(x.shape[0], 1, x.shape[2])
        made = 0
        for voice, first in enumerate(firsts):
            note: Optional[torch.Tensor] = None
            if first >= 0:
                note = torch.jit.wait(notes[made])
                made += 1
            out[voice, 0] = self.play(voice, x[voice], starts[voice], before[voice] & ~gates[voice], note)
        return out

    def play(self, voice: int, x: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor, note: Optional[torch.Tensor]) -> torch.Tensor:
        """One voice's buffer: its note played on, new notes (the first one ``note``, made already) started and
        released where its gate rises and falls."""
        n = x.shape[1]
        events: List[int] = torch.nonzero(starts | ends).flatten().tolist()
        out = torch.zeros(n)
        fade = self.tails.shape[1]
        tail = torch.zeros(n + fade)  # fading notes: the last buffer's carried over, and any that end in this one
        tail[:fade] = self.tails[voice]
        begin = 0
        for event in events + [n]:
            if event > begin:
                out[begin:event] += self.advance(voice, event - begin)
            if event < n:
                if bool(starts[event]):
                    tail[event : event + fade] += self.advance(voice, fade) * torch.linspace(1.0, 0.0, fade)
                    self.notes[voice] = note if note is not None else self.note_of(x[:, event])
                    note = None
                    self.heads[voice], self.levels[voice], self.released[voice] = 0, 1.0, False
                else:
                    self.released[voice] = True
            begin = event
        self.gates[voice] = bool(x[2, -1] > 0.0)
        self.tails[voice] = tail[n : n + fade]
        return out + tail[:n]

    def advance(self, voice: int, length: int) -> torch.Tensor:
        """The next ``length`` samples of a voice's note at its level, the release fading it."""
        head, note_length = int(self.heads[voice]), self.notes.shape[1]
        out = torch.zeros(length)
        available = max(0, min(length, note_length - head))
        if available > 0:
            out[:available] = self.notes[voice, head : head + available]
        self.heads[voice] = head + length
        level = float(self.levels[voice])
        if bool(self.released[voice]):
            step = 1.0 / max(self.release * self.sample_rate, 1.0)
            envelope = (level - step * torch.arange(1, length + 1, dtype=torch.float32)).clamp(min=0.0)
            self.levels[voice] = envelope[-1]
            return out * envelope
        return out * level

    def note_of(self, controls: torch.Tensor) -> torch.Tensor:
        """The note the controls at a rising gate's sample ask for: latent offsets on the chosen timbre."""
        return self.render(controls[3:] + self.chosen_timbre(), controls[0].clamp(0.0, 127.0), controls[1].clamp(1.0, 127.0))

    def chosen_timbre(self) -> torch.Tensor:
        """The latent at position ``timbre`` along the timbres, between its two neighbours."""
        low = min(int(math.floor(self.timbre)), self.timbres.shape[0] - 1)
        high = min(low + 1, self.timbres.shape[0] - 1)
        share = self.timbre - low
        return (1.0 - share) * self.timbres[low] + share * self.timbres[high]

    def render(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """A whole note at the host's rate: decoded (rendered as audio, or its spectrogram's phase rebuilt), its end
        faded, resampled."""
        z = z.clamp(-10.0, 10.0)[None]
        if self.decoder.renders_audio:
            audio = self.decoder.audio(z, pitch[None], velocity[None], 0, self.decoder.note_hops)[0, : self.n_samples]
        else:
            magnitude = torch.pow(10.0, (self.decoder(z, pitch[None], velocity[None]) * (self.hi - self.lo) + self.lo) / 20.0)
            phase = pghi_along_time(magnitude, self.n_fft, self.hop_length)
            audio = fast_griffin_lim(magnitude, phase, self.n_fft, self.hop_length, self.n_samples, self.iterations)[0]
        fade = int(round(self.fade * self.model_sr))
        audio[-fade:] = audio[-fade:] * torch.linspace(1.0, 0.0, fade)
        return self.resampled(audio * 10.0 ** (self.gain / 20.0))

    def resampled(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio`` at the model's rate → the host's, band-limited (zero-padded FFT resampling)."""
        if self.sample_rate == self.model_sr:
            return audio
        common = math.gcd(self.model_sr, self.sample_rate)
        up, down = self.sample_rate // common, self.model_sr // common
        blocks = smooth_at_least((audio.shape[0] + self.n_fft + down - 1) // down)  # both FFTs factor into 2, 3 and 5
        padded = torch.cat([audio, torch.zeros(blocks * down - audio.shape[0])])
        length = blocks * up
        spectrum = torch.fft.rfft(padded)
        bins = min(spectrum.shape[0], length // 2 + 1)
        resized = torch.zeros(length // 2 + 1, dtype=spectrum.dtype)
        resized[:bins] = spectrum[:bins]
        out = torch.fft.irfft(resized, length) * (length / padded.shape[0])
        return out[: self.note_length()]

    def note_length(self) -> int:
        """Samples of a 4 s note at the host's rate."""
        return int(round(self.n_samples * self.sample_rate / self.model_sr))

    def fade_length(self) -> int:
        return max(1, int(round(self.fade * self.sample_rate)))


def smooth_at_least(n: int) -> int:
    """The smallest whole number from ``n`` up with no prime factor above 5: an FFT of a multiple of it stays fast
    (at 44.1 kHz a padded 4 s note was 2 × 89,611 samples long, a prime, and its FFT took twice as long)."""
    m = n
    while not is_smooth(m):
        m += 1
    return m


def is_smooth(n: int) -> bool:
    """Whether ``n`` has no prime factor above 5."""
    for p in [2, 3, 5]:
        while n % p == 0:
            n = n // p
    return n == 1


def export_live(model: TimbreVAE, path: str | os.PathLike, timbres: torch.Tensor, iterations: int = PLAY_ITERATIONS,
                sample_rate: int = SAMPLE_RATE) -> Path:
    """Write ``model`` as an nn~ TorchScript file playing ``timbres`` (``(k, latent_dim)``) at a host running at
    ``sample_rate`` (until told another), atomically."""
    path = Path(path)
    if path.suffix != ".ts":
        raise ValueError(f"{path}: nn~ loads TorchScript files named .ts")
    scripted = torch.jit.script(LiveInstrument(model, timbres, iterations, sample_rate).eval())
    archive = io.BytesIO()  # saved from memory, the archive's folder is not named after a temporary file
    torch.jit.save(scripted, archive)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(archive.getvalue())
    return path
