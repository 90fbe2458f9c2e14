"""The library, the timbre map and the exports, on the tiny dataset and an untrained model."""

import time

import numpy as np
import pytest
import soundfile as sf
from conftest import SR

from timbral.audio import AudioError
from timbral.library import Library, UnknownSound


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
