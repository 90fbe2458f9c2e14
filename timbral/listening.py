"""What a listener hears: ViSQOL (audio mode) mean opinion scores of what Timbral plays against the full-rate
recording it should sound like, the high band's level error beside them, and calibration rows measured alike.

ViSQOL (``visqol-python``, its model bundled) compares a degraded signal with a reference at 48 kHz and scores
it from 1 to about 4.73 (identical). Both are taken over the reference's *active part* (from its onset until
it has fallen 50 dB under its loudest 10 ms): padded with seconds of silence, a closed hi-hat that lost most
of its sound still rates near the top. A part shorter than ViSQOL's patches need (2 s) is repeated to fill
them, the same samples of both. The degraded signal is brought to the reference's level below 8 kHz (the band
every pipeline keeps), so a level change costs nothing and a lost or added high band shows as such.

:func:`high_band_error` is the level difference (dB) in each third-octave band from 10 to 20 kHz over the
same active part; a band 60 dB under the note's whole energy counts as that.

Conditions (:func:`own_pitch_scores`, :func:`other_pitch_scores`):

- at a note's own pitch: "as recorded" (its detail added back: its own magnitudes over the whole band, the
  phase rebuilt) and the model alone (the encoder's latent); calibration: the recording through a perfect
  16 kHz copy (the ceiling of any 16 kHz pipeline), low-passed at 8 kHz and at 4 kHz;
- at another pitch of the same instrument (its real render the reference): the model there, "as recorded"
  played each way :data:`~timbral.detail.MOVES` names (transposed from its own pitch, its timing kept, the
  default; resampled from there as a sampler would; decoded there with the detail moved with the harmonics, or
  faded), and a sampler resampling the full-rate recording.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .settings import SAMPLE_RATE

RATE = 48000  # ViSQOL's audio mode
PATCH_SECONDS = 2.0  # the least ViSQOL's audio mode scores (its patches and their alignment)
ACTIVE_DB = 50.0  # a note's active part ends where it has fallen this far under its loudest 10 ms
THIRD_OCTAVES_HZ = (10000.0, 12500.0, 16000.0, 20000.0)  # the high band's third-octave bands
BAND_FLOOR = 1e-6  # a band's energy is counted from 60 dB under the note's whole energy
BRIGHT_SHARE_DB = -30.0  # a note with at least this share of its energy above 8 kHz is "bright or noisy"


@functools.cache
def _visqol():
    from visqol import VisqolApi

    api = VisqolApi()
    api.create(mode="audio")
    return api


def active_part(y: np.ndarray, sr: int = RATE) -> tuple[int, int]:
    """Where the note of ``y`` sounds: from its onset (:func:`~timbral.audio.note_onset`) to 20 ms after its last
    10 ms frame within :data:`ACTIVE_DB` of its loudest."""
    from .audio import note_onset

    frame = max(1, int(0.01 * sr))
    n = len(y) // frame
    if n < 2:
        return 0, len(y)
    db = 10 * np.log10(np.mean(np.asarray(y[: n * frame], np.float64).reshape(n, frame) ** 2, axis=1) + 1e-24)
    last = int(np.flatnonzero(db >= db.max() - ACTIVE_DB)[-1])
    start = note_onset(np.asarray(y, np.float32), sr)
    return start, max(start + frame, min(len(y), (last + 1) * frame + int(0.02 * sr)))


def band_energy(y: np.ndarray, lo: float, hi: float, sr: int = RATE) -> float:
    """The energy of ``y`` between ``lo`` and ``hi`` Hz."""
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum())


def compared(reference: np.ndarray, degraded: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """The two signals as they are scored: at 48 kHz, over the reference's active part (repeated to fill
    :data:`PATCH_SECONDS`), the degraded one at the reference's level below 8 kHz."""
    import soxr

    reference, degraded = (np.asarray(v, np.float64) for v in (reference, degraded))
    if sr != RATE:
        reference, degraded = (soxr.resample(v, sr, RATE) for v in (reference, degraded))
    n = min(len(reference), len(degraded))
    start, end = active_part(reference[:n])
    reference, degraded = reference[start:end], degraded[start:end]
    low, low_hat = band_energy(reference, 0, 8000), band_energy(degraded, 0, 8000)
    if low < 1e-3 * band_energy(reference, 0, RATE) or low_hat <= 0:  # no sound below 8 kHz: the whole band
        low, low_hat = float(reference @ reference), float(degraded @ degraded)
    degraded = degraded * np.sqrt(low / max(low_hat, 1e-30))
    repeats = int(np.ceil(PATCH_SECONDS * RATE / max(len(reference), 1)))
    return np.tile(reference, repeats), np.tile(degraded, repeats)


def mos(reference: np.ndarray, degraded: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """ViSQOL MOS of ``degraded`` against ``reference`` (mono, at ``sr``), as :func:`compared` prepares them."""
    ref, deg = compared(reference, degraded, sr)
    return float(_visqol().measure_from_arrays(ref, deg, RATE).moslqo)


def high_band_error(reference: np.ndarray, degraded: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The level error (dB) of ``degraded`` in each of :data:`THIRD_OCTAVES_HZ`, as :func:`compared` prepares them."""
    ref, deg = compared(reference, degraded, sr)
    floor = BAND_FLOOR * float(ref @ ref)
    edges = [(c * 2 ** (-1 / 6), c * 2 ** (1 / 6)) for c in THIRD_OCTAVES_HZ]
    return np.array([abs(10 * np.log10(band_energy(deg, lo, hi) + floor) - 10 * np.log10(band_energy(ref, lo, hi) + floor))
                     for lo, hi in edges])


def is_bright(y: np.ndarray, sr: int = SAMPLE_RATE) -> bool:
    """Whether a note holds at least :data:`BRIGHT_SHARE_DB` of its energy above 8 kHz (cymbals, breath, bright leads)."""
    return 10 * np.log10(band_energy(y, 8000, sr / 2, sr) / max(band_energy(y, 0, sr / 2, sr), 1e-30) + 1e-30) >= BRIGHT_SHARE_DB


def sixteen_khz_copy(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` through a perfect 16 kHz copy (a calibration row: what any 16 kHz pipeline can at best give back)."""
    import soxr

    return soxr.resample(soxr.resample(np.asarray(y, np.float64), sr, 16000, quality="VHQ"), 16000, sr, quality="VHQ")[: len(y)]


def lowpass(y: np.ndarray, hz: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` through an 8th-order Butterworth low-pass at ``hz`` (a calibration row: a muffled copy)."""
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(8, hz, fs=sr, output="sos"), y)


Scores = dict[str, list[float]]


def _score(scores: Scores, name: str, reference: np.ndarray, degraded: np.ndarray) -> None:
    """Add the MOS and the mean high-band level error of one condition."""
    scores.setdefault(name, []).append(mos(reference, degraded))
    scores.setdefault(f"{name}_high_band_db", []).append(float(high_band_error(reference, degraded).mean()))


def own_pitch_scores(t, notes: list[tuple[np.ndarray, int, int]], fit: int = 0) -> Scores:
    """MOS and high-band level error per note at its own pitch: ``notes`` are (samples at :data:`SAMPLE_RATE` at
    their own level, pitch, velocity). Conditions: ``model``, ``recorded``, ``copy_16k``, ``lowpass_8k``, ``lowpass_4k``."""
    scores: Scores = {}
    for note, pitch, velocity in notes:
        e = t.hear(note, pitch, velocity, fit=fit)
        _score(scores, "model", note, t.decode(e, pitch, velocity, recorded=False))
        _score(scores, "recorded", note, t.decode(e, pitch, velocity))
        _score(scores, "copy_16k", note, sixteen_khz_copy(note))
        _score(scores, "lowpass_8k", note, lowpass(note, 8000))
        _score(scores, "lowpass_4k", note, lowpass(note, 4000))
    return scores


def other_pitch_scores(t, pairs: list[tuple[np.ndarray, int, np.ndarray, int, int]]) -> Scores:
    """MOS and high-band level error per pair at another pitch: (a note, its pitch, the same instrument's note at
    another pitch, that pitch, their velocity), the second the reference for what the first becomes at its pitch.
    Conditions: ``model``, ``recorded_transpose``, ``recorded_resample``, ``recorded_shift``, ``recorded_fade``,
    ``resampled`` (a sampler, from the full-rate note)."""
    from .audio import repitched
    from .detail import MOVES

    scores: Scores = {}
    for note, pitch, target, target_pitch, velocity in pairs:
        e = t.hear(note, pitch, velocity)
        _score(scores, "model", target, t.decode(e, target_pitch, velocity, recorded=False))
        for m in MOVES:
            _score(scores, f"recorded_{m}", target, t.decode(e, target_pitch, velocity, move=m))
        _score(scores, "resampled", target, repitched(note, target_pitch - pitch))
    return scores


def medians(scores: Scores, prefix: str, keep: np.ndarray | None = None) -> dict[str, float]:
    """``{prefix + condition: median}``, over the notes ``keep`` marks (all by default)."""
    out = {}
    for name, v in scores.items():
        v = np.asarray(v) if keep is None else np.asarray(v)[keep]
        if len(v):
            out[f"{prefix}{name}"] = float(np.median(v))
    return out


def listening_figures(t, load: Callable[[str], np.ndarray], instruments: list[list[dict]]) -> dict:
    """The ViSQOL figures ``timbral evaluate --visqol N`` reports, for the notes (metadata dicts; ``load`` reads
    one's samples at :data:`SAMPLE_RATE`) of a few ``instruments``: of each, its loudest note nearest the middle
    of its pitches at that pitch, and the same instrument's nearest note at another pitch within an octave (at
    the same velocity) as the reference for that note played there. The bright and noisy notes (:func:`is_bright`)
    are also reported on their own (``..._bright_...``)."""
    picked, pairs = [], []
    for notes in instruments:
        loud = max(int(m["velocity"]) for m in notes)
        pool = sorted((m for m in notes if int(m["velocity"]) == loud), key=lambda m: int(m["pitch"]))
        m = pool[len(pool) // 2]
        picked.append(m)
        others = [o for o in pool if 0 < abs(int(o["pitch"]) - int(m["pitch"])) <= 12]
        if others:
            pairs.append((m, min(others, key=lambda o: abs(int(o["pitch"]) - int(m["pitch"])))))
    audio = [load(m["note_str"]) for m in picked]
    bright = np.array([is_bright(y) for y in audio], bool)
    own = own_pitch_scores(t, [(y, int(m["pitch"]), int(m["velocity"])) for y, m in zip(audio, picked)])
    figures = medians(own, "visqol_own_pitch_") | medians(own, "visqol_own_pitch_bright_", bright)
    figures |= {"visqol_notes": len(picked), "visqol_bright_notes": int(bright.sum())}
    if pairs:
        other = other_pitch_scores(t, [(load(a["note_str"]), int(a["pitch"]), load(b["note_str"]), int(b["pitch"]),
                                        int(a["velocity"])) for a, b in pairs])
        figures |= medians(other, "visqol_other_pitch_") | {"visqol_pairs": len(pairs)}
    return figures
