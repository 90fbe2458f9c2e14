"""Pictures: a spectrogram with axes, the library's map as PNG and as one offline page with names as text."""

import io
import json

import numpy as np
from conftest import SR, tone
from PIL import Image

from timbral.exports.pictures import map_html, map_png, spectrogram_png


def test_map_pictures(t, tmp_path):
    png = map_png(t.library, tmp_path / "map.png", extra={"mine": (0.5, 0.5)})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = map_html(t.library, tmp_path / "map.html", extra={"mine": (0.5, 0.5)}).read_text()
    assert "class TimbreMapView" in page and t.library.sounds[0].name in page and '"mine"' in page
    assert "http://" not in page and "https://" not in page and "/*DATA*/" not in page  # self-contained, works offline
    hostile = "</script><script>alert(1)</script><!--"
    page = map_html(t.library, tmp_path / "map.html", extra={hostile: (0.5, 0.5)}).read_text()
    data = page.split("const data = ", 1)[1].split(";\n", 1)[0]
    assert "<" not in data and json.loads(data)["points"][-1]["name"] == hostile  # in the page only as JSON text


def test_a_spectrogram_shows_a_brighter_sound_brighter():
    dark, bright = tone(220, 4, harmonics=2), tone(220, 4, harmonics=40)
    pictures = [np.asarray(Image.open(io.BytesIO(spectrogram_png(y, width=320, height=170))).convert("L"), float)
                for y in (dark, bright)]
    assert pictures[0].shape == (170, 320)
    assert pictures[1][:60].mean() > pictures[0][:60].mean() + 3  # the upper rows (high frequencies) light up
    silent = spectrogram_png(np.zeros(SR, np.float32))
    assert silent[:8] == b"\x89PNG\r\n\x1a\n"
