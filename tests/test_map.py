"""The timbre map: every latent placed in the unit square, points between sounds decoded, seeded fits."""

import numpy as np
import pytest
from conftest import tone, write

from timbral.map import TimbreMap


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


def test_nearest_is_ordered_by_latent_distance_and_bad_k_says_so():
    z = np.random.default_rng(1).normal(size=(30, 4))
    m = TimbreMap.fit(z, seed=0)
    near = m.nearest(z[5], k=4)
    assert near[0] == 5 and len(near) == 4
    d = np.linalg.norm(z[near] - z[5], axis=1)
    assert np.all(np.diff(d) >= 0)
    assert m.trustworthiness(n_neighbors=3) > 0.6  # a 4-D Gaussian cloud keeps most neighbourhoods on the map
    with pytest.raises(ValueError):
        TimbreMap.fit(np.full((10, 4), np.nan))
