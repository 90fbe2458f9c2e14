"""Sounds as files: WAV/FLAC, ZIP archives and a timbre's SFZ instrument.

Sounds are written at 48 kHz and 24 bits, the whole band (:data:`~timbral.settings.EXPORT_RATES`: 44.1 kHz on
request, resampled with a band-limited filter). Every file is written atomically (complete or not at all).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from ..atomic import atomic_path
from ..audio import AudioError, write_audio
from ..settings import EXPORT_RATES, SAMPLE_RATE

FORMATS = {"wav": ".wav", "flac": ".flac"}
BITS = {16: "PCM_16", 24: "PCM_24"}
SFZ_PITCHES = range(24, 97, 3)  # the pitches the default dataset covers; each sample serves ±1 semitone
SFZ_VELOCITIES = (50, 100)


def at_rate(y: np.ndarray, rate: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` (at ``sr``) at ``rate``, one of :data:`~timbral.settings.EXPORT_RATES` (or ``sr`` itself)."""
    if rate == sr:
        return np.asarray(y, np.float32)
    if rate not in EXPORT_RATES:
        raise AudioError(str(rate), f"the rate must be one of {', '.join(map(str, EXPORT_RATES))} Hz")
    import soxr

    return soxr.resample(np.asarray(y, np.float32), sr, rate, quality="VHQ").astype(np.float32)


def audio_bytes(y: np.ndarray, *, fmt: str = "wav", bits: int = 24, sr: int = SAMPLE_RATE, rate: int | None = None) -> bytes:
    """One sound (at ``sr``) as the bytes of a WAV or FLAC file at ``rate`` (default ``sr``)."""
    _check_format(fmt, bits)
    rate = sr if rate is None else rate
    buf = io.BytesIO()
    sf.write(buf, np.clip(at_rate(y, rate, sr), -1, 1), rate, subtype=BITS[bits], format=fmt.upper())
    return buf.getvalue()


def write_sound(path: str | os.PathLike, y: np.ndarray, *, bits: int = 24, rate: int = SAMPLE_RATE) -> Path:
    """One sound (at Timbral's rate) to ``path`` at ``rate``: WAV or FLAC by its suffix, 16 or 24 bit."""
    _check_format("wav", bits)
    return write_audio(path, at_rate(y, rate), sr=rate, subtype=BITS[bits])


def write_sounds(folder: str | os.PathLike, sounds: dict[str, np.ndarray], *, fmt: str = "wav", bits: int = 24,
                 rate: int = SAMPLE_RATE) -> list[Path]:
    """Each named sound (at Timbral's rate) as ``folder/<name>.<fmt>`` at ``rate``."""
    _check_format(fmt, bits)
    return [write_sound(Path(folder) / f"{name}{FORMATS[fmt]}", y, bits=bits, rate=rate) for name, y in sounds.items()]


FADE_OUT_SECONDS = 0.05  # an instrument's sample ends with a fade this long, never with a click


def faded_end(y: np.ndarray, sr: int = SAMPLE_RATE, seconds: float = FADE_OUT_SECONDS) -> np.ndarray:
    """``y`` (``(…, samples)``) with its last ``seconds`` faded out (a raised cosine to silence): a sampler that plays
    a sample to its end stops at nothing."""
    n = min(int(round(seconds * sr)), y.shape[-1])
    out = np.array(y, dtype=np.float32, copy=True)
    out[..., out.shape[-1] - n :] *= (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
    return out


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP archive of ``{name inside the archive: bytes}``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def write_zip(path: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """A ZIP archive of ``files`` at ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(zip_bytes(files))
    return path


def sfz_instrument(timbral, sound, *, name: str = "timbral", pitches: Sequence[int] = SFZ_PITCHES,
                   velocities: Sequence[int] = SFZ_VELOCITIES, bits: int = 24, recorded: bool = True,
                   rate: int = SAMPLE_RATE) -> dict[str, bytes]:
    """A multi-sampled SFZ instrument of one timbre: ``{path in the archive: bytes}``.

    The timbre is played at every pitch in ``pitches`` and every velocity layer (a sound with audio "as
    recorded", as :meth:`~timbral.latent.Timbral.decode_batch` plays it elsewhere, unless ``recorded`` is
    False: transposed from its own pitch by default, its timing kept); the ``.sfz`` maps each
    sample to the keys halfway to its neighbours (the lowest and the highest stretch to the ends of the
    keyboard) and each layer to a velocity range.
    """
    pitches, velocities = sorted(set(pitches)), sorted(set(velocities))
    if not pitches or not velocities:
        raise ValueError("an SFZ instrument needs at least one pitch and one velocity")
    e = timbral.resolve(sound)
    grid = [(p, v) for v in velocities for p in pitches]
    audio = faded_end(timbral.decode_batch(np.repeat(e.latent[None], len(grid), axis=0), [p for p, _ in grid], [v for _, v in grid],
                                           [e.details if recorded else ()] * len(grid)), timbral.sr)
    files = {f"samples/{p:03d}_v{v:03d}.wav": audio_bytes(y, bits=bits, rate=rate) for (p, v), y in zip(grid, audio)}
    keys = key_ranges(pitches, 0, 127)
    vel_ranges = key_ranges(velocities, 1, 127)
    lines = [f"// {name}: a Timbral timbre, {len(pitches)} pitches x {len(velocities)} velocity layers",
             "<control>", "default_path=samples/", "<global>", "loop_mode=no_loop", "ampeg_release=0.3", ""]
    for v, (lovel, hivel) in zip(velocities, vel_ranges):
        lines.append(f"<group> lovel={lovel} hivel={hivel}")
        lines += [f"<region> sample={p:03d}_v{v:03d}.wav pitch_keycenter={p} lokey={lo} hikey={hi}"
                  for p, (lo, hi) in zip(pitches, keys)]
    files[f"{name}.sfz"] = ("\n".join(lines) + "\n").encode()
    return files


def key_ranges(centres: list[int], low: int, high: int) -> list[tuple[int, int]]:
    """Contiguous ranges around sorted ``centres`` that cover ``low``..``high`` exactly once."""
    bounds = [low] + [(a + b) // 2 + 1 for a, b in zip(centres, centres[1:])] + [high + 1]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(len(centres))]


def _check_format(fmt: str, bits: int) -> None:
    if fmt not in FORMATS:
        raise AudioError(fmt, "format must be wav or flac")
    if bits not in BITS:
        raise AudioError(str(bits), "bits must be 16 or 24")
