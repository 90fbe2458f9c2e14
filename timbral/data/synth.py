"""Procedural instruments: a seeded generator of synthesizers from real synthesis families.

Each instrument is drawn from one engine — subtractive (oscillators through a resonant filter
with its own envelope), two-operator FM, additive (a drawbar organ, or partials with envelopes
of their own), wavetable (morphing single-cycle spectra), plucked string (Karplus-Strong),
modal (struck bars and bells with inharmonic partials), bowed and blown waveguides (a driven
delay loop), noise-excited resonators and formant voices — with parameters of its own, and
plays a note like a SoundFont preset: 3 s on, 1 s release, brighter and louder with velocity.

>>> inst = make_instrument(7)
>>> inst.family, inst.engine
('organ', 'additive')
>>> y = render_note(inst, 60, 100)
>>> y.shape, y.dtype, 0.05 < float(abs(y).max()) < 1
((192000,), dtype('float32'), True)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
import soxr
from scipy.signal import lfilter

from ..pitch import midi_to_hz
from ..settings import SAMPLE_RATE
from .notes import NOTE_ON_SECONDS, RELEASE_SECONDS, RenderReport, parse_numbers, render_instruments, spread_pitches
from .nsynth import check_audio_format, note_metadata, write_note

SR = SAMPLE_RATE
ON = round(NOTE_ON_SECONDS * SR)
N = ON + round(RELEASE_SECONDS * SR)
T = np.arange(N) / SR
T32 = T.astype(np.float32)
MAX_PARTIALS = 48
TOP_HZ = min(20000.0, 0.42 * SR)  # partials stop at the top of hearing, below Nyquist with room for vibrato
ENGINE_NAME = "timbral-synth"  # the source every procedural note records



@dataclass(frozen=True)
class Engine:
    """One synthesis engine: how it draws an instrument's parameters (``design(rng, family)``), how it plays a
    note with them (``play(params, f0, v, rng)``, ``v`` the velocity in 0..1), and the families it plays, each
    with its lowest and highest pitch. The ranges are wide, most of C1-C7, as a SoundFont preset's are: a
    family's pitches must not tell which source a note comes from."""

    title: str
    design: Callable[[np.random.Generator, str], dict]
    play: Callable[[dict, float, float, np.random.Generator], np.ndarray]
    roles: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class SynthInstrument:
    """One procedural instrument: its engine, family, playable range and drawn parameters."""

    index: int
    seed: int
    engine: str
    family: str
    low: int
    high: int
    params: dict = field(compare=False)

    @property
    def name(self) -> str:
        """A name for people, e.g. ``"FM keyboard 0003"``."""
        return f"{ENGINES[self.engine].title} {self.family.replace('_', ' ')} {self.index:04d}"

    @property
    def instrument_str(self) -> str:
        return f"{self.family}_synthetic_timbral_{self.index:04d}"

    def pitches(self, n: int = 8) -> tuple[int, ...]:
        """``n`` pitches of its own spread over its playable range (:func:`~timbral.data.notes.spread_pitches`)."""
        return spread_pitches(self.low, self.high, n, self.instrument_str, self.seed)


def make_instrument(index: int, seed: int = 0) -> SynthInstrument:
    """Instrument number ``index`` of the generator seeded with ``seed`` (the same numbers, the same sound)."""
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    engine, family, low, high = ROLES[index % len(ROLES)]
    rng = np.random.default_rng([seed, index])
    params = {k: (float(v) if np.isscalar(v) else np.asarray(v).tolist()) for k, v in ENGINES[engine].design(rng, family).items()}
    return SynthInstrument(index, seed, engine, family, low, high, params)


def render_note(inst: SynthInstrument, pitch: int, velocity: int) -> np.ndarray:
    """Play ``pitch`` at ``velocity`` for 3 s and release it for 1 s: 4 s of float32 mono at Timbral's rate (48 kHz).

    Velocity brightens the sound (``v`` in 0..1 reaches each engine) and sets its level.
    """
    if not (0 <= pitch <= 127 and 1 <= velocity <= 127):
        raise ValueError(f"pitch must be 0-127 and velocity 1-127, got {pitch}, {velocity}")
    p = inst.params
    v = velocity / 127
    rng = np.random.default_rng([inst.seed, inst.index, pitch, velocity])
    f0 = midi_to_hz(pitch)
    y = lfilter([1, -1], [1, -0.995], ENGINES[inst.engine].play(p, f0, v, rng)).astype(np.float32)  # no DC (a 13 Hz high-pass)
    peak = float(np.abs(y).max())
    if not np.isfinite(peak) or peak == 0:
        raise RuntimeError(f"{inst.name} rendered nothing at pitch {pitch}")
    return y * np.float32(p["level"] * (0.25 + 0.75 * v ** 1.5) / peak)


# --- building blocks -------------------------------------------------------------------------

def _envelope(attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    """ADSR with exponential segments; the gate closes at 3 s. Times in seconds (release: to -60 dB)."""
    a = np.minimum(T32 / max(attack, 1e-3), 1.0)
    held = sustain + (1 - sustain) * np.exp(-np.maximum(T32 - attack, 0) / max(decay, 1e-3))
    env = a * held
    env[ON:] = env[ON - 1] * _release_curve(release)
    return env


def _release_curve(release: float) -> np.ndarray:
    """From the gate closing to the end: a fall of 60 dB in ``release`` seconds."""
    return np.exp(-(T32[ON:] - T32[ON]) * (6.9 / max(release, 1e-3)))


def _release(y: np.ndarray, release: float) -> np.ndarray:
    """Damp a freely decaying sound after the gate closes (a hand on the string)."""
    y[ON:] *= _release_curve(release)
    return y


def _cycles(f0: float, vibrato_hz: float = 0.0, vibrato_cents: float = 0.0) -> np.ndarray:
    """Cycles of the fundamental so far, per sample (float64), with a vibrato that fades in over 0.6 s."""
    if vibrato_cents == 0:
        return f0 * T
    cents = np.float32(vibrato_cents / 1200) * np.minimum(T32 / np.float32(0.6), 1) * np.sin(np.float32(2 * np.pi * vibrato_hz) * T32)
    return np.cumsum(np.float32(f0) * np.exp2(cents), dtype=np.float64) / SR


def _count(f0: float) -> int:
    """How many harmonics of ``f0`` fit below TOP_HZ (at most MAX_PARTIALS)."""
    return int(max(1, min(MAX_PARTIALS, TOP_HZ / f0)))


HOP = round(0.016 * SR)  # control rate: envelopes given per 16 ms frame are interpolated to every sample
FRAMES = N // HOP
CONTROL_T = np.arange(FRAMES + 1) * HOP / SR
_RAMP = np.arange(HOP, dtype=np.float32) / HOP
LOW_RATE_STEP = 3  # partials made at a third of the rate where they fit (SR / 3: NSynth's 16 kHz)


def _harmonics(cycles: np.ndarray, amps: np.ndarray, numbers: np.ndarray | None = None) -> np.ndarray:
    """Sum of harmonics ``numbers`` (default 1..K; halves too, as an organ's footages) of ``cycles``.

    ``amps``: (K,) fixed amplitudes, or (K, FRAMES + 1) amplitudes at the control rate, followed linearly between frames.
    """
    amps = np.asarray(amps, np.float32)
    numbers = np.arange(1.0, len(amps) + 1) if numbers is None else np.asarray(numbers, np.float64)
    base = 1.0 if np.all(numbers == np.round(numbers)) else 0.5  # the sines are harmonics of this part of the note
    # partials that all lie below a third of Nyquist are made at a third of the rate, then resampled up (exact to
    # the filter's -100 dB): a low note's many partials cost a third
    top = float(numbers.max()) * float(np.max(np.diff(cycles[::HOP]))) * SR / HOP
    step = LOW_RATE_STEP if top < 0.42 * SR / LOW_RATE_STEP else 1
    theta = ((cycles[::step] * base % 1.0) * (2 * np.pi)).astype(np.float32).reshape(FRAMES, HOP // step)
    dense = np.zeros((round(numbers.max() / base), *amps.shape[1:]), np.float32)
    np.add.at(dense, np.round(numbers / base).astype(int) - 1, amps)
    y = _series(theta, dense, _RAMP[::step])
    return y if step == 1 else soxr.resample(y, SR // step, SR, quality="VHQ")[:N].astype(np.float32)


def _series(theta: np.ndarray, amps: np.ndarray, ramp: np.ndarray) -> np.ndarray:
    """Sum over k = 1..K of ``amps[k - 1]`` times sin(k θ) for phases ``theta`` ``(frames, hop)``, each sine from the
    two below it (sin (k+1)θ = 2 cos θ sin kθ − sin (k−1)θ): one sine and cosine instead of K, five times faster,
    within 2e-5 of the sum's peak."""
    below, sine, twice_cos = np.zeros_like(theta), np.sin(theta), 2 * np.cos(theta)
    total, sloped = np.zeros_like(theta), np.zeros_like(theta)
    for i in range(len(amps)):
        if i:
            below, sine = sine, twice_cos * sine - below
        if amps.ndim == 1:
            total += amps[i] * sine
        else:
            total += amps[i, :-1, None] * sine
            sloped += (amps[i, 1:] - amps[i, :-1])[:, None] * sine
    return (total + sloped * ramp).reshape(-1)


def _partials(cycles: np.ndarray, ratios: np.ndarray, amps: np.ndarray, decays: np.ndarray) -> np.ndarray:
    """Inharmonic partials (any ``ratios`` of the fundamental) decaying freely at their own rates."""
    phase = np.multiply.outer(np.asarray(ratios), cycles)
    waves = np.sin((2 * np.pi * (phase - np.floor(phase))).astype(np.float32))
    env = np.exp(-np.multiply.outer(np.asarray(decays, np.float32), T32))
    return np.einsum("k,kn,kn->n", np.asarray(amps, np.float32), env, waves)


def _lowpass_gains(freqs: np.ndarray, cutoff: np.ndarray, resonance: float, order: int = 4) -> np.ndarray:
    """Magnitude of a resonant low-pass at ``freqs`` (K,) for a moving ``cutoff`` (F,): (K, F)."""
    r = freqs[:, None] / cutoff[None, :]
    peak = 1 + resonance * np.exp(-((r - 1) ** 2) / 0.02)
    return peak / np.sqrt(1 + r ** (2 * order))


def _comb(x: np.ndarray, period: float, gain: float, damping: float, invert: bool = False) -> np.ndarray:
    """A delay loop of ``period`` samples (fractional, linear interpolation) with a one-zero
    low-pass of ``damping`` (0..0.5) and loop ``gain``; ``invert`` makes a closed-pipe (odd harmonics)."""
    n = int(np.floor(period - damping))
    d = period - damping - n
    b = damping
    taps = np.array([(1 - b) * (1 - d), (1 - b) * d + b * (1 - d), b * d]) * gain * (-1 if invert else 1)
    return _loop(np.asarray(x, np.float64), n, taps)


@numba.njit(cache=True)
def _loop(x: np.ndarray, n: int, taps: np.ndarray) -> np.ndarray:
    """``y[i] = x[i] + taps · (y[i - n], y[i - n - 1], y[i - n - 2])``, the loop's recursion sample by sample."""
    y = x.copy()
    for i in range(n, len(y)):
        y[i] += taps[0] * y[i - n] + (taps[1] * y[i - n - 1] if i > n else 0.0) + (taps[2] * y[i - n - 2] if i > n + 1 else 0.0)
    return y


def _loop_gain(period: float, t60: float) -> float:
    """The gain per trip round a loop of ``period`` samples that decays by 60 dB in ``t60`` s."""
    return float(10 ** (-3 * period / (SR * t60)))


def _noise_burst(rng: np.random.Generator, length: int, brightness: float) -> np.ndarray:
    """White noise of ``length`` samples, low-passed more the darker it is (brightness 0..1)."""
    x = np.zeros(N)
    burst = rng.standard_normal(length)
    pole = 0.9 * (1 - brightness)
    x[:length] = lfilter([1 - pole], [1, -pole], burst)
    return x


# --- the engines: each draws its parameters (design) and plays a note (play) -----------------

def _design_subtractive(rng: np.random.Generator, family: str) -> dict:
    pad = family == "synth_pad"
    return dict(
        saw=rng.uniform(0, 1), pulse_width=rng.uniform(0.1, 0.5),
        cutoff_ratio=rng.uniform(1.5, 8), env_amount=rng.uniform(0, 6), filter_decay=rng.uniform(0.05, 1.5),
        resonance=rng.uniform(0, 3), attack=rng.uniform(0.3, 1.2) if pad else rng.uniform(0.002, 0.03),
        decay=rng.uniform(0.2, 2.0), sustain=rng.uniform(0.3, 1.0), release=rng.uniform(0.3, 1.0) if pad else rng.uniform(0.05, 0.4),
        vibrato_hz=rng.uniform(4, 6.5), vibrato_cents=rng.uniform(0, 20), level=rng.uniform(0.5, 0.9),
    )


def _play_subtractive(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    k = np.arange(1, _count(f0) + 1)
    saw = (-1.0) ** (k + 1) / k
    pulse = np.sin(np.pi * k * p["pulse_width"]) / k
    osc = p["saw"] * saw + (1 - p["saw"]) * pulse
    cutoff = f0 * p["cutoff_ratio"] * (0.5 + v) * (1 + p["env_amount"] * v * np.exp(-CONTROL_T / p["filter_decay"]))
    gains = _lowpass_gains(k * f0, np.minimum(cutoff, 12000), p["resonance"])
    y = _harmonics(_cycles(f0, p["vibrato_hz"], p["vibrato_cents"]), osc[:, None] * gains)
    return y * _envelope(p["attack"], p["decay"], p["sustain"], p["release"])


def _design_fm(rng: np.random.Generator, family: str) -> dict:
    ratio = {"keyboard": rng.choice([1.0, 1.0, 2.0, 14.0]), "mallet": rng.choice([3.5, 4.2, 1.41, 2.76, 7.1]),
             "brass": 1.0, "bass": rng.choice([0.5, 1.0, 2.0])}[family]
    percussive = family in ("keyboard", "mallet", "bass")
    return dict(
        ratio=ratio * rng.uniform(0.995, 1.005), index=rng.uniform(1, 6), index_decay=rng.uniform(0.1, 1.5),
        feedback=rng.uniform(0, 0.5), attack=rng.uniform(0.001, 0.01) if percussive else rng.uniform(0.03, 0.12),
        decay=rng.uniform(0.5, 3.0) if percussive else rng.uniform(0.3, 1.0),
        sustain=0.0 if family == "mallet" else rng.uniform(0.05, 0.3) if percussive else rng.uniform(0.6, 0.9),
        release=rng.uniform(0.2, 0.8), vibrato_hz=rng.uniform(4.5, 6), vibrato_cents=0.0 if percussive else rng.uniform(5, 25),
        level=rng.uniform(0.5, 0.9), swell=0.0 if percussive else rng.uniform(0.05, 0.3),
    )


def _play_fm(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    cycles = _cycles(f0, p["vibrato_hz"], p["vibrato_cents"])
    top = max(0.2, (TOP_HZ - f0) / (f0 * max(p["ratio"], 0.5)) / 3)  # keep sidebands below Nyquist
    index = min(p["index"] * (0.4 + v), top)
    decaying = np.exp(-T / p["index_decay"])
    shape = decaying if p["swell"] == 0 else np.minimum(T / p["swell"], 1.0) * (0.6 + 0.4 * decaying)
    mod_phase = (2 * np.pi * ((p["ratio"] * cycles) % 1.0)).astype(np.float32)
    modulator = np.sin(mod_phase + np.float32(p["feedback"]) * np.sin(mod_phase))
    y = np.sin((2 * np.pi * (cycles % 1.0)).astype(np.float32) + (index * shape).astype(np.float32) * modulator)
    return y * _envelope(p["attack"], p["decay"], p["sustain"], p["release"])


def _design_additive(rng: np.random.Generator, family: str) -> dict:
    if family == "organ":  # drawbars: 16', 5 1/3', 8', 4', 2 2/3', 2', 1 3/5', 1 1/3', 1'
        drawbars = rng.integers(0, 9, 9) * (rng.random(9) < 0.7)
        drawbars[2] = max(drawbars[2], 6)  # the 8' bar (the note's pitch) always speaks, above the 16'
        drawbars[0] = min(drawbars[0], drawbars[2] - 2)
        return dict(drawbars=drawbars, click=rng.uniform(0, 0.3),
                    leslie_hz=rng.uniform(0.7, 6.5), leslie_cents=rng.uniform(0, 12), level=rng.uniform(0.5, 0.9))
    return dict(tilt=rng.uniform(0.5, 2.0), odd=rng.uniform(0.3, 1.0), attack=rng.uniform(0.2, 1.5),
                spread=rng.uniform(0.2, 1.5), decay=rng.uniform(1, 6), sustain=rng.uniform(0.2, 0.8),
                release=rng.uniform(0.4, 1.0), shimmer_hz=rng.uniform(0.1, 2), level=rng.uniform(0.5, 0.9))


ORGAN_FOOTAGE = np.array([0.5, 1.5, 1, 2, 3, 4, 5, 6, 8])


def _play_additive(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    if "drawbars" in p:
        cycles = _cycles(f0 / 2, p["leslie_hz"], p["leslie_cents"])  # half the pitch: the 16' bar is harmonic 1
        numbers = (2 * ORGAN_FOOTAGE).astype(int)
        keep = numbers * f0 / 2 < TOP_HZ
        amps = (np.asarray(p["drawbars"]) / 8.0) ** 2 * (0.6 + 0.4 * v)
        y = _harmonics(cycles, amps[keep], numbers[keep]) + 1e-3
        click = _noise_burst(rng, 80, 0.9) * p["click"] * v
        return (y + click) * _envelope(0.005, 1.0, 1.0, 0.08)
    k = np.arange(1, _count(f0) + 1)
    amps = k ** -(p["tilt"] * (1.4 - 0.6 * v)) * np.where(k % 2 == 0, p["odd"], 1.0)
    # higher partials speak later and fade sooner; each shimmers at its own rate
    attack = p["attack"] * (1 + p["spread"] * (k - 1) / len(k))
    decay = p["decay"] / (1 + p["spread"] * (k - 1) / 4)
    shimmer = 1 + 0.15 * np.sin(2 * np.pi * p["shimmer_hz"] * CONTROL_T[None, :] * (1 + 0.1 * k[:, None]) + k[:, None])
    env = np.minimum(CONTROL_T[None, :] / attack[:, None], 1) * (
        p["sustain"] + (1 - p["sustain"]) * np.exp(-CONTROL_T[None, :] / decay[:, None]))
    y = _harmonics(_cycles(f0), amps[:, None] * env * shimmer)
    return y * _envelope(0.001, 1.0, 1.0, p["release"])


def _design_wavetable(rng: np.random.Generator, family: str) -> dict:
    tables = rng.random((4, MAX_PARTIALS)) ** rng.uniform(1, 4, (4, 1)) * np.arange(1, MAX_PARTIALS + 1) ** -rng.uniform(0.3, 1.2, (4, 1))
    tables[:, 0] = tables.max(axis=1)  # the fundamental leads, so the note has the pitch it is named by
    pad = family == "synth_pad"
    return dict(tables=tables, scan_seconds=rng.uniform(0.5, 4), attack=rng.uniform(0.3, 1.0) if pad else rng.uniform(0.003, 0.03),
                decay=rng.uniform(0.3, 2), sustain=rng.uniform(0.4, 1), release=rng.uniform(0.3, 1.0),
                vibrato_hz=rng.uniform(4, 6.5), vibrato_cents=rng.uniform(0, 15), level=rng.uniform(0.5, 0.9))


def _play_wavetable(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    k = _count(f0)
    tables = np.asarray(p["tables"])[:, :k] * np.arange(1, k + 1) ** -(1 - v)  # softer: darker
    position = np.clip(CONTROL_T / p["scan_seconds"], 0, 1) * (len(tables) - 1)
    low = np.minimum(position.astype(int), len(tables) - 2)
    w = position - low
    frames = tables[low].T * (1 - w) + tables[low + 1].T * w  # (k, F): the scanned spectrum
    y = _harmonics(_cycles(f0, p["vibrato_hz"], p["vibrato_cents"]), frames)
    return y * _envelope(p["attack"], p["decay"], p["sustain"], p["release"])


def _design_pluck(rng: np.random.Generator, family: str) -> dict:
    return dict(t60=rng.uniform(1.0, 6.0) if family == "guitar" else rng.uniform(0.6, 3.0), damping=rng.uniform(0.05, 0.5),
                pick=rng.uniform(0.05, 0.45), body=rng.uniform(0, 0.5), release=rng.uniform(0.1, 0.4), level=rng.uniform(0.5, 0.9))


def _play_pluck(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    period = SR / f0
    x = _noise_burst(rng, int(period), 0.3 + 0.7 * v)
    x[: int(period)] -= np.roll(x[: int(period)], max(1, int(p["pick"] * period)))  # plucked at a point along the string
    y = _comb(x, period, _loop_gain(period, p["t60"]), p["damping"] * (1.2 - 0.6 * v))
    y += p["body"] * lfilter([1, 0, -1], [1, -1.9 * np.cos(2 * np.pi * 110 / SR), 0.9025], y) * 0.05
    return _release(y, p["release"])


BAR_RATIOS = np.array([1.0, 2.756, 5.404, 8.933, 13.34])


def _design_modal(rng: np.random.Generator, family: str) -> dict:
    kind = rng.integers(3)  # 0 bar (marimba), 1 bell, 2 random plate
    ratios = (BAR_RATIOS if kind == 0 else np.array([1.0, 1.19, 1.5, 2.0, 2.51, 2.66, 3.01, 4.0]) if kind == 1
              else np.sort(np.r_[1.0, rng.uniform(1.2, 9, 7)]))
    ratios = ratios * rng.uniform(0.98, 1.02, len(ratios))
    ratios[np.argmin(np.abs(ratios - 1))] = 1.0
    return dict(ratios=ratios, amps=rng.uniform(0.2, 1, len(ratios)), t60=rng.uniform(0.4, 4), damp_high=rng.uniform(0.5, 2),
                strike=rng.uniform(0.1, 0.6), release=rng.uniform(0.2, 0.8), level=rng.uniform(0.5, 0.9))


def _play_modal(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    ratios = np.asarray(p["ratios"])
    keep = ratios * f0 < TOP_HZ
    ratios, amps = ratios[keep], np.asarray(p["amps"])[keep] * ratios[keep] ** (-1.5 * (1.1 - v))
    decays = 6.9 / p["t60"] * ratios ** p["damp_high"] * (1 + f0 / 2000)
    y = _partials(_cycles(f0), ratios, amps, decays)
    y += p["strike"] * v * _noise_burst(rng, 60, v)
    return _release(y, p["release"])


def _design_waveguide(rng: np.random.Generator, family: str) -> dict:
    return dict(t60=rng.uniform(0.3, 2.0), damping=rng.uniform(0.05, 0.45),
                noise=rng.uniform(0.02, 0.3) if family != "flute" else rng.uniform(0.3, 0.8),
                drive_tilt=rng.uniform(0.5, 2.0), attack=rng.uniform(0.03, 0.25), release=rng.uniform(0.1, 0.5),
                vibrato_hz=rng.uniform(4.5, 6.5), vibrato_cents=rng.uniform(0, 25), level=rng.uniform(0.5, 0.9),
                closed_pipe=family == "reed")


def _drive(p: dict, f0: float, v: float, rng: np.random.Generator, odd: bool) -> np.ndarray:
    """What a bow or a breath puts into the loop: a band-limited pulse train and noise, under an envelope."""
    k = np.arange(1, _count(f0) + 1)
    amps = k ** -(p["drive_tilt"] * (1.3 - 0.6 * v)) * (k % 2 == 1 if odd else 1)
    pulse = _harmonics(_cycles(f0, p["vibrato_hz"], p["vibrato_cents"]), amps)
    noise = lfilter([1.0], [1, -0.5], rng.standard_normal(N)) * p["noise"]
    return (pulse + noise) * _envelope(p["attack"], 0.5, 0.8, p["release"])


def _play_bowed(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    period = SR / f0
    return _comb(_drive(p, f0, v, rng, odd=False), period, _loop_gain(period, p["t60"]), p["damping"])


def _play_blown(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    period = SR / f0
    reed = bool(p["closed_pipe"])  # a reed is a closed pipe: half the loop, inverted, odd harmonics
    loop = period / 2 if reed else period
    return _comb(_drive(p, f0, v, rng, odd=reed), loop, _loop_gain(loop, p["t60"] / (1 if reed else 2)), p["damping"], invert=reed)


def _design_noise(rng: np.random.Generator, family: str) -> dict:
    return dict(feedback_t60=rng.uniform(0.05, 0.8), damping=rng.uniform(0.1, 0.5), colour=rng.uniform(0, 0.95),
                attack=rng.uniform(0.2, 1.5), decay=rng.uniform(0.5, 2), sustain=rng.uniform(0.4, 1), release=rng.uniform(0.3, 1.0),
                level=rng.uniform(0.5, 0.9))


def _play_noise(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    colour = p["colour"] * (1.2 - 0.5 * v)
    noise = lfilter([1 - min(colour, 0.95)], [1, -min(colour, 0.95)], rng.standard_normal(N))
    period = SR / f0
    return _comb(noise * _envelope(p["attack"], p["decay"], p["sustain"], p["release"]), period,
                 _loop_gain(period, p["feedback_t60"]), p["damping"])


VOWELS = np.array([[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410], [440, 1020, 2240]])


def _design_formant(rng: np.random.Generator, family: str) -> dict:
    vowels = VOWELS[rng.choice(len(VOWELS), 2, replace=False)] * rng.uniform(0.9, 1.15)
    return dict(vowels=vowels, glide_seconds=rng.uniform(0.5, 3), bandwidth=rng.uniform(60, 160), tilt=rng.uniform(1.2, 2.2),
                breath=rng.uniform(0, 0.15), attack=rng.uniform(0.03, 0.2), release=rng.uniform(0.15, 0.5),
                vibrato_hz=rng.uniform(4.5, 6), vibrato_cents=rng.uniform(10, 40), level=rng.uniform(0.5, 0.9))


def _play_formant(p: dict, f0: float, v: float, rng: np.random.Generator) -> np.ndarray:
    k = np.arange(1, _count(f0) + 1)
    vowels = np.asarray(p["vowels"])
    w = np.clip(CONTROL_T / p["glide_seconds"], 0, 1)[None, :, None]
    formants = vowels[0][None, None, :] * (1 - w) + vowels[1][None, None, :] * w  # (1, F, 3)
    f = (k * f0)[:, None, None]
    resonance = (1 / (1 + ((f - formants) / p["bandwidth"]) ** 2)).sum(-1)  # (K, F)
    glottal = k ** -(p["tilt"] * (1.3 - 0.5 * v))
    y = _harmonics(_cycles(f0, p["vibrato_hz"], p["vibrato_cents"]), glottal[:, None] * (0.3 + resonance))
    y += p["breath"] * lfilter([1.0], [1, -0.7], rng.standard_normal(N)) * np.abs(y).max()
    return y * _envelope(p["attack"], 1.0, 0.9, p["release"])


# the engines by name (what each note records); instrument i takes ROLES[i % len(ROLES)]
ENGINES: dict[str, Engine] = {
    "subtractive": Engine("Subtractive", _design_subtractive, _play_subtractive,
                          (("bass", 24, 84), ("synth_lead", 36, 96), ("synth_pad", 24, 96))),
    "fm": Engine("FM", _design_fm, _play_fm, (("keyboard", 24, 96), ("mallet", 36, 96), ("brass", 28, 92), ("bass", 24, 84))),
    "additive": Engine("Additive", _design_additive, _play_additive, (("organ", 24, 96), ("synth_pad", 24, 96))),
    "wavetable": Engine("Wavetable", _design_wavetable, _play_wavetable, (("synth_lead", 36, 96), ("synth_pad", 24, 90))),
    "pluck": Engine("Plucked string", _design_pluck, _play_pluck, (("guitar", 28, 90), ("bass", 24, 80))),
    "modal": Engine("Modal", _design_modal, _play_modal, (("mallet", 42, 96),)),
    "bowed": Engine("Bowed waveguide", _design_waveguide, _play_bowed, (("string", 24, 96),)),
    "blown": Engine("Blown waveguide", _design_waveguide, _play_blown, (("reed", 36, 96), ("flute", 36, 96))),
    "noise": Engine("Noise resonator", _design_noise, _play_noise, (("synth_pad", 24, 96),)),
    "formant": Engine("Formant voice", _design_formant, _play_formant, (("vocal", 42, 88),)),
}
ROLES = tuple((name, family, low, high) for name, engine in ENGINES.items() for family, low, high in engine.roles)


def render_synth(
    out: str | os.PathLike,
    count: int = 1000,
    *,
    seed: int = 0,
    pitches_per_instrument: int = 8,
    velocities: Sequence[int] | str = (50, 100),
    workers: int | None = None,
    audio_format: str = "wav",
    progress: bool = True,
) -> RenderReport:
    """Render ``count`` procedural instruments (numbers 0..count-1 of ``seed``) into ``out`` in the NSynth layout.

    Each plays ``pitches_per_instrument`` pitches of its own spread over its range at every velocity,
    stored as ``audio_format`` (``"wav"`` or ``"flac"``). Notes already in ``out`` are kept.
    """
    if not 1 <= count <= 100_000 or not 1 <= pitches_per_instrument <= 128:
        raise ValueError(f"count must be 1-100000 and pitches_per_instrument 1-128, got {count}, {pitches_per_instrument}")
    velocities = parse_numbers(velocities, 1, 127, "velocities")
    check_audio_format(audio_format)
    jobs = [(make_instrument(index, seed), pitches_per_instrument, velocities, str(out), audio_format) for index in range(count)]
    return render_instruments(_render_synth_instrument, jobs, lambda j: len(j[0].pitches(j[1])) * len(j[2]), out,
                              desc="rendering synthetic instruments", workers=workers, progress=progress, chunksize=8)


def _render_synth_instrument(job: tuple) -> RenderReport:
    inst, n_pitches, velocities, out, audio_format = job
    report = RenderReport()
    for pitch in inst.pitches(n_pitches):
        for velocity in velocities:
            meta = note_metadata(inst.instrument_str, inst.family, "synthetic", pitch, velocity,
                                 instrument_name=inst.name, synth=ENGINE_NAME, engine=inst.engine, synth_seed=inst.seed)
            write_note(out, meta, render_note(inst, pitch, velocity), audio_format)
            report.written[meta["note_str"]] = meta
    return report
