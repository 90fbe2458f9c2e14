"""The library, the timbre map and the exports, on the tiny dataset and an untrained model."""

import io
import json
import re
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone, write

from timbral import Timbral
from timbral.audio import AudioError
from timbral.export import audio_bytes, key_ranges, map_html, map_png, sfz_instrument, write_sounds
from timbral.library import Library, UnknownSound
from timbral.map import TimbreMap


@pytest.fixture(scope="module")
def t(tiny_model, tiny_library):
    return Timbral.load(tiny_model, library=tiny_library)


def test_library_is_built_once_then_read_from_its_cache(t, tiny_library, tmp_path):
    import shutil

    fresh = tmp_path / "data"
    shutil.copytree(tiny_library, fresh, ignore=shutil.ignore_patterns("library", "features"))
    assert not Library.cached(t.model, fresh)
    lib = Library.open(t.model, fresh)
    assert len(lib) == 15 and len(lib.families()) == 5
    assert len(list((fresh / "library").glob("*.npz"))) == 1 and Library.cached(t.model, fresh)
    assert not (fresh / "features").exists()  # heard from the audio: no training feature store on disk
    start = time.perf_counter()
    again = Library.open(t.model, fresh)
    assert time.perf_counter() - start < 2
    assert np.array_equal(again.map.coords, lib.map.coords) and np.array_equal(again.map.latents, lib.map.latents)


def test_search_filters_combine(t):
    lib = t.library
    guitar = lib.search(family="guitar")
    assert guitar and all(s.family == "guitar" for s in guitar)
    assert all(s.pitch == 60 for s in lib.search(pitch=60)) and len(lib.search(pitch=60)) == 5
    name = guitar[0].name
    assert lib.search(q=name.upper()) == [lib[name]]
    assert lib.search(family="guitar", pitch=61) == [] and lib.search(instrument=guitar[0].instrument, velocity=100) == guitar
    with pytest.raises(UnknownSound, match="no sound named"):
        lib["../etc/passwd"]


def test_library_names_are_sounds_everywhere(t):
    s = t.library.search(pitch=72)[0]
    e = t.encode(s.name)
    assert e.pitch == 72 and np.array_equal(e.latent, t.library.latent(s.name))
    assert t.interpolate(s.name, t.library.search(pitch=48)[0].name, steps=2).shape == (2, 4 * SR)
    with pytest.raises(AudioError):
        t.encode("no_such_sound-060-100")


def test_map_places_and_decodes(t, tmp_path):
    m = t.library.map
    assert m.coords.min() >= 0 and m.coords.max() <= 1
    for i in (0, 7):
        assert m.place(m.latents[i]) == pytest.approx(tuple(m.coords[i]), abs=1e-6)
        assert np.allclose(m.decode(*m.coords[i]), m.latents[i])
    between = m.decode(*(m.coords[0] + m.coords[1]) / 2)
    assert np.all(between >= m.latents.min(axis=0) - 1e-6) and np.all(between <= m.latents.max(axis=0) + 1e-6)
    assert not np.allclose(between, m.latents[0])
    x, y = m.place(t.latent(write(tmp_path / "mine_C4.wav", tone(262, 3))))
    assert 0 <= x <= 1 and 0 <= y <= 1
    assert 0 <= m.trustworthiness(n_neighbors=3) <= 1
    for bad in ([np.nan, 0.5], [0.5], "x"):
        with pytest.raises(ValueError):
            m.decode(*bad) if len(bad) == 2 else m.decode(bad, 0.5)
    with pytest.raises(ValueError):
        m.place(np.zeros(3))


def test_map_fit_is_seeded():
    z = np.random.default_rng(0).normal(size=(40, 4))
    assert np.array_equal(TimbreMap.fit(z, seed=1).coords, TimbreMap.fit(z, seed=1).coords)
    with pytest.raises(ValueError, match="at least 4"):
        TimbreMap.fit(z[:3])


def parse_sfz(text: str) -> list[dict]:
    """Regions of an SFZ file with the opcodes of their <global> and <group> headers folded in."""
    scopes = {"global": {}, "group": {}}
    regions = []
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        for header, body in re.findall(r"<(\w+)>([^<]*)", line) or [(None, line)]:
            opcodes = dict(kv.split("=", 1) for kv in body.split())
            if header in ("global", "group"):
                scopes[header] = opcodes
                if header == "global":
                    scopes["group"] = {}
            elif header == "region":
                regions.append({**scopes["global"], **scopes["group"], **opcodes})
            elif header in (None, "control"):
                scopes.setdefault("control", {}).update(opcodes)
    return regions


def test_sfz_maps_every_key_and_velocity_once_to_a_real_sample(t):
    files = sfz_instrument(t, t.library.sounds[0].name, name="tiny", pitches=range(36, 85, 12), velocities=(50, 100))
    regions = parse_sfz(files["tiny.sfz"].decode())
    assert len(regions) == 10 and len(files) == 11
    for key in range(128):
        for vel in range(1, 128):
            hits = [r for r in regions if int(r["lokey"]) <= key <= int(r["hikey"]) and int(r["lovel"]) <= vel <= int(r["hivel"])]
            assert len(hits) == 1, (key, vel)
    for r in regions:
        assert int(r["lokey"]) <= int(r["pitch_keycenter"]) <= int(r["hikey"])
        y, sr = sf.read(io.BytesIO(files["samples/" + r["sample"]]))
        info = sf.info(io.BytesIO(files["samples/" + r["sample"]]))
        assert sr == SR and len(y) == 4 * SR and info.subtype == "PCM_24" and np.max(np.abs(y)) > 0.5
    with pytest.raises(ValueError):
        sfz_instrument(t, t.library.sounds[0].name, pitches=[])


def test_ranges_cover_without_gaps():
    assert key_ranges([60], 0, 127) == [(0, 127)]
    assert key_ranges([24, 27, 30], 0, 127) == [(0, 25), (26, 28), (29, 127)]


def test_audio_files_and_formats(tmp_path):
    y = tone(440, 1)
    assert sf.info(io.BytesIO(audio_bytes(y, fmt="flac", bits=24))).format == "FLAC"
    paths = write_sounds(tmp_path, {"a": y}, fmt="flac", bits=16)
    assert paths[0].name == "a.flac" and sf.info(paths[0]).subtype == "PCM_16"
    for fmt, bits in (("mp3", 16), ("wav", 8)):
        with pytest.raises(AudioError):
            audio_bytes(y, fmt=fmt, bits=bits)


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


def test_a_library_stored_as_flac_hears_the_same_and_names_its_nearest(t, tiny_model, tmp_path):
    from conftest import TIMGM

    from timbral.data.render import render_soundfonts

    for fmt in ("wav", "flac"):
        render_soundfonts([TIMGM], tmp_path / fmt, programs="0,24,40,73", pitches="48,60", velocities="100", audio_format=fmt,
                          progress=False)
    assert {p.suffix for p in (tmp_path / "flac" / "audio").iterdir()} == {".flac"}
    wav, flac = (Library.open(t.model, tmp_path / fmt, progress=False) for fmt in ("wav", "flac"))
    name = wav.sounds[0].name
    a, b = (sf.read(lib.audio_path(name))[0] for lib in (wav, flac))
    assert np.abs(a - b).max() <= 2 / 32768  # the same 16-bit samples, to a step of rounding
    assert np.allclose(wav.map.latents, flac.map.latents, atol=2e-3)
    assert flac.audio_path(flac.sounds[0].name).suffix == ".flac"
    near = flac.nearest(flac.map.latents[3], 3)
    assert len(near) == 3 and near[0].name == flac.sounds[3].name
