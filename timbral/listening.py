"""What a listener hears: ViSQOL (audio mode) mean opinion scores of what Timbral plays against the
recording it should sound like, with calibration rows measured beside them.

ViSQOL (``visqol-python``, its model bundled) compares a degraded signal with a reference at 48 kHz and
scores it from 1 to about 4.73 (identical). Timbral's 16 kHz notes are upsampled to 48 kHz and the
degraded one gain-matched to the reference first, so a level change costs nothing. Conditions:

- at a note's own pitch: the model's rebuild (the encoder's latent, decoded, phase rebuilt), the same
  "as recorded" (with the note's detail: its own magnitudes, the phase rebuilt), and as calibration the
  recording low-passed at 4 kHz and at 2 kHz;
- at another pitch of the same instrument (its real render is the reference): the model there, "as
  recorded" with the detail moved with the harmonics or faded, and resampling the recording to that
  pitch (what a sampler does) as the baseline to beat.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

RATE = 48000  # ViSQOL's audio mode


@functools.cache
def _visqol():
    from visqol import VisqolApi

    api = VisqolApi()
    api.create(mode="audio")
    return api


def mos(reference: np.ndarray, degraded: np.ndarray, sr: int = 16000) -> float:
    """ViSQOL MOS of ``degraded`` against ``reference`` (mono, at ``sr``), gain-matched, at 48 kHz."""
    import soxr

    reference, degraded = (np.asarray(v, np.float64) for v in (reference, degraded))
    n = min(len(reference), len(degraded))
    reference, degraded = reference[:n], degraded[:n]
    gain = float(reference @ degraded) / max(float(degraded @ degraded), 1e-12)
    up = [soxr.resample(v, sr, RATE) for v in (reference, degraded * gain)]
    return float(_visqol().measure_from_arrays(up[0], up[1], RATE).moslqo)


def lowpass(y: np.ndarray, hz: float, sr: int = 16000) -> np.ndarray:
    """``y`` through an 8th-order Butterworth low-pass at ``hz`` (a calibration row: a muffled copy)."""
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(8, hz, fs=sr, output="sos"), y)


def resampled(y: np.ndarray, semitones: float, sr: int = 16000) -> np.ndarray:
    """``y`` played ``semitones`` higher by resampling, as a sampler does (faster and shorter, or slower),
    cut or padded to its length."""
    import soxr

    out = soxr.resample(np.asarray(y, np.float64), sr * 2 ** (semitones / 12), sr)
    return np.pad(out, (0, max(0, len(y) - len(out))))[: len(y)]


def own_pitch_scores(t, notes: list[tuple[np.ndarray, int, int]], fit: int = 0) -> dict[str, list[float]]:
    """MOS per note at its own pitch: ``notes`` are (samples at their own level, pitch, velocity)."""
    scores: dict[str, list[float]] = {"model": [], "recorded": [], "lowpass_4k": [], "lowpass_2k": []}
    for note, pitch, velocity in notes:
        e = encoded(t, note, pitch, velocity, fit)
        scores["model"].append(mos(note, t.decode(e, pitch, velocity, recorded=False)))
        scores["recorded"].append(mos(note, t.decode(e, pitch, velocity)))
        scores["lowpass_4k"].append(mos(note, lowpass(note, 4000)))
        scores["lowpass_2k"].append(mos(note, lowpass(note, 2000)))
    return scores


def other_pitch_scores(t, pairs: list[tuple[np.ndarray, int, np.ndarray, int, int]]) -> dict[str, list[float]]:
    """MOS per pair at another pitch: (a note, its pitch, the same instrument's note at another pitch, that
    pitch, their velocity), the second the reference for what the first becomes at its pitch."""
    from .detail import MOVES

    scores: dict[str, list[float]] = {"model": [], **{f"recorded_{m}": [] for m in MOVES}, "resampled": []}
    move = t.move
    try:
        for note, pitch, target, target_pitch, velocity in pairs:
            e = encoded(t, note, pitch, velocity)
            scores["model"].append(mos(target, t.decode(e, target_pitch, velocity, recorded=False)))
            for m in MOVES:
                t.move = m
                scores[f"recorded_{m}"].append(mos(target, t.decode(e, target_pitch, velocity)))
            scores["resampled"].append(mos(target, resampled(note, target_pitch - pitch)))
    finally:
        t.move = move
    return scores


def encoded(t, note: np.ndarray, pitch: int, velocity: int, fit: int = 0):
    """A dataset note as the model hears it (its level as recorded, its velocity), with its detail."""
    import torch

    from .latent import Encoded
    from .model import fit_latents

    spec = t.model.spectrogram_of(note)
    with torch.no_grad():
        mu = t.model.encode(spec, torch.tensor([pitch]))[0]
    if fit:
        mu = fit_latents(t.model, spec, torch.tensor([pitch]), torch.tensor([velocity]), mu, steps=fit)
    latent = mu[0].numpy()
    return Encoded(latent, pitch, details=((1.0, t.detail_of(note, latent, pitch, velocity)),))


def medians(scores: dict[str, list[float]], prefix: str) -> dict[str, float]:
    """``{prefix + condition: median MOS}``."""
    return {f"{prefix}{name}": float(np.median(v)) for name, v in scores.items() if v}


def listening_figures(t, load: Callable[[str], np.ndarray], instruments: list[list[dict]]) -> dict:
    """The ViSQOL figures ``timbral evaluate --visqol N`` reports, for the notes (metadata dicts; ``load`` reads
    one's samples) of a few ``instruments``: of each, its loudest note nearest the middle of its pitches at
    that pitch, and the same instrument's nearest note at another pitch within an octave (at the same
    velocity) as the reference for that note played there."""
    picked, pairs = [], []
    for notes in instruments:
        loud = max(int(m["velocity"]) for m in notes)
        pool = sorted((m for m in notes if int(m["velocity"]) == loud), key=lambda m: int(m["pitch"]))
        m = pool[len(pool) // 2]
        picked.append(m)
        others = [o for o in pool if 0 < abs(int(o["pitch"]) - int(m["pitch"])) <= 12]
        if others:
            pairs.append((m, min(others, key=lambda o: abs(int(o["pitch"]) - int(m["pitch"])))))
    own = own_pitch_scores(t, [(load(m["note_str"]), int(m["pitch"]), int(m["velocity"])) for m in picked])
    figures = medians(own, "visqol_own_pitch_") | {"visqol_notes": len(picked)}
    if pairs:
        other = other_pitch_scores(t, [(load(a["note_str"]), int(a["pitch"]), load(b["note_str"]), int(b["pitch"]),
                                        int(a["velocity"])) for a, b in pairs])
        figures |= medians(other, "visqol_other_pitch_") | {"visqol_pairs": len(pairs)}
    return figures
