"""The representation: the STFT as librosa's, dB and its inverse, levels, bounds, the high band's bands, shifts."""

import numpy as np
import pytest
import torch
from conftest import SR, tone

from timbral.spectral import (
    Bounds,
    SpectralSettings,
    band_edges,
    band_means,
    db_to_magnitude,
    db_to_power,
    heard_db,
    heard_of,
    level_db,
    log_magnitude,
    magnitude_to_db,
    power_to_db,
    shift_bins,
    shift_heard,
    stft,
)


def test_stft_follows_librosa():
    import librosa

    y = np.random.default_rng(0).standard_normal(48000).astype(np.float32)
    ours = stft(y).numpy()
    theirs = librosa.stft(y, n_fft=3072, hop_length=768, center=True, pad_mode="constant")
    assert ours.shape == theirs.shape and np.allclose(ours, theirs, atol=2e-3)
    assert stft(np.stack([y, y])).shape == (2, 1537, 63)


def test_what_the_model_hears_is_the_core_and_the_high_bands_mean_power():
    s = SpectralSettings()
    db = np.full((s.n_bins, 3), -80.0, np.float32)
    db[100] = 20.0  # a partial at 1.56 kHz, in the core
    db[s.core_bins + 10 : s.core_bins + 20] = 0.0  # 8.2-8.3 kHz, in the first band
    heard = heard_of(db, s)
    assert heard.shape == (s.heard_rows, 3) and np.array_equal(heard[: s.core_bins], db[: s.core_bins])
    first = heard[s.core_bins]
    assert -20 < float(first[0]) < 0 and np.all(heard[s.core_bins + 2 :] == -80.0)  # its mean power, the rest silent
    assert torch.allclose(heard_of(torch.from_numpy(db), s), torch.from_numpy(heard), atol=1e-4)


def test_shift_bins_moves_partials_as_resampling_does():
    spec = torch.zeros(2, 513, 4)
    spec[:, 100] = 1.0
    moved = shift_bins(spec, torch.tensor([12.0, -12.0]))
    assert moved[0].argmax(0).tolist() == [200] * 4 and moved[1].argmax(0).tolist() == [50] * 4


def test_each_conversion_undoes_its_inverse_in_numpy_and_torch():
    db = np.array([-70.0, -12.5, 0.0, 30.0])  # above the settings' floor (-80 dB)
    assert np.allclose(power_to_db(db_to_power(db)), db) and np.allclose(magnitude_to_db(db_to_magnitude(db)), db)
    assert torch.allclose(power_to_db(db_to_power(torch.tensor(db))), torch.tensor(db))
    assert np.allclose(db_to_power(db), db_to_magnitude(db) ** 2)
    s = SpectralSettings()
    assert magnitude_to_db(np.zeros(3), s).tolist() == [s.floor_db] * 3  # silence sits on the floor, never -inf
    assert power_to_db(np.array([0.0]), floor_db=-120.0).tolist() == [-120.0]


def test_a_sine_lies_on_its_bin_and_a_level_follows_the_gain():
    s = SpectralSettings()
    y = tone(1000, 2, harmonics=1)
    db = log_magnitude(y, s)
    assert db.shape == (s.n_bins, s.n_frames // 2 + 1) or db.shape[0] == s.n_bins
    assert abs(int(np.argmax(db[:, db.shape[1] // 2])) - round(1000 / s.bin_hz)) <= 1
    assert level_db(log_magnitude(0.1 * y, s)) == pytest.approx(level_db(db) - 20, abs=0.01)
    assert level_db(np.stack([db, db])).shape == (2,)


def test_bounds_scale_and_unscale_and_refuse_nonsense():
    b = Bounds(-80.0, 40.0)
    assert b.scale(-80.0) == 0 and b.scale(40.0) == 1 and b.unscale(b.scale(-7.0)) == pytest.approx(-7.0)
    for lo, hi in ((0.0, 0.0), (10.0, -10.0), (float("nan"), 1.0)):
        with pytest.raises(ValueError):
            Bounds(lo, hi)


def test_the_high_bands_cover_the_band_above_the_core_once_and_follow_a_shift():
    s = SpectralSettings()
    edges = band_edges(s)
    assert edges[0] == pytest.approx(s.core_hz) and edges[-1] == pytest.approx(SR / 2) and np.all(np.diff(edges) > 0)
    means = band_means(s)
    assert means.shape == (s.n_high_bands, s.n_bins - s.core_bins) and np.allclose(means.sum(axis=1), 1.0)
    assert np.array_equal((means > 0).sum(axis=0), np.ones(s.n_bins - s.core_bins))  # every bin in exactly one band
    noise = np.random.default_rng(0).normal(scale=0.1, size=SR).astype(np.float32)
    assert torch.allclose(heard_db(noise, s), torch.from_numpy(heard_of(log_magnitude(noise, s), s)), atol=0.05)
    heard = torch.zeros(1, s.heard_rows, 2)  # scaled, as the model hears: 0 is silence
    heard[0, s.core_bins + 3] = 1.0
    octaves_per_band = np.log2(SR / 2 / s.core_hz) / s.n_high_bands
    up = shift_heard(heard, torch.tensor([12.0 * octaves_per_band]), s)  # up by one band
    assert int(up[0, s.core_bins :, 0].argmax()) == 4
