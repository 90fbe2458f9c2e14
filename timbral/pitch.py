"""Pitch: note names, pitches stated in file names, and pitch detection on real one-shots.

A pitch is a MIDI note number; wherever one is asked for, a note name (C4, F#3, Bb2, C-1)
is accepted too (:func:`parse_pitch`). :func:`find_pitch` decides the pitch of a user's sound:
the one given, else the one its file name states, else the one heard (:func:`detect_pitch`),
else none: the sound is **unpitched**, played at :data:`NOMINAL_PITCH` and flagged so.

>>> parse_pitch("C4"), parse_pitch("f#3"), parse_pitch(" 60 ")
(60, 54, 60)
>>> note_name(61)
'C#4'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .settings import SAMPLE_RATE

ANALYSIS_RATE = 16000  # a pitch is found at 16 kHz: pYIN's frames and the harmonic search are sized for it
NOMINAL_PITCH = 60  # where an unpitched sound is played unless told otherwise
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "s": 1, "sharp": 1, "b": -1, "♭": -1, "flat": -1}
NOTE = re.compile(r"^([a-g])(#|♯|b|♭|s|sharp|flat)?(-?[0-9])$")
NSYNTH_NAME = re.compile(r"-(\d{3})-(\d{3})$")  # NSynth's <instrument>-<pitch>-<velocity>
MIN_CONFIDENCE = 0.35  # below this a detected pitch is not trusted: the sound counts as unpitched
ACTIVE_DB = 30.0  # frames within this many dB of the loudest are the sounding part of a note
FMIN, FMAX = 30.0, 4200.0  # C1 (a low B0 too) up to C8
TOP_HZ = 7500.0  # the spectral steps read partials up to here


class PitchError(ValueError):
    """A pitch that is neither a MIDI number 0-127 nor a note name."""


@dataclass(frozen=True)
class PitchEstimate:
    """The pitch decided for a sound, and how: ``given``, ``name``, ``pyin``, ``harmonic``, ``harmonic series`` or ``none``
    (then ``, its fundamental``, ``, missing fundamental`` or ``, lowest partial`` where a step of :func:`detect_pitch`
    moved it)."""

    pitch: int
    pitched: bool
    confidence: float
    method: str
    hz: float | None = None

    def describe(self) -> str:
        """One line for a person: what was found and how sure."""
        if not self.pitched:
            return f"no clear pitch: taken as unpitched, played at {note_name(self.pitch)} unless you set a pitch"
        if self.method in ("given", "name"):
            how = "as given" if self.method == "given" else "from the file name"
        else:
            how = f"detected ({self.hz:.1f} Hz, confidence {self.confidence:.2f})"
        return f"pitch {note_name(self.pitch)} ({self.pitch}) {how}"


def note_name(midi: int) -> str:
    """``60`` → ``"C4"`` (scientific pitch notation, sharps)."""
    return f"{NOTE_NAMES[int(midi) % 12]}{int(midi) // 12 - 1}"


def _note_number(word: str) -> int | None:
    m = NOTE.match(word.strip().lower())
    if not m:
        return None
    letter, accidental, octave = m.groups()
    midi = 12 * (int(octave) + 1) + SEMITONES[letter] + ACCIDENTALS[accidental or ""]
    return midi if 0 <= midi <= 127 else None


def parse_pitch(value, what: str = "pitch") -> int:
    """A MIDI note number 0-127 from an int, a numeric string (``"60"``) or a note name (``"C4"``).

    Raises :class:`PitchError` (a ``ValueError``) naming ``what`` for anything else.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= value <= 127:
            return int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value) and value == int(value) and 0 <= value <= 127:
        return int(value)
    elif isinstance(value, str) and len(value) <= 12:
        text = value.strip()
        if re.fullmatch(r"\d{1,3}", text) and int(text) <= 127:
            return int(text)
        midi = _note_number(text)
        if midi is not None:
            return midi
    shown = repr(value)[:40]
    raise PitchError(f"{what} must be a MIDI note 0-127 or a note name like C4, F#3 or Bb2, got {shown}")


def pitch_from_name(stem: str) -> tuple[int | None, str]:
    """The MIDI pitch a file name states, and the name without it.

    NSynth names (``bass_synthetic_033-050-100``: instrument, pitch, velocity) give their middle
    number; otherwise a note name (``A3``, ``C#4``, ``Eb2``) or a MIDI number 21-108 standing as
    a word of its own.

    >>> pitch_from_name("voice_A3")
    (57, 'voice')
    >>> pitch_from_name("synth 60 soft")
    (60, 'synth soft')
    >>> pitch_from_name("keyboard_acoustic_fluidr3_gm_107-051-050")
    (51, 'keyboard acoustic fluidr3 gm 107')
    """
    nsynth = NSYNTH_NAME.search(stem)
    if nsynth and int(nsynth.group(1)) <= 127:
        head = stem[: nsynth.start()]
        words = [w for w in re.split(r"[^A-Za-z0-9#]+", head) if w]
        return int(nsynth.group(1)), " ".join(words)
    words = [w for w in re.split(r"[^A-Za-z0-9#]+", stem) if w]
    for i, word in enumerate(words):
        midi = _note_number(word)
        if midi is not None:
            return midi, " ".join(words[:i] + words[i + 1:])
    for i, word in enumerate(words):
        if word.isdigit() and 21 <= int(word) <= 108:
            return int(word), " ".join(words[:i] + words[i + 1:])
    return None, " ".join(words)


def detect_pitch(y: np.ndarray, sr: int = SAMPLE_RATE) -> PitchEstimate:
    """The pitch heard in a note (mono float samples at ``sr`` from its onset), or an unpitched estimate.

    The note is heard at :data:`ANALYSIS_RATE`; pYIN runs over the first 2.5 s, and only the *sounding* frames (within 30 dB of the
    loudest) count, so a short hit followed by silence is judged by the hit. When pYIN finds
    no steady pitch, a harmonic fallback looks for the fundamental whose harmonics hold most
    of the sound's energy (a bell's steady hum under inharmonic strike partials, a marimba).
    Below :data:`MIN_CONFIDENCE` the sound is unpitched, at :data:`NOMINAL_PITCH`.
    """
    y = np.asarray(y, dtype=np.float32)[: int(2.5 * sr)]
    if sr != ANALYSIS_RATE and y.size:
        import soxr

        y, sr = soxr.resample(y, sr, ANALYSIS_RATE).astype(np.float32), ANALYSIS_RATE
    if y.size < 2048 or not np.any(y):
        return PitchEstimate(NOMINAL_PITCH, False, 0.0, "none")
    estimate = _pyin(y, sr)
    spectrum = _spectrum(y, sr)
    partials, levels, coverage = _partials(*spectrum)
    resolution = spectrum[0][1]  # Hz between bins
    series = _lowest_series(partials, levels, coverage, resolution)
    if series is not None:
        series = _down_to_its_fundamental(series, partials, resolution, missing=True)
    if series is not None and _octaves_below(estimate, series) and _sounds(partials, estimate.hz):
        return replace(estimate, confidence=max(estimate.confidence, series.confidence))  # its fundamental sounds
    if series is not None and (estimate.confidence < MIN_CONFIDENCE or _octaves_below(estimate, series)):
        return series  # a chord's lowest note, or a note whose period pYIN heard an octave or two too long
    if estimate.confidence < MIN_CONFIDENCE and coverage < NOISY_COVERAGE:
        estimate = max(estimate, _harmonic(*spectrum), key=lambda e: e.confidence)
    elif estimate.confidence < MIN_CONFIDENCE and estimate.pitched:  # dense partials: a rough voice, or a noise
        harmonic = _harmonic(*spectrum)
        if harmonic.pitch == estimate.pitch:  # two unsure readings that agree (a noise's rarely do)
            estimate = replace(estimate, confidence=round(min(1.0, estimate.confidence + max(0.0, harmonic.confidence)), 3))
    if estimate.confidence < MIN_CONFIDENCE:
        return PitchEstimate(NOMINAL_PITCH, False, round(estimate.confidence, 3), "none")
    return _up_to_the_lowest_partial(_down_to_its_fundamental(estimate, partials, resolution), partials, *spectrum)


def find_pitch(y: np.ndarray, sr: int = SAMPLE_RATE, *, given=None, name: str | None = None) -> PitchEstimate:
    """The pitch of a user's sound: ``given`` (number or note name), else stated in ``name``, else detected."""
    if given is not None and given != "":
        return PitchEstimate(parse_pitch(given), True, 1.0, "given")
    stated = pitch_from_name(name)[0] if name else None
    if stated is not None:
        return PitchEstimate(stated, True, 1.0, "name")
    return detect_pitch(y, sr)


def midi_to_hz(midi):
    """The frequency (Hz) of a MIDI pitch, fractions between (numbers or arrays); the inverse of :func:`hz_to_midi`.

    >>> midi_to_hz(69), round(float(hz_to_midi(midi_to_hz(60.5))), 6)
    (440.0, 60.5)
    """
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0) if np.ndim(midi) else 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def hz_to_midi(hz):
    """The MIDI pitch (fractional) of a frequency in Hz (numbers or arrays); the inverse of :func:`midi_to_hz`."""
    return 69.0 + 12.0 * np.log2(np.asarray(hz, dtype=np.float64) / 440.0)


def _midi(hz: float) -> int:
    return int(np.clip(np.round(hz_to_midi(hz)), 0, 127))


def _pyin(y: np.ndarray, sr: int, frame: int = 2048, hop: int = 512) -> PitchEstimate:
    import librosa

    # quarter-semitone pitch bins: 30x faster than librosa's default tenth, and a note is still named right
    f0, _, prob = librosa.pyin(y, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=frame, hop_length=hop, resolution=0.25)
    rms = librosa.feature.rms(y=y, frame_length=frame, hop_length=hop)[0][: len(f0)]
    active = rms >= rms.max() * 10 ** (-ACTIVE_DB / 20)
    voiced = active & np.isfinite(f0) & (prob > 0.3)  # pYIN's own voiced flag calls noise voiced
    if voiced.sum() < 3:
        return PitchEstimate(NOMINAL_PITCH, False, 0.0, "pyin")
    midi = hz_to_midi(f0[voiced])
    centre = float(np.median(midi))
    steady = float(np.mean(np.abs(midi - centre) < 0.5))  # share of voiced frames on the same note
    share = voiced.sum() / active.sum()
    confidence = float(min(1.0, share / 0.6) * steady * min(1.0, np.mean(prob[voiced]) / 0.6))
    hz = midi_to_hz(centre)
    return PitchEstimate(_midi(hz), True, round(confidence, 3), "pyin", round(hz, 2))


ABSENT_DB = 30.0  # a partial this far under the loudest one is not what names the note
SERIES_TOLERANCE = 0.01  # a partial within 1 % of k times a candidate is its k-th harmonic
NOISY_COVERAGE = 0.3  # a spectrum whose partials lie within 1 % of this share of all pitches is noise-like (a hi-hat)
MAX_COVERAGE = 0.42  # ... and past this share (a cymbal), even a whole series may lie there by chance
SERIES_LEAD_DB = 20.0  # a chord's lowest note sounds within this of its loudest partial


def _spectrum(y: np.ndarray, sr: int, n_fft: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies up to 7.5 kHz and the mean power there of the sounding frames (within :data:`ACTIVE_DB` of the
    loudest): what the spectral steps of :func:`detect_pitch` read."""
    from scipy.signal import stft

    freqs, _, spec = stft(y, sr, nperseg=min(n_fft, len(y)), noverlap=min(n_fft, len(y)) * 3 // 4)
    power = np.abs(spec) ** 2
    frames = power.sum(axis=0)
    keep = freqs <= min(sr / 2 * 0.94, TOP_HZ)
    return freqs[keep], power[keep][:, frames >= frames.max() * 10 ** (-ACTIVE_DB / 10)].mean(axis=1)


def _partials(freqs: np.ndarray, power: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The partials within :data:`ABSENT_DB` of the loudest (their frequencies, peak-interpolated, and levels in dB
    under the loudest), and how noise-like the spectrum is: the share of pitches (log-spaced, 60 Hz to 7.5 kHz) that
    lie within :data:`SERIES_TOLERANCE` of a partial (a cymbal's dense partials cover most of them)."""
    from scipy.signal import find_peaks

    band = freqs >= FMIN
    if not band.any() or power[band].max() <= 0:
        return np.zeros(0), np.zeros(0), 1.0
    peaks, _ = find_peaks(power * band, height=power[band].max() * 10 ** (-ABSENT_DB / 10))
    peaks = peaks[(peaks > 0) & (peaks < len(freqs) - 1)]
    if len(peaks) == 0:
        return np.zeros(0), np.zeros(0), 1.0
    db = 10 * np.log10(power + 1e-30)
    left, mid, right = db[peaks - 1], db[peaks], db[peaks + 1]
    curve = left - 2 * mid + right
    offset = np.clip(0.5 * (left - right) / np.where(curve == 0, -1e-9, curve), -0.5, 0.5)  # parabolic peak
    partials = (peaks + offset) * freqs[1]
    grid = np.geomspace(2 * FMIN, freqs[-1], 1000)
    coverage = float(np.mean(np.abs(partials[None, :] / grid[:, None] - 1).min(axis=1) < SERIES_TOLERANCE))
    order = np.argsort(partials)
    return partials[order], (mid - mid.max())[order], coverage


def _lowest_series(partials: np.ndarray, levels: np.ndarray, coverage: float, resolution: float) -> PitchEstimate | None:
    """The lowest partial, within :data:`SERIES_LEAD_DB` of the loudest, that starts a harmonic series — its 2nd, 3rd
    and 4th harmonics sound, and 4 of its first 5 overtones (within 1 %) below 7.5 kHz, at least four of them; all
    five where partials are dense (:data:`NOISY_COVERAGE`, an overdriven guitar) — as a listener names a chord by its
    lowest note. None for a cymbal's spectrum (:data:`MAX_COVERAGE`: partials so dense that series appear by
    chance) or where none is found. ``resolution``: the spectrum's bin width in Hz."""
    if coverage >= MAX_COVERAGE:
        return None
    needed = 1.0 if coverage >= NOISY_COVERAGE else 0.8  # among dense partials (distortion), all five overtones
    for f, level in zip(partials, levels):
        if f < FMIN or level < -SERIES_LEAD_DB:
            continue
        overtones = np.arange(2, 7)[np.arange(2, 7) * f <= TOP_HZ]
        if len(overtones) < 4:
            break
        present = _present(partials, overtones * f, resolution)
        if present[:3].all() and present.mean() >= needed:
            confidence = float(present.mean() * (1 - coverage))
            return PitchEstimate(_midi(f), True, round(confidence, 3), "harmonic series", round(float(f), 2))
    return None


def _sounds(partials: np.ndarray, hz: float) -> bool:
    """Whether a partial sounds within half a semitone of ``hz``."""
    return bool(np.any(np.abs(hz_to_midi(partials) - hz_to_midi(hz)) < 0.5)) if len(partials) else False


def _octaves_below(estimate: PitchEstimate, series: PitchEstimate) -> bool:
    """Whether ``estimate`` lies a whole number of octaves under ``series`` (a chord's common period)."""
    if estimate.hz is None or series.hz <= estimate.hz * 1.5:
        return False
    octaves = np.log2(series.hz / estimate.hz)
    return abs(octaves - round(octaves)) < 0.5 / 12


def _sounds_at(hz: float, freqs: np.ndarray, power: np.ndarray) -> bool:
    """Whether the spectrum holds power within :data:`ABSENT_DB` of its loudest within half a semitone of ``hz``."""
    band = (freqs >= hz * 2 ** (-0.5 / 12)) & (freqs <= hz * 2 ** (0.5 / 12))
    return bool(band.any() and power[band].max() >= power.max() * 10 ** (-ABSENT_DB / 10))


def _present(partials: np.ndarray, frequencies: np.ndarray, resolution: float) -> np.ndarray:
    """Whether a partial lies within :data:`SERIES_TOLERANCE` (or 1.5 bins of ``resolution`` Hz) of each frequency."""
    tolerance = np.maximum(SERIES_TOLERANCE, 1.5 * resolution / frequencies)
    return np.abs(partials[None, :] / frequencies[:, None] - 1).min(axis=1) < tolerance


def _harmonics_sound(hz: float, partials: np.ndarray, resolution: float, first: int = 2) -> bool:
    """Whether a partial sounds (:func:`_present`) at every harmonic of ``hz`` from the ``first`` to the 8th."""
    harmonics = np.arange(first, 9) * hz
    if hz < FMIN or harmonics[-1] > TOP_HZ or not len(partials):
        return False
    return bool(_present(partials, harmonics, resolution).all())


def _down_to_its_fundamental(estimate: PitchEstimate, partials: np.ndarray, resolution: float, *,
                             missing: bool = False) -> PitchEstimate:
    """The estimate moved down to the fundamental it is a harmonic of where every harmonic of that up to the 8th
    sounds: an octave down where the fundamental sounds too (a note whose 2nd harmonic is its loudest, which pYIN
    takes for its period); with ``missing``, a 3rd or 2nd harmonic down to a fundamental too weak to count (a low
    piano note). A chord's common period leaves gaps there."""
    for k in (3, 2) if missing else (2,):
        if _harmonics_sound(estimate.hz / k, partials, resolution, first=2 if missing else 1):
            how = "missing fundamental" if missing else "its fundamental"
            return replace(estimate, pitch=_midi(estimate.hz / k), method=f"{estimate.method}, {how}", hz=round(estimate.hz / k, 2))
    return estimate


def _up_to_the_lowest_partial(estimate: PitchEstimate, partials: np.ndarray, freqs: np.ndarray, power: np.ndarray) -> PitchEstimate:
    """The estimate moved up to the lowest partial at a whole multiple of it (up to 8) where nothing sounds at it:
    the common period of a chord or a glass's inharmonic partials lies under any note in it, and a listener names
    its lowest note. Not where its 2nd and 3rd harmonics sound but the 6th does not (the 2nd starts no series of
    its own, as a power chord's root does): that is a residue pitch, heard at the missing fundamental (a tubular
    bell's strike tone over its partials in 2:3:4); nor where every harmonic from the 2nd to the 8th sounds (a low
    piano note's fundamental, too weak to count)."""
    hz, top = estimate.hz, freqs[-1]

    def sounds(*multiples: int) -> bool:
        return all(_sounds_at(m * hz, freqs, power) for m in multiples)

    if sounds(1) or (3 * hz <= top and sounds(2, 3) and not (6 * hz <= top and sounds(6))) or _harmonics_sound(hz, partials, freqs[1]):
        return estimate  # it sounds, a residue pitch, or a missing fundamental
    up = next((m * hz for m in range(2, 9) if m * hz <= FMAX and sounds(m)), None)
    if up is None:
        return estimate
    return PitchEstimate(_midi(up), True, estimate.confidence, f"{estimate.method}, lowest partial", round(up, 2))


def _harmonic(freqs: np.ndarray, power: np.ndarray, width: float = 0.015) -> PitchEstimate:
    """The fundamental whose harmonics (within ±1.5 %) hold the largest share of the sound's energy."""
    from scipy.signal import find_peaks

    top = freqs[-1]
    band = freqs >= FMIN
    total = power[band].sum()
    if total <= 0:
        return PitchEstimate(NOMINAL_PITCH, False, 0.0, "harmonic")
    peaks, _ = find_peaks(power * band, height=power[band].max() * 1e-3)
    strongest = peaks[np.argsort(power[peaks])[::-1][:6]]
    candidates = {freqs[p] / k for p in strongest for k in (1, 2, 3, 4) if FMIN <= freqs[p] / k <= FMAX}

    def harmonicity(f0: float) -> float:
        """Share of the energy near f0's harmonics, above the share that bands so wide catch by chance."""
        near = np.zeros(len(freqs), bool)
        for h in f0 * np.arange(1, int(top / f0) + 1):
            near[np.searchsorted(freqs, h * (1 - width) - freqs[1]):np.searchsorted(freqs, h * (1 + width) + freqs[1])] = True
        chance = (near & band).sum() / band.sum()
        return float((power[near & band].sum() / total - chance) / (1 - chance))

    scored = sorted(((harmonicity(f), f) for f in candidates), reverse=True)
    if not scored:
        return PitchEstimate(NOMINAL_PITCH, False, 0.0, "harmonic")
    best = scored[0][0]
    hz = max(f for s, f in scored if s >= best - 0.03)  # a sub-octave explains as much: keep the higher one
    return PitchEstimate(_midi(hz), True, round(best, 3), "harmonic", round(float(hz), 2))
