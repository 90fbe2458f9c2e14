"""Twelve kinds of one-shot as sound designers bring them, made here (rendered or synthesised).

Each kind comes with the MIDI pitch a listener would name, or ``None`` for an unpitched sound,
and is peak-normalised near 0 dBFS over a microphone's noise floor (-60 dBFS), as recorded
sample packs are. ``KINDS`` maps a name to a maker.
"""

from __future__ import annotations

import numpy as np
from conftest import SR, TIMGM

SECONDS = 3.0


def _t(seconds: float = SECONDS) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _normalise(y: np.ndarray, peak: float = 0.98, noise_dbfs: float = -60.0) -> np.ndarray:
    hiss = 10 ** (noise_dbfs / 20) * np.random.default_rng(len(y)).standard_normal(len(y))
    return (peak * y / np.max(np.abs(y)) + hiss).astype(np.float32)


def rendered(program: int, pitch: int, seconds: float = 4.0) -> np.ndarray:
    from timbral.data.render import SoundFontSynth

    synth = SoundFontSynth(TIMGM)
    try:
        return synth.render(program, pitch, 110)[: int(seconds * SR)]
    finally:
        synth.close()


def piano() -> np.ndarray:
    return _normalise(rendered(0, 45))


def bass_hit() -> np.ndarray:  # a slapped bass: short, then gone
    y = rendered(36, 33, seconds=0.6)
    return _normalise(np.concatenate([y * np.exp(-_t(len(y) / SR) * 10), np.zeros(SR)]))


def electric_bell() -> np.ndarray:  # a steady 256 Hz hum under inharmonic strike partials
    t, rng = _t(), np.random.default_rng(3)
    y = 0.6 * np.sin(2 * np.pi * 256 * t) * np.minimum(1, t / 0.01) * np.exp(-t * 0.4)
    for ratio, decay in [(2.76, 3), (5.40, 5), (8.93, 8), (13.34, 12)]:
        y += 0.5 * np.sin(2 * np.pi * 256 * ratio * t + rng.uniform(0, 6)) * np.exp(-t * decay)
    return _normalise(y + 0.05 * rng.standard_normal(len(t)) * np.exp(-t * 40))


def cymbal() -> np.ndarray:
    from scipy.signal import butter, sosfilt

    t = _t()
    noise = sosfilt(butter(4, 3000, "highpass", fs=SR, output="sos"), np.random.default_rng(4).standard_normal(len(t)))
    return _normalise(noise * np.exp(-t * 1.5))


def glass_hum() -> np.ndarray:  # a wet finger on a wine glass: two close modes beating, a slow swell out of room tone
    t = _t()
    y = np.sin(2 * np.pi * 880 * t) + 0.8 * np.sin(2 * np.pi * 883 * t) + 0.05 * np.sin(2 * np.pi * 1760 * t)
    y = np.concatenate([np.zeros(SR // 4), y * np.minimum(1, t / 0.4)])
    return _normalise(y + 0.002 * np.random.default_rng(5).standard_normal(len(y)))


def guitar_harmonics() -> np.ndarray:  # a 12th-fret harmonic: nearly a sine, a pluck and a fast decay
    t = _t()
    f = _hz(76)
    y = (np.sin(2 * np.pi * f * t) + 0.15 * np.sin(2 * np.pi * 2 * f * t)) * np.exp(-t * 6)
    return _normalise(y + 0.2 * np.random.default_rng(6).standard_normal(len(t)) * np.exp(-t * 200))


def voice() -> np.ndarray:  # a sung "ah" at A3 with vibrato: glottal pulses through three formants
    from scipy.signal import lfilter

    t = _t()
    f0 = 220 * 2 ** (0.2 / 12 * np.sin(2 * np.pi * 5 * t))
    phase = np.cumsum(f0) / SR
    pulses = np.diff(np.floor(phase), prepend=0.0)
    y = np.zeros_like(t)
    for formant, bw in [(730, 80), (1090, 90), (2440, 120)]:
        r = np.exp(-np.pi * bw / SR)
        y += lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * formant / SR), r * r], pulses)
    return _normalise(y * np.minimum(1, t / 0.05) * np.minimum(1, (SECONDS - t) / 0.2))


def kick() -> np.ndarray:
    t = _t(1.0)
    f = 55 + 100 * np.exp(-t * 30)
    return _normalise(np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * 6))


def snare() -> np.ndarray:
    t, noise = _t(1.0), np.random.default_rng(7).standard_normal(SR)
    return _normalise(noise * np.exp(-t * 12) + 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-t * 20))


def plucked_string() -> np.ndarray:  # Karplus-Strong at G3
    period = round(SR / _hz(55))
    rng = np.random.default_rng(8)
    y = np.zeros(int(SECONDS * SR))
    y[:period] = rng.uniform(-1, 1, period)
    for i in range(period, len(y)):
        y[i] = 0.996 * 0.5 * (y[i - period] + y[i - period - 1])
    return _normalise(y)


def marimba() -> np.ndarray:  # a bar: partials at 1, 4 and 9.9 times C5, the higher ones gone first
    t = _t()
    f = _hz(72)
    y = sum(a * np.sin(2 * np.pi * f * r * t) * np.exp(-t * d) for a, r, d in [(1, 1, 7), (0.5, 4, 15), (0.25, 9.9, 30)])
    return _normalise(y)


def noisy_take() -> np.ndarray:  # a field recording: 1.5 s of room noise, then a flute-like D5, then a second note
    rng, t = np.random.default_rng(9), _t(2.0)
    note = (np.sin(2 * np.pi * _hz(74) * t) + 0.3 * np.sin(2 * np.pi * 2 * _hz(74) * t)) * np.minimum(1, t / 0.05) * np.exp(-t)
    second = np.sin(2 * np.pi * _hz(62) * _t(1.0))
    y = np.concatenate([np.zeros(int(1.5 * SR)), note, second])
    return _normalise(y + 0.003 * rng.standard_normal(len(y)))


KINDS = {  # name: (maker, the pitch a listener would name, or None for unpitched)
    "piano": (piano, 45), "bass_hit": (bass_hit, 33), "electric_bell": (electric_bell, 60), "cymbal": (cymbal, None),
    "glass_hum": (glass_hum, 81), "guitar_harmonics": (guitar_harmonics, 76), "voice": (voice, 57), "kick": (kick, 33),
    "snare": (snare, None), "plucked_string": (plucked_string, 55), "marimba": (marimba, 72), "noisy_take": (noisy_take, 74),
}
