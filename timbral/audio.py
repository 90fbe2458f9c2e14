"""Audio input and output: decode any supported file into one NSynth-style note.

Every sound that enters Timbral, a rendered note or a user's file, passes through
:func:`load_note` (files) or :func:`prepare_note` (arrays): mono, at Timbral's rate (48 kHz,
:mod:`~timbral.settings`), starting at its first note's onset (:func:`note_onset`), exactly 4 s long. Anything unusable raises
:class:`AudioError` naming the file and the reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .atomic import atomic_path
from .settings import DURATION, SAMPLE_RATE

SUPPORTED_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")
MAX_INPUT_SECONDS = 60.0
SILENCE_PEAK = 1e-4  # -80 dBFS: below this a sound counts as silent
MIN_SECONDS = 0.02  # a shorter sound is no note (a truncated file, a click)
TRIM_TOP_DB = 50.0  # a note starts where it rises within this many dB of its loudest frame ...
ONSET_ABOVE_FLOOR_DB = 20.0  # ... and this far above the recording's noise floor
SUBTYPES = {"PCM_16": "PCM_16", "PCM_24": "PCM_24", "16": "PCM_16", "24": "PCM_24"}


class AudioError(ValueError):
    """A sound that cannot be used, with the file (or ``"<array>"``) and the reason."""

    def __init__(self, source: str | os.PathLike, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


def read_audio(path: str | os.PathLike, max_seconds: float = MAX_INPUT_SECONDS) -> tuple[np.ndarray, int]:
    """Decode a WAV, FLAC, OGG, MP3 or AIFF file into float32 ``(samples, channels)`` and its rate.

    Only the first ``max_seconds`` are read, so a huge file costs no more than a long note.
    The format is recognised from the content, never from the file name.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "no such file")
    if path.stat().st_size == 0:
        raise AudioError(path, "the file is empty (0 bytes)")
    try:
        with sf.SoundFile(path) as f:
            sr = int(f.samplerate)
            if sr <= 0:
                raise AudioError(path, f"invalid sample rate {sr}")
            frames = f.frames if 0 < f.frames < 2**62 else -1
            limit = int(max_seconds * sr)
            y = f.read(frames=min(frames, limit) if frames > 0 else limit, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(path, f"not a readable audio file ({_short(e)})") from None
    return y, sr


def prepare_note(
    y: np.ndarray,
    sr: int,
    source: str | os.PathLike = "<array>",
    *,
    target_sr: int = SAMPLE_RATE,
    duration: float | None = DURATION,
    trim: bool = True,
    allow_silent: bool = False,
) -> np.ndarray:
    """Turn raw samples into one note: mono float32 at ``target_sr``, trimmed, fixed length.

    Parameters
    ----------
    y : array of shape ``(n,)`` or ``(n, channels)``, any float or int dtype.
    sr : the rate of ``y`` in Hz.
    source : what to name in an :class:`AudioError`.
    duration : seconds to pad or cut to; ``None`` keeps the length.
    trim : start at the first note's onset, dropping leading silence or room noise (:func:`note_onset`).
    allow_silent : accept an all-silent sound (a dataset may hold one) instead of raising.

    Returns
    -------
    np.ndarray of float32, shape ``(round(duration * target_sr),)``.
    """
    if not isinstance(sr, (int, np.integer)) or isinstance(sr, bool) or sr <= 0:
        raise AudioError(source, f"sample rate must be a positive integer, got {sr!r}")
    try:
        y = np.asarray(y)
    except Exception as e:  # ragged lists and the like
        raise AudioError(source, f"not an array of samples ({_short(e)})") from None
    if y.dtype.kind not in "fiu":
        raise AudioError(source, f"samples must be numbers, got dtype {y.dtype}")
    if y.dtype.kind in "iu":
        y = y.astype(np.float32) / float(np.iinfo(y.dtype).max)
    y = y.astype(np.float32, copy=False)
    if y.size == 0:
        raise AudioError(source, "no samples (zero length)")

    if y.ndim == 2 and y.shape[1] <= 8 and y.shape[0] >= y.shape[1]:
        y = y.mean(axis=1)  # (samples, channels), as soundfile reads
    elif y.ndim == 2 and y.shape[0] <= 8:
        y = y.mean(axis=0)  # (channels, samples), as librosa reads
    elif y.ndim != 1:
        raise AudioError(source, f"expected mono or multichannel samples, got shape {y.shape}")
    if len(y) < MIN_SECONDS * sr:
        raise AudioError(source, f"too short to be a note ({len(y) / sr * 1000:.1f} ms; at least {MIN_SECONDS * 1000:.0f} ms)")
    if not np.all(np.isfinite(y)):
        raise AudioError(source, "contains NaN or infinite samples")
    if sr != target_sr:
        y = soxr.resample(y, sr, target_sr, quality="HQ").astype(np.float32, copy=False)
    silent = np.max(np.abs(y), initial=0.0) < SILENCE_PEAK
    if silent and not allow_silent:
        raise AudioError(source, "the sound is silent (peak below -80 dBFS)")
    if trim and not silent:
        y = y[note_onset(y, target_sr) :]
    if duration is not None:
        y = fix_length(y, round(duration * target_sr))
    return np.ascontiguousarray(y)


def load_note(path: str | os.PathLike, *, sr: int = SAMPLE_RATE, duration: float | None = DURATION, trim: bool = True) -> np.ndarray:
    """Read a file and :func:`prepare_note` it; errors name the file."""
    y, file_sr = read_audio(path)
    return prepare_note(y, file_sr, path, target_sr=sr, duration=duration, trim=trim)


def note_onset(y: np.ndarray, sr: int = SAMPLE_RATE, frame_seconds: float = 0.016) -> int:
    """The sample where the first note of ``y`` (at ``sr``) starts (leading silence or room noise skipped), to a
    frame of ``frame_seconds``.

    It is the first frame whose RMS is within 50 dB of the loudest frame and 20 dB above the
    noise floor of the lead-in (the 10th-percentile frame before the sound first comes within
    20 dB of its loudest), moved back over the whole of its rise out of that floor, so that no
    attack is lost: a pad's slow swell or a choir's soft entry from the first sample stays whole.
    """
    frame = max(1, round(frame_seconds * sr))
    n = len(y) // frame
    if n < 2:
        return 0
    db = 20 * np.log10(np.sqrt(np.mean(y[: n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-10)
    peak = float(db.max())
    lead_in = db[: int(np.flatnonzero(db >= peak - 20.0)[0])]
    floor = max(float(np.percentile(lead_in, 10)), -120.0) if lead_in.size else -120.0
    threshold = min(max(peak - TRIM_TOP_DB, floor + ONSET_ABOVE_FLOOR_DB), peak - 6.0)
    first = int(np.flatnonzero(db >= threshold)[0])
    while first > 0 and db[first - 1] > floor + 3.0 and db[first - 1] <= db[first] + 1.0:  # back down the rise
        first -= 1
    return first * frame


CLIP_LEVEL = 0.99  # of full scale: a run of equal samples this loud is a clipped recording's flat top


def clipped_samples(y: np.ndarray, run: int = 8) -> int:
    """How many samples of ``y`` (``(samples,)`` or ``(samples, channels)``) lie in runs of at least ``run``
    equal samples at full scale: the flat tops of a clipped recording (a full-scale sine, even at 20 Hz, peaks
    for fewer).

    >>> clipped_samples(np.r_[0.2, np.ones(10), 0.3]), clipped_samples(np.sin(np.linspace(0, 6, 48000)))
    (10, 0)
    """
    y = np.asarray(y)
    y = y / float(np.iinfo(y.dtype).max) if y.dtype.kind in "iu" else y.astype(np.float32, copy=False)
    y = y[:, None] if y.ndim == 1 else y
    total = 0
    for channel in y.T:
        flat = (np.abs(channel[1:]) >= CLIP_LEVEL) & (channel[1:] == channel[:-1])  # sample i+1 repeats sample i
        edges = np.flatnonzero(np.diff(np.concatenate([[0], flat.astype(np.int8), [0]])))
        lengths = edges[1::2] - edges[::2] + 1  # a run of k repeats is k + 1 samples
        total += int(lengths[lengths >= run].sum())
    return total


def seconds_in_file(path: str | os.PathLike) -> float | None:
    """The length of an audio file in seconds, from its header (``None`` where it does not say)."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    return info.frames / info.samplerate if 0 < info.frames < 2**62 and info.samplerate > 0 else None


def fix_length(y: np.ndarray, n: int) -> np.ndarray:
    """Cut ``y`` (``(…, samples)``) to ``n`` samples or pad it with zeros."""
    if y.shape[-1] >= n:
        return y[..., :n]
    return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n - y.shape[-1])])


def repitched(y: np.ndarray, semitones: float, sr: int = SAMPLE_RATE, length: int | None = None) -> np.ndarray:
    """``y`` (``(…, samples)``) played ``semitones`` higher by resampling, as a sampler plays a recording at another
    key (faster and shorter, or slower and longer), cut or padded to ``length`` samples (default: its own)."""
    y = np.asarray(y)
    length = y.shape[-1] if length is None else length
    if semitones == 0:
        return fix_length(y, length)
    return fix_length(soxr.resample(np.asarray(y, np.float64).T, sr * 2 ** (semitones / 12), sr).T, length).astype(y.dtype)


def quantised(y: np.ndarray, peak_dbfs, bits: int = 16) -> np.ndarray:
    """``y`` ``(samples,)`` or ``(n, samples)`` as a ``bits``-bit file recorded at ``peak_dbfs`` peak
    (one level per row) would hold it, brought back to ``y``'s own level: the rounding a quiet
    take adds, tied to the sound's own partials rather than a white floor."""
    y = np.asarray(y, dtype=np.float64)
    peak_dbfs = np.asarray(peak_dbfs, dtype=np.float64)
    if y.ndim > 1:
        peak_dbfs = peak_dbfs.reshape(-1, 1)  # one level per row
    gain = 10.0 ** (peak_dbfs / 20) / np.maximum(np.max(np.abs(y), axis=-1, keepdims=True), 1e-12)
    full_scale = 2 ** (bits - 1) - 1
    return (np.round(y * gain * full_scale) / full_scale / gain).astype(np.float32)


def write_audio(path: str | os.PathLike, y: np.ndarray, sr: int = SAMPLE_RATE, subtype: str = "PCM_16") -> Path:
    """Write mono audio atomically: WAV (``PCM_16``/``PCM_24``) or FLAC, chosen by the suffix.

    The file appears complete or not at all (written to a temporary file, then renamed).
    """
    path = Path(path)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0 or not np.all(np.isfinite(y)):
        raise AudioError(path, "refusing to write empty, multichannel or non-finite audio")
    suffix = path.suffix.lower()
    if suffix not in (".wav", ".flac"):
        raise AudioError(path, "output must end in .wav or .flac")
    if subtype not in SUBTYPES:
        raise AudioError(path, f"unknown sample format {subtype!r}; use PCM_16 or PCM_24")
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(y, -1.0, 1.0), sr, subtype=SUBTYPES[subtype], format="FLAC" if suffix == ".flac" else "WAV")
    return path


def _short(e: Exception) -> str:
    """The first line of a decoder's message, without the path it names (the caller names the file:
    a server's temporary path means nothing to the person who sent the file)."""
    text = re.sub(r"^Error opening .*?: ", "", str(e).strip())
    return text.splitlines()[0][:200] if text else type(e).__name__
