"""The figures of the timbre space and of rebuilds (pure numpy), on spaces whose answers are known."""

import numpy as np
import pytest

from timbral.metrics import (
    cross_pitch_retrieval,
    explained_variance,
    gain_matched,
    heard_pitches,
    knn_accuracy,
    log_spectral_distance,
    placement_accuracy,
    placement_by_family,
    same_instrument_distances,
)


def test_generalisation_metrics_on_known_spaces():
    rng = np.random.default_rng(0)
    instruments = np.repeat(np.arange(6), 4)
    pitches = np.tile([48, 55, 60, 67], 6)
    timbre = rng.normal(0, 1, (6, 8))[instruments] + rng.normal(0, 0.05, (24, 8))  # latent = instrument
    assert explained_variance(timbre, instruments) > 0.95 and explained_variance(timbre, pitches) < 0.3
    hit, chance = cross_pitch_retrieval(timbre, instruments, pitches)
    assert hit == 1.0 and chance == pytest.approx(3 / 18)  # 3 of the 18 notes at other pitches
    by_pitch = rng.normal(0, 1, (100, 8))[pitches] + rng.normal(0, 0.05, (24, 8))  # latent = pitch
    assert explained_variance(by_pitch, pitches) > 0.95
    assert cross_pitch_retrieval(by_pitch, instruments, pitches)[0] < 0.5
    families = np.array(["bass", "flute"] * 3)[instruments]  # strings, as folders without the numeric twin carry
    accuracy, chance = placement_accuracy(timbre, families, timbre + 0.01, families)
    assert accuracy == 1.0 and chance < 0.8
    loo, _ = placement_accuracy(timbre, families)
    assert loo >= 0.5
    alone = np.array(["bass", "flute", "organ", "reed", "brass", "string"])[instruments]  # one instrument per family
    assert placement_accuracy(timbre, alone)[0] == 1.0  # its own notes at other pitches vote for it
    assert placement_accuracy(timbre, alone, groups=instruments)[0] == 0.0  # with them left out, nothing can
    mistaken = np.where(families == "flute", "organ", families)  # a family the references never place right
    by_family = placement_by_family(timbre, mistaken, timbre + 0.01, families)
    assert by_family == {"bass": 1.0, "organ": 0.0}
    counts = np.array([np.sum(mistaken == f) for f in by_family])
    assert np.dot(list(by_family.values()), counts) / counts.sum() == placement_accuracy(timbre, mistaken, timbre + 0.01, families)[0]
    assert set(placement_by_family(timbre, families)) == {"bass", "flute"}  # leave-one-out without references


def test_knn_in_chunks_matches_one_pass(monkeypatch):
    import timbral.metrics as ev

    rng = np.random.default_rng(2)
    query, labels = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    whole = knn_accuracy(query, labels, groups=np.arange(50) // 5)
    monkeypatch.setattr(ev, "KNN_CHUNK", 7)
    assert knn_accuracy(query, labels, groups=np.arange(50) // 5) == whole


def test_gain_matching_forgives_level_only():
    from timbral.spectral import SpectralSettings

    mag = np.abs(np.random.default_rng(1).normal(size=(1, 513, 20))).astype(np.float32) + 0.01
    sc, lsd = gain_matched(mag * 0.01, mag, SpectralSettings())
    assert sc[0] < -100 and lsd[0] < 1e-3
    worse, _ = gain_matched(mag[:, ::-1].copy(), mag, SpectralSettings())
    assert worse[0] > -10


def test_heard_pitches_are_those_of_the_notes_source_in_training():
    train = [{"pitch": 60, "soundfont": "A.sf2"}, {"pitch": 62, "soundfont": "A.sf2"}, {"pitch": 64, "synth": "s", "engine": "fm"}]
    notes = [{"pitch": 60, "soundfont": "A.sf2"}, {"pitch": 64, "soundfont": "A.sf2"},  # 64: only the synth played it
             {"pitch": 64, "soundfont": "B.sf2"}, {"pitch": 61, "soundfont": "B.sf2"}]  # B: never trained on
    assert heard_pitches(notes, train).tolist() == [True, False, True, False]


def test_adjusted_explained_variance_forgives_many_small_groups():
    z = np.random.default_rng(1).normal(size=(400, 8))  # a latent that knows nothing of pitch
    many, few = np.arange(400) % 80, np.arange(400) % 4
    assert explained_variance(z, many) > 0.15 and explained_variance(z, few) < 0.02  # R² grows with the groups
    assert abs(explained_variance(z, many, adjusted=True)) < 0.03 and abs(explained_variance(z, few, adjusted=True)) < 0.03
    by_pitch = z + 4 * np.eye(8)[few]
    assert explained_variance(by_pitch, few, adjusted=True) > 0.5


def test_same_instrument_distances_tell_a_timbre_that_moves_at_unheard_pitches():
    rng = np.random.default_rng(0)
    instruments, pitches = np.repeat(np.arange(6), 8), np.tile(np.arange(48, 56), 6)
    velocities, heard = np.full(48, 100), pitches % 4 != 1  # two of eight pitches never heard
    steady = rng.normal(0, 3, (6, 16))[instruments] + rng.normal(0, 0.3, (48, 16))
    among, to_unheard = same_instrument_distances(steady, instruments, pitches, velocities, heard)
    assert 0.8 < to_unheard / among < 1.25
    moved = steady + np.where(heard, 0, 2.0)[:, None]  # the latent jumps at the unheard pitches
    among, to_unheard = same_instrument_distances(moved, instruments, pitches, velocities, heard)
    assert to_unheard / among > 2


def test_log_spectral_distance_is_zero_for_a_copy_and_grows_with_the_error():
    from timbral.spectral import SpectralSettings

    s = SpectralSettings()
    mag = np.abs(np.random.default_rng(3).normal(size=(2, s.n_bins, 10))).astype(np.float32) + 0.01
    assert np.allclose(log_spectral_distance(mag, mag, s), 0.0)
    near, far = log_spectral_distance(mag * 1.1, mag, s), log_spectral_distance(mag * 4.0, mag, s)
    assert np.all(near > 0) and np.all(far > near)
