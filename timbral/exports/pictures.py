"""Pictures of sounds and of the timbre space: a spectrogram with axes (PNG), the library's map (PNG, and one
self-contained interactive page)."""

from __future__ import annotations

import functools
import io
import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..data.families import FAMILIES, FAMILY_COLOURS
from ..spectral import SpectralSettings, log_magnitude

STATIC = Path(__file__).resolve().parents[1] / "studio" / "static"

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
