"""Timbre operations in the model's latent space: the Python API a sound designer scripts with.

>>> import numpy as np
>>> from timbral import Timbral
>>> t = Timbral.load()                                   # the default model
>>> a, b = t.encode("cello.wav"), t.encode("flute.flac")  # doctest: +SKIP
>>> seconds = np.arange(2 * t.sr) / t.sr                 # or samples of your own, at t.sr (48 kHz)
>>> a = t.encode(0.3 * np.sign(np.sin(2 * np.pi * 220 * seconds)), pitch="A3")   # a square wave
>>> b = t.encode(0.3 * np.sin(2 * np.pi * 440 * seconds), pitch="A4")            # a sine
>>> path = t.interpolate(a, b, steps=5, method="slerp")  # 5 notes of 4 s, endpoints included, at a's pitch
>>> path.shape, t.sr
((5, 192000), 48000)
>>> blend = t.mix([a, b], [0.7, 0.3], pitch="D4")       # any number of sounds, weighted
>>> blend.shape
(192000,)

Wherever a sound is expected, a latent (:class:`Encoded` or an array of ``latent_dim``
numbers), a file path, the name of a library sound or an array of samples (at ``sr``, 48 kHz unless
said) is accepted; wherever a pitch is, a MIDI number or a note name ("C4"). A file or array is taken in
by :meth:`Timbral.analyse`: its first note from the onset, brought to the model's input level (so
the recording level changes nothing), its pitch given, read from the name, detected, or
unpitched (played at C4 and flagged). Everything Timbral plays comes back at :attr:`Timbral.sr`
(48 kHz), the whole band: a file recorded at 16 kHz has nothing above 8 kHz and says so.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import soxr
import torch

from .audio import (
    DURATION,
    MAX_INPUT_SECONDS,
    SAMPLE_RATE,
    clipped_samples,
    fix_length,
    load_note,
    note_onset,
    prepare_note,
    read_audio,
    repitched,
    seconds_in_file,
)
from .data.nsynth import DatasetError
from .detail import MOVES, Detail, Details, anchor, key_of, summed, weighted
from .library import Library
from .model import TimbreVAE, check_fit_steps, fit_latents, load_model
from .paths import default_library_dir
from .phase import DEFAULT_METHOD, PLAY_ITERATIONS, transposed
from .pitch import PitchEstimate, find_pitch, parse_pitch
from .spectral import db_to_magnitude, level_db, log_magnitude

PEAK_DBFS = -1.0
CACHE_SIZE = 64  # decoded notes kept for replaying: a 4 s note at 48 kHz is 0.77 MB, so at most 49 MB
DEFAULT_VELOCITY = 100  # a file or array is brought to the model's input level: a velocity-100 note


@dataclass(frozen=True)
class Encoded:
    """A timbre: the latent mean of a sound, and the pitch it was played at.

    ``pitched`` is False for a sound with no clear pitch (``pitch`` is then nominal, C4);
    ``remarks`` say what was done to a file or array on the way in (onset, pitch found);
    ``details`` what the model cannot make of its recording (:mod:`~timbral.detail`), played back
    with it "as recorded": its own for a sound with audio, a share of each for a blend or a mix.
    """

    latent: np.ndarray
    pitch: int
    pitched: bool = True
    remarks: tuple[str, ...] = ()
    details: Details = field(default=(), repr=False)


@dataclass(frozen=True)
class Analysis:
    """A file or array as the model takes it in (see :meth:`Timbral.analyse`)."""

    note: np.ndarray  # 4 s from the onset, at the recording's own level
    pitch: PitchEstimate
    onset_s: float  # where the note starts in the recording
    gain_db: float  # the level change that brings it to the model's input level
    seconds: float = DURATION  # the recording's whole length (of its file, where the file says)
    clipped: int = 0  # samples in the flat tops of clipping (:func:`~timbral.audio.clipped_samples`)
    low_rate: int = 0  # the recording's rate where it is below the model's (it has no sound above its Nyquist)

    @property
    def remarks(self) -> tuple[str, ...]:
        """What was found and done, for the person who brought the sound."""
        onset = (f"the note starts at {self.onset_s:.2f} s; what came before was left out",) if self.onset_s >= 0.05 else ()
        rest = self.seconds - self.onset_s - DURATION
        longer = ((f"the recording is {_duration(self.seconds)} long: only its first {MAX_INPUT_SECONDS:.0f} s were read, and "
                   f"{DURATION:.0f} s of them from the onset are used",) if self.seconds > MAX_INPUT_SECONDS else
                  (f"{DURATION:.0f} s from the onset are used; the last {rest:.1f} s were left out",) if rest >= 0.5 else ())
        clipped = ((f"the recording is clipped ({self.clipped} samples at full scale): its distortion is heard as part "
                    "of the sound",) if self.clipped else ())
        band = ((f"recorded at {self.low_rate / 1000:g} kHz, it has nothing above {self.low_rate / 2000:g} kHz: it plays "
                 "without the air and sparkle a full-rate file has",) if self.low_rate else ())
        return (self.pitch.describe(), *onset, *longer, *clipped, *band)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


Sound = Encoded | Analysis | np.ndarray | str | os.PathLike


def normalise_peak(y: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale each row of ``y`` so its peak sits at ``peak_dbfs`` (silence stays silent)."""
    peak = np.max(np.abs(y), axis=-1, keepdims=True)
    return (y * np.where(peak > 1e-9, db_to_magnitude(peak_dbfs) / np.maximum(peak, 1e-9), 0.0)).astype(np.float32)


def triangle_weights(x: float, y: float) -> np.ndarray:
    """Barycentric weights of ``(x, y)`` in the triangle A (0, 0), B (1, 0), C (0.5, 1).

    A point outside the triangle takes the weights of the nearest point on it.

    >>> triangle_weights(0.5, 1.0).tolist(), triangle_weights(0.5, 0.0).tolist()
    ([0.0, 0.0, 1.0], [0.5, 0.5, 0.0])
    """
    wc = float(np.clip(y, 0.0, 1.0))
    wb = x - 0.5 * wc
    w = np.clip([1.0 - wb - wc, wb, wc], 0.0, None)
    return w / w.sum()


def square_weights(x: float, y: float) -> np.ndarray:
    """Bilinear weights of ``(x, y)`` for corners (0, 0), (1, 0), (0, 1), (1, 1), as on NSynth Super.

    >>> square_weights(0.5, 0.5).tolist(), square_weights(1.0, 0.0).tolist()
    ([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0])
    """
    x, y = float(np.clip(x, 0.0, 1.0)), float(np.clip(y, 0.0, 1.0))
    return np.array([(1 - x) * (1 - y), x * (1 - y), (1 - x) * y, x * y])


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between latents (linear where they are nearly parallel): halfway between two
    latents of one length lies a latent of that length, not a shorter one.

    >>> np.round(slerp(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 0.5), 4).tolist()
    [0.7071, 0.7071]
    """
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-4:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolation_path(a: np.ndarray, b: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """``(steps, latent_dim)`` latents from ``a`` to ``b``, endpoints included, straight or spherical.

    >>> interpolation_path(np.zeros(2), np.ones(2), 3).tolist()
    [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
    """
    ts = np.linspace(0.0, 1.0, steps)
    return np.stack([(1 - t) * a + t * b if method == "linear" else slerp(a, b, t) for t in ts]).astype(np.float32)


class Timbral:
    """A loaded model and everything a sound designer does with it; every sound it returns is at :attr:`sr`."""

    sr = SAMPLE_RATE

    def __init__(self, model: TimbreVAE, *, phase: str = DEFAULT_METHOD, n_iter: int = PLAY_ITERATIONS,
                 library: str | os.PathLike | None = None, move: str = "transpose"):
        if move not in MOVES:
            raise ValueError(f"move must be one of {', '.join(MOVES)}, got {move!r}")
        self.model = model.eval()
        self.settings = model.config.spectral_settings
        self.phase = phase
        self.n_iter = n_iter
        self.move = move  # how a sound's detail follows it to another pitch (timbral.detail), unless a call says
        self.library_dir = Path(library) if library is not None else default_library_dir()
        self._library: Library | None = None
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.RLock()

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, library: str | os.PathLike | None = None) -> Timbral:
        """The model in ``path`` (default: the shipped model) with the dataset ``library`` (default: data/library, the
        studio's: the default dataset's loud notes)."""
        return cls(load_model(path), library=library)

    @cached_property
    def fingerprint(self) -> str:
        """The model's :meth:`~timbral.model.TimbreVAE.fingerprint`: which model a stored latent belongs to."""
        return self.model.fingerprint()

    @property
    def has_library(self) -> bool:
        """Whether the library dataset exists (opening it may still have to build its cache)."""
        return (self.library_dir / "examples.json").exists()

    @property
    def library(self) -> Library:
        """The sounds of the library dataset, with latents and map (computed on first use, then cached on disk)."""
        with self._lock:
            if self._library is None:
                if not self.has_library:
                    raise DatasetError(self.library_dir, "no library dataset here; build the studio's with: "
                                                         "timbral data default --out data/library --velocities 100")
                self._library = Library.open(self.model, self.library_dir)
            return self._library

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim

    # --- sounds in ---------------------------------------------------------------------------

    def analyse(self, sound: np.ndarray | str | os.PathLike, pitch: int | str | None = None, *,
                name: str | None = None, sr: int = SAMPLE_RATE) -> Analysis:
        """Take in a file or samples (at ``sr``): the first note from its onset, its level and pitch.

        The pitch is ``pitch`` when given (a number or a note name), else the one ``name`` (default:
        the file's name) states, else the one detected; a sound with no clear pitch is accepted as
        unpitched at C4. Raises :class:`~timbral.audio.AudioError` for what cannot be decoded.
        """
        if isinstance(sound, (str, os.PathLike)):
            raw, raw_sr = read_audio(sound)
            source, name = sound, Path(sound).stem if name is None else name
            seconds = seconds_in_file(sound) or len(raw) / raw_sr
        else:
            raw, raw_sr, source = sound, sr, "<array>"
            seconds = len(sound) / sr if hasattr(sound, "__len__") else DURATION
        y = prepare_note(raw, raw_sr, source, target_sr=self.settings.sr, duration=None, trim=False)
        onset = note_onset(y, self.settings.sr)
        note = fix_length(y[onset:], self.settings.n_samples)
        estimate = find_pitch(note, self.settings.sr, given=pitch, name=name)
        clipped = clipped_samples(raw)
        return Analysis(note, estimate, onset / self.settings.sr, self.input_gain_db(note), seconds, clipped,
                        raw_sr if raw_sr < self.settings.sr else 0)

    @torch.no_grad()
    def encode(self, sound: Sound, pitch: int | str | None = None, *, sr: int = SAMPLE_RATE, fit: int = 0) -> Encoded:
        """The timbre of a library sound, a file or samples (at ``sr``); see :meth:`analyse` for the pitch.

        With ``fit`` (steps, 100 is a good choice; about 1 s) the encoder's latent of a file or samples is
        then fitted to the sound, so that decoding it at its pitch rebuilds it more closely (on an
        unseen source, about 3 dB closer in spectral convergence); the latent moves further from where the
        encoder put it, so the map places it less surely.
        """
        check_fit_steps(fit)
        if isinstance(sound, Encoded):
            return sound
        if isinstance(sound, str) and not Path(sound).exists() and self.has_library and sound in self.library:
            heard = self.library[sound]
            note = load_note(self.library.audio_path(sound), sr=self.settings.sr, trim=False)
            e = self.hear(note, heard.pitch, heard.velocity, latent=self.library.latent(sound))
            return e if pitch is None else replace(e, pitch=parse_pitch(pitch))
        a = sound if isinstance(sound, Analysis) else self.analyse(sound, pitch, sr=sr)
        e = self.hear(a.note, a.pitch.pitch, fit=fit)
        remarks = a.remarks + ((f"latent fitted to the sound ({fit} steps)",) if fit else ())
        return replace(e, pitched=a.pitch.pitched, remarks=remarks)

    @torch.no_grad()
    def hear(self, note: np.ndarray, pitch: int, velocity: int | None = None, *, latent: np.ndarray | None = None,
             fit: int = 0) -> Encoded:
        """The one recipe by which a recording becomes a sound: ``note`` (4 s from its onset at the model's rate),
        heard by the encoder at ``pitch`` (its latent fitted for ``fit`` steps), with its detail: what the model
        cannot make of it, over the whole band.

        ``velocity`` None: the note is a recording at any level, brought to the model's input level and heard as
        a loud (velocity 100) note; else it is at the level of a dataset note of that velocity. ``latent``:
        the sound's latent is known (a library note's, one of your sounds'): only its detail is worked out.
        """
        check_fit_steps(fit)
        note = fix_length(np.asarray(note, np.float32), self.settings.n_samples)
        if velocity is None:
            note, velocity = note * np.float32(db_to_magnitude(self.input_gain_db(note))), DEFAULT_VELOCITY
        if latent is None:
            spec, pitches = self.model.spectrogram_of(note), torch.tensor([pitch])
            with self._lock:
                mu, _ = self.model.encode(spec, pitches)
                if fit:
                    mu = fit_latents(self.model, spec, pitches, torch.tensor([velocity]), mu, steps=fit)
            latent = mu[0].numpy()
        latent = np.asarray(latent, np.float32)
        with self._lock:
            made = self.model.decode(torch.from_numpy(latent[None]), torch.tensor([pitch]), torch.tensor([velocity]))[0]
        detail = Detail((self.model.full_spectrogram_of(note)[0] - made).numpy(), pitch)
        return Encoded(latent, pitch, details=((1.0, detail),))

    def input_gain_db(self, note: np.ndarray) -> float:
        """The level change (dB) that brings ``note`` to the model's input level (what a loud training note measures
        below 8 kHz, where every note has sound)."""
        db = log_magnitude(note, self.settings)[: self.settings.core_bins]
        return round(self.model.config.input_level_db - float(level_db(db)), 2)

    def resolve(self, sound: Sound, default_pitch: int = 60) -> Encoded:
        """Any sound form as an :class:`Encoded`; a bare latent vector is checked and gets ``default_pitch``."""
        if isinstance(sound, np.ndarray) and sound.ndim == 1 and sound.shape[0] == self.latent_dim and sound.dtype.kind == "f":
            if not np.all(np.isfinite(sound)):
                raise ValueError("latent contains NaN or infinite values")
            return Encoded(sound.astype(np.float32), default_pitch)
        return self.encode(sound)

    def latent(self, sound: Sound) -> np.ndarray:
        """The latent vector of any sound form."""
        return self.resolve(sound).latent

    # --- sounds out --------------------------------------------------------------------------

    @torch.no_grad()
    def decode_batch(self, latents: np.ndarray, pitches: Sequence[int], velocities: Sequence[int] | int = DEFAULT_VELOCITY,
                     details: Sequence[Details] | None = None, *, move: str | None = None) -> np.ndarray:
        """Decode ``(n, latent_dim)`` latents at their pitches: ``(n, samples)`` audio at :attr:`sr`, peak-normalised.

        ``details`` (one :data:`~timbral.detail.Details` per latent) are added to what the decoder makes:
        what the model cannot make of the recordings the sounds come from. At another pitch such a sound is
        played as ``move`` says (default: :attr:`move`; :mod:`timbral.detail`): transposed from its own pitch,
        its timing kept; ``"resample"``d from there as a sampler would; or decoded there with its detail moved.
        Repeated requests are served from a cache (resampling one sound to many keys decodes it once).
        """
        move = self.move if move is None else move
        if move not in MOVES:
            raise ValueError(f"move must be one of {', '.join(MOVES)}, got {move!r}")
        latents = np.asarray(latents, dtype=np.float32).reshape(-1, self.latent_dim)
        if not np.all(np.isfinite(latents)):
            raise ValueError("latent contains NaN or infinite values")
        n = len(latents)
        pitches = [parse_pitch(p) for p in pitches]
        velocities = [velocities] * n if isinstance(velocities, (int, np.integer)) else list(velocities)
        if len(pitches) != n or len(velocities) != n:
            raise ValueError(f"{n} latents need {n} pitches and velocities")
        velocities = [_check_velocity(v) for v in velocities]
        details = [()] * n if details is None else list(details)
        if len(details) != n:
            raise ValueError(f"{n} latents need {n} details (an empty tuple for a sound without)")
        # a sound with a recording, transposed or resampled, is decoded at its own pitch
        anchors = [p if a is None or move not in ("transpose", "resample") else a for p, a in zip(pitches, map(anchor, details))]
        if move == "resample" and anchors != pitches:  # then resampled as a sampler would
            audio = self.decode_batch(latents, anchors, velocities, details, move=move)
            return np.stack([y if a == p else normalise_peak(repitched(y, p - a, self.sr))
                             for y, a, p in zip(audio, anchors, pitches)])
        # a detail sounds as it is moved, so the key holds that too (a sound without one is the same either way)
        keys = [latents[i].tobytes() + bytes([pitches[i], velocities[i]]) + key_of(details[i])
                + (move.encode() if details[i] else b"") for i in range(n)]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        todo = list({k: i for i, k in enumerate(keys) if k not in found}.values())
        if todo:
            audio = np.empty((len(todo), self.settings.n_samples), np.float32)
            # a model that renders audio plays a sound with nothing added to its spectrogram as it renders it
            own = np.array([self.model.config.synthesis == "audio" and not details[i] for i in todo], bool)
            if own.any():
                chosen = [todo[i] for i in np.flatnonzero(own)]
                with self._lock:
                    audio[own] = self.model.rendered(torch.from_numpy(latents[chosen]), torch.tensor([pitches[i] for i in chosen]),
                                                     torch.tensor([velocities[i] for i in chosen]))
            rest = np.flatnonzero(~own)  # the others: their spectrograms, with their details, the phase rebuilt
            chosen = [todo[i] for i in rest]
            if chosen:
                magnitude = self.model.magnitude_of(self.spectrograms(
                    latents[chosen], [anchors[i] for i in chosen], [velocities[i] for i in chosen], [details[i] for i in chosen], move))
                shifts = np.array([pitches[i] - anchors[i] for i in chosen])
                for shift in np.unique(shifts):  # the notes moved alike rebuilt together (at their own pitch: all of them)
                    audio[rest[shifts == shift]] = transposed(magnitude[shifts == shift], float(shift), self.settings,
                                                              method=self.phase, n_iter=self.n_iter)
            if self.settings.sr != self.sr:  # a model of another rate (a 16 kHz one: nothing above 8 kHz)
                audio = soxr.resample(audio.T, self.settings.sr, self.sr).T
            with self._lock:
                for i, y in zip(todo, normalise_peak(audio)):
                    found[keys[i]] = self._cache[keys[i]] = y
                    if len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
        return np.stack([found[k] for k in keys])

    @torch.no_grad()
    def spectrograms(self, latents: np.ndarray, pitches: Sequence[int], velocities: Sequence[int],
                     details: Sequence[Details], move: str | None = None) -> torch.Tensor:
        """What :meth:`decode_batch` turns into audio: the decoder's whole scaled spectrograms ``(n, n_bins, frames)``
        of checked inputs, each with its details added (:func:`~timbral.detail.summed`, moved as ``move`` says;
        default :attr:`move`)."""
        move = self.move if move is None else move
        with self._lock:
            x = self.model.decode(torch.from_numpy(np.asarray(latents, np.float32)), torch.tensor(list(pitches)),
                                  torch.tensor(list(velocities)))
        for row, (pitch, parts) in enumerate(zip(pitches, details)):
            detail = summed(parts, pitch, move)
            if detail is not None:
                x[row] = (x[row] + detail).clamp(0.0, 1.0)
        return x

    def decode(self, sound: Sound, pitch: int, velocity: int = DEFAULT_VELOCITY, *, recorded: bool = True,
               move: str | None = None) -> np.ndarray:
        """4 s of audio at :attr:`sr`: the timbre played at ``pitch``. A sound that has audio plays "as recorded"
        (with its detail: at its own pitch, its recording's magnitudes over the whole band; elsewhere moved as
        ``move`` says); ``recorded=False`` plays the model's."""
        e = self.resolve(sound)
        return self.decode_batch(e.latent[None], [pitch], [velocity], [e.details if recorded else ()], move=move)[0]

    def interpolate(self, a: Sound, b: Sound, steps: int = 11, method: str = "linear", pitch: int | None = None, *,
                    recorded: bool = True) -> np.ndarray:
        """The decoded path from ``a`` to ``b``, endpoints included: ``(steps, samples)``; pitch defaults to a's.

        With ``recorded`` the details of ``a`` and ``b`` weigh along the path as their latents do, so its
        ends are the recordings themselves (at ``a``'s pitch) and the steps between carry their texture."""
        if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or not 2 <= steps <= 101:
            raise ValueError(f"steps must be a whole number from 2 to 101, got {steps!r}")
        if method not in ("linear", "slerp"):
            raise ValueError(f"method must be linear or slerp, got {method!r}")
        ea, eb = self.resolve(a), self.resolve(b)
        pitch = ea.pitch if pitch is None else pitch
        details = [path_details(ea, eb, t) if recorded else () for t in np.linspace(0.0, 1.0, steps)]
        return self.decode_batch(interpolation_path(ea.latent, eb.latent, steps, method), [pitch] * steps, details=details)

    def mixed(self, sources: Sequence[Sound], weights: Sequence[float]) -> Encoded:
        """The weighted mean timbre of the sources (weights normalised to sum 1), at the heaviest one's pitch."""
        if not len(sources):
            raise ValueError("give at least one source")
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(sources),):
            raise ValueError(f"{len(sources)} sources need {len(sources)} weights, got {len(w)}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        encoded = [self.resolve(s) for s in sources]
        w = w / w.sum()
        z = sum(wi * e.latent for wi, e in zip(w, encoded))
        details = weighted([(float(wi), e.details) for wi, e in zip(w, encoded)])
        return Encoded(z.astype(np.float32), encoded[int(np.argmax(w))].pitch, details=details)

    def mix(self, sources: Sequence[Sound], weights: Sequence[float], pitch: int | None = None, *,
            recorded: bool = True) -> np.ndarray:
        """One sound from any number of sources, weighted (weights are normalised to sum 1); with ``recorded``
        the sources' details weigh as their latents do."""
        e = self.mixed(sources, weights)
        return self.decode(e, e.pitch if pitch is None else pitch, recorded=recorded)

    def random_latents(self, n: int, temperature: float = 1.0, seed: int | None = None) -> np.ndarray:
        """``(n, latent_dim)`` timbres drawn from the prior; same seed, same timbres."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= 64:
            raise ValueError(f"n must be a whole number from 1 to 64, got {n!r}")
        if not np.isfinite(temperature) or not 0 <= temperature <= 5:
            raise ValueError(f"temperature must be between 0 and 5, got {temperature!r}")
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32) * temperature

    def random(self, n: int, temperature: float = 1.0, seed: int | None = None, pitch: int = 60) -> np.ndarray:
        """``n`` new sounds drawn from the prior, ``(n, samples)``; same seed, same sounds.

        >>> t = Timbral.load()
        >>> sounds = t.random(2, temperature=0.8, seed=7, pitch="C3")
        >>> sounds.shape, bool(np.array_equal(sounds, t.random(2, temperature=0.8, seed=7, pitch="C3")))
        ((2, 192000), True)
        """
        return self.decode_batch(self.random_latents(n, temperature, seed), [pitch] * n)

def path_details(a: Encoded, b: Encoded, t: float) -> Details:
    """The details of the step ``t`` (0 to 1) of a path from ``a`` to ``b``: theirs, weighed as the latents."""
    return weighted([(1.0 - float(t), a.details), (float(t), b.details)])


def _check_velocity(velocity) -> int:
    if isinstance(velocity, bool) or not isinstance(velocity, (int, np.integer)) or not 1 <= velocity <= 127:
        raise ValueError(f"velocity must be 1-127, got {velocity!r}")
    return int(velocity)
