"""The Python API's timbre operations, on a small untrained model (mechanics, not quality)."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import SR, tone

from timbral import Timbral
from timbral.audio import AudioError
from timbral.latent import Encoded, normalise_peak, slerp, square_weights, triangle_weights
from timbral.model import ModelConfig, TimbreVAE
from timbral.model_folder import default_model_path


@pytest.fixture(scope="module")
def t():
    torch.manual_seed(0)
    return Timbral(TimbreVAE(ModelConfig(latent_dim=8, channels=32)))


def test_encode_file_and_array_with_pitch(t, tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, tone(220, seconds=3), SR)
    e = t.encode(path)
    assert isinstance(e, Encoded) and e.latent.shape == (8,) and e.pitch == 57  # pYIN
    assert t.encode(tone(440, seconds=3), pitch=70).pitch == 70
    assert np.allclose(t.encode(path, pitch=57).latent, e.latent)


def test_a_fitted_latent_is_flagged_and_a_bad_step_count_refused(t, tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, tone(220, seconds=3), SR)
    plain, fitted = t.encode(path), t.encode(path, fit=10)
    assert fitted.pitch == plain.pitch and fitted.remarks[-1] == "latent fitted to the sound (10 steps)"
    assert not np.allclose(fitted.latent, plain.latent) and np.all(np.isfinite(fitted.latent))
    assert np.allclose(t.encode(path, fit=0).latent, plain.latent)
    for steps in (-1, 2.5, None, 10**6):
        with pytest.raises(ValueError, match="fit steps"):
            t.encode(path, fit=steps)


def test_decode_is_4s_normalised_and_deterministic(t):
    z = np.zeros(8, np.float32)
    y = t.decode(z, 60)
    assert y.shape == (4 * SR,) and y.dtype == np.float32
    assert np.max(np.abs(y)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    assert np.array_equal(y, t.decode(z, 60)) and not np.array_equal(y, t.decode(z, 72))


def test_interpolation_endpoints_decode_like_the_sources(t):
    rng = np.random.default_rng(0)
    a, b = Encoded(rng.normal(0, 2, 8).astype(np.float32), 48), Encoded(rng.normal(0, 2, 8).astype(np.float32), 60)
    for method in ("linear", "slerp"):
        path = t.interpolate(a, b, steps=5, method=method)
        assert path.shape == (5, 4 * SR)
        assert np.allclose(path[0], t.decode(a, 48), atol=1e-5) and np.allclose(path[-1], t.decode(b, 48), atol=1e-5)
    assert not np.allclose(path[1], path[3])


def test_mix_weights_and_pads(t):
    a, b, c = (Encoded(np.full(8, v, np.float32), 60) for v in (-1.0, 0.0, 1.0))
    assert np.allclose(t.mix([a, b, c], [0, 1, 0]), t.decode(b, 60), atol=1e-5)
    assert np.allclose(t.mix([a, c], [2, 2]), t.mix([a, c], [0.5, 0.5]), atol=1e-5)  # normalised
    for bad in ([1, -1, 1], [0, 0, 0], [1, np.nan, 0], [1, 2]):
        with pytest.raises(ValueError):
            t.mix([a, b, c], bad)
    with pytest.raises(ValueError):
        t.mix([], [])
    assert np.allclose(triangle_weights(0, 0), [1, 0, 0]) and np.allclose(triangle_weights(1, 0), [0, 1, 0])
    assert np.allclose(triangle_weights(0.5, 1), [0, 0, 1]) and triangle_weights(5, -3).sum() == pytest.approx(1)
    assert np.allclose(square_weights(0.5, 0.5), [0.25] * 4) and np.allclose(square_weights(1, 1), [0, 0, 0, 1])


def test_random_is_seeded(t):
    a, b = t.random(3, seed=1), t.random(3, seed=1)
    assert a.shape == (3, 4 * SR) and np.array_equal(a, b) and not np.array_equal(a, t.random(3, seed=2))
    cold, centre = t.random(2, temperature=0, seed=5)[0], t.decode(np.zeros(8, np.float32), 60)
    assert np.linalg.norm(cold - centre) / np.linalg.norm(centre) < 0.05  # the prior's centre; batching moves the phase slightly
    for bad in (dict(n=0), dict(n=1000), dict(n=2, temperature=-1), dict(n=2, temperature=np.nan), dict(n=2, pitch=200)):
        with pytest.raises(ValueError):
            t.random(**bad)


def test_bad_sounds_and_values(t, tmp_path):
    (tmp_path / "x.wav").write_bytes(b"nope")
    with pytest.raises(AudioError, match="x.wav"):
        t.encode(tmp_path / "x.wav")
    with pytest.raises(AudioError, match="silent"):
        t.encode(np.zeros(SR, np.float32), pitch=60)
    noise = t.encode(np.random.default_rng(0).uniform(-0.5, 0.5, 2 * SR).astype(np.float32))
    assert (noise.pitch, noise.pitched) == (60, False) and "no clear pitch" in noise.remarks[0]  # accepted, flagged
    with pytest.raises(ValueError, match="NaN"):
        t.decode(np.full(8, np.nan, np.float32), 60)
    for pitch in (-1, 128, 60.5, "H4", "C#", "", "C10", None, True):
        with pytest.raises(ValueError, match="pitch"):
            t.decode(np.zeros(8, np.float32), pitch)
    with pytest.raises(ValueError, match="velocity"):
        t.decode(np.zeros(8, np.float32), 60, velocity=0)
    with pytest.raises(ValueError, match="steps"):
        t.interpolate(np.zeros(8, np.float32), np.ones(8, np.float32), steps=1)
    with pytest.raises(ValueError, match="method"):
        t.interpolate(np.zeros(8, np.float32), np.ones(8, np.float32), method="cubic")


def test_helpers():
    assert np.allclose(slerp(np.array([1.0, 0]), np.array([0.0, 1]), 0.5), [np.sqrt(0.5)] * 2)
    assert np.all(normalise_peak(np.zeros((2, 10))) == 0)


def test_default_model_loads_through_the_api():
    t = Timbral.load()
    shipped = json.loads((default_model_path() / "config.json").read_text())["model"]["latent_dim"]
    assert t.latent_dim == shipped >= 16
    assert t.decode(np.zeros(t.latent_dim, np.float32), 60).shape == (4 * SR,)
