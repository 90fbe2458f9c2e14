"""Taking sounds out of Timbral: audio files, ZIP archives, SFZ instruments and map pictures.

Sounds are written at 48 kHz and 24 bits, the whole band (:data:`~timbral.settings.EXPORT_RATES`: 44.1 kHz on
request, resampled with a band-limited filter). Every file is written atomically (complete or not at all).
"""

from __future__ import annotations

import functools
import io
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_path
from .audio import AudioError, write_audio
from .data.families import FAMILIES, FAMILY_COLOURS
from .settings import EXPORT_RATES, SAMPLE_RATE
from .spectral import SpectralSettings, log_magnitude

FORMATS = {"wav": ".wav", "flac": ".flac"}
BITS = {16: "PCM_16", 24: "PCM_24"}
SFZ_PITCHES = range(24, 97, 3)  # the pitches the default dataset covers; each sample serves ±1 semitone
SFZ_VELOCITIES = (50, 100)
STATIC = Path(__file__).parent / "studio" / "static"


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


SPECTROGRAM_DB = (-35.0, 45.0)  # the fixed colour range of every spectrogram picture, in absolute dB
SPECTROGRAM_ROWS = 128


def spectrogram_png(y: np.ndarray, settings: SpectralSettings = SpectralSettings(), *, width: int = 320, height: int = 170) -> bytes:
    """A spectrogram picture with axes (time in s, frequency in Hz on a log scale) as PNG bytes.

    Frequencies are drawn on a log scale from 40 Hz to Nyquist, where the harmonics that make a
    timbre are spread out, and colours span a fixed 80 dB of absolute level (-35 to +45 dB), so
    pictures of different sounds compare: a brighter or noisier step looks brighter or noisier.
    The axes are drawn once per size and reused; each picture only colours its plot area.
    """
    from PIL import Image

    frame, (left, top, right, bottom), lut = _spectrogram_frame(settings, width, height)
    db = log_magnitude(np.asarray(y, np.float32), settings)
    freqs = np.linspace(0, settings.sr / 2, settings.n_bins)
    rows = np.geomspace(40.0, settings.sr / 2, SPECTROGRAM_ROWS)
    grid = np.stack([np.interp(rows, freqs, column) for column in db.T], axis=1)[::-1]  # high frequencies on top
    lo, hi = SPECTROGRAM_DB
    levels = np.clip((grid - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    plot = Image.fromarray(lut[levels]).resize((right - left, bottom - top), Image.Resampling.BILINEAR)
    picture = frame.copy()
    picture.paste(plot, (left, top))
    buf = io.BytesIO()
    picture.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


@functools.lru_cache(maxsize=4)
def _spectrogram_frame(settings: SpectralSettings, width: int, height: int):
    """The axes of a spectrogram picture (an RGB image), the plot area's pixel box, and the colour table."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.14, 0.22, 0.82, 0.74))
    rows = np.geomspace(40.0, settings.sr / 2, SPECTROGRAM_ROWS)
    ax.set_xlim(0, settings.duration)
    ax.set_ylim(0, SPECTROGRAM_ROWS)
    ticks = [f for f in (100, 300, 1000, 3000, 8000, 16000) if f <= settings.sr / 2]
    ax.set_yticks(np.interp(np.log(ticks), np.log(rows), np.arange(SPECTROGRAM_ROWS)),
                  [f"{f // 1000}k" if f >= 1000 else str(f) for f in ticks])
    ax.set_xticks(np.arange(0, settings.duration + 0.01, 1.0))
    ax.set_xlabel("time (s)", fontsize=7, labelpad=1)
    ax.set_ylabel("Hz", fontsize=7, labelpad=1)
    ax.tick_params(labelsize=7, length=2, pad=1)
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    box = ax.get_window_extent()
    left, right = int(np.ceil(box.x0)), int(np.floor(box.x1))
    top, bottom = int(np.ceil(height - box.y1)), int(np.floor(height - box.y0))
    lut = (matplotlib.colormaps["magma"](np.arange(256))[:, :3] * 255).astype(np.uint8)
    return image, (left, top, right, bottom), lut


def sfz_instrument(timbral, sound, *, name: str = "timbral", pitches: Sequence[int] = SFZ_PITCHES,
                   velocities: Sequence[int] = SFZ_VELOCITIES, bits: int = 24, recorded: bool = True,
                   rate: int = SAMPLE_RATE) -> dict[str, bytes]:
    """A multi-sampled SFZ instrument of one timbre: ``{path in the archive: bytes}``.

    The timbre is decoded at every pitch in ``pitches`` and every velocity layer (a sound with audio
    "as recorded", its detail moved to each pitch, unless ``recorded`` is False); the ``.sfz`` maps each
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


def map_png(library, path: str | os.PathLike, *, extra: dict[str, tuple[float, float]] | None = None) -> Path:
    """The library's map as a PNG, coloured by family; ``extra`` points are drawn and named on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 10), dpi=110)
    for family, colour in zip(FAMILIES, FAMILY_COLOURS):
        xy = np.array([(s.x, s.y) for s in library.sounds if s.family == family]).reshape(-1, 2)
        if len(xy):
            ax.scatter(xy[:, 0], xy[:, 1], s=3, c=colour, label=f"{family} ({len(xy)})", alpha=0.8, linewidths=0)
    for label, (x, y) in (extra or {}).items():
        ax.scatter([x], [y], s=90, facecolors="none", edgecolors="black", linewidths=2)
        ax.annotate(label, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=10)
    ax.set(title=f"Timbre map: {len(library)} notes (t-SNE of the latent means)", xlim=(0, 1), ylim=(1, 0),
           xticks=[], yticks=[], aspect="equal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), markerscale=4, frameon=False)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(fig)
    return path


def map_html(library, path: str | os.PathLike, *, extra: dict[str, tuple[float, float]] | None = None) -> Path:
    """The library's map as one self-contained interactive page (zoom, pan, hover names; works offline)."""
    points = [{"id": s.name, "name": s.title or s.name, "family": s.family, "pitch": s.pitch, "x": round(s.x, 5),
               "y": round(s.y, 5), "source": "library"} for s in library.sounds]
    points += [{"id": f"extra{i}", "name": label, "family": "", "x": x, "y": y, "source": "yours"}
               for i, (label, (x, y)) in enumerate((extra or {}).items())]
    colours = dict(zip(FAMILIES, FAMILY_COLOURS))
    legend = "".join(f'<span><i style="background:{c}"></i>{f}</span>' for f, c in colours.items())
    page = (STATIC / "map.html").read_text()
    for key, value in {"MAP_JS": (STATIC / "map.js").read_text(), "LEGEND": legend, "COUNT": str(len(library)),
                       # names go in as JSON with every "<" escaped: no name can end the script or open a comment in it
                       "DATA": json.dumps({"points": points, "colours": colours}).replace("<", "\\u003c")}.items():
        page = page.replace(f"/*{key}*/", value)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(page)
    return path


def _check_format(fmt: str, bits: int) -> None:
    if fmt not in FORMATS:
        raise AudioError(fmt, "format must be wav or flac")
    if bits not in BITS:
        raise AudioError(str(bits), "bits must be 16 or 24")
