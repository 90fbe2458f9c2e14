import numpy as np
import pytest
import torch

from timbral.audio import load_note
from timbral.data.features import feature_store
from timbral.data.nsynth import DatasetError
from timbral.spectral import Bounds, SpectralSettings, log_magnitude, stft


def test_store_matches_the_audio_and_is_cached(tiny_dataset, tmp_path):
    store = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    s = SpectralSettings()
    assert store.specs.shape == (15, s.n_bins, s.n_frames) == (15, 513, 251)
    first = store.index[0]["note_str"]
    y = load_note(tiny_dataset / "audio" / f"{first}.wav", trim=False)
    assert np.allclose(store.specs[0].astype(np.float32), log_magnitude(y), atol=0.05)
    assert store.bounds.lo == s.floor_db and store.bounds.hi >= float(store.specs.max())
    mtime = (store.path / "specs.npy").stat().st_mtime_ns
    again = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    assert again.path == store.path and (again.path / "specs.npy").stat().st_mtime_ns == mtime  # read, not rebuilt
    other = feature_store(tiny_dataset, SpectralSettings(n_fft=512, hop_length=128), cache_dir=tmp_path, progress=False)
    assert other.path != store.path and other.specs.shape[1] == 257
    assert not list(tmp_path.glob(".building-*"))


def test_store_serves_scaled_batches_with_labels(tiny_dataset, tmp_path):
    store = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    train, test, valid = (store.positions(s) for s in ("train", "test", "valid"))
    assert len(store.positions()) == 15 and len(train) + len(test) + len(valid) == 15
    rows = np.array(train[:4])[::-1]  # any order: read in file order, returned as asked
    batch = store.load_batch(rows)
    assert batch["spec"].dtype == torch.float32 and batch["spec"].shape == (4, 513, 251)
    assert 0 <= float(batch["spec"].min()) and float(batch["spec"].max()) <= 1
    assert torch.equal(batch["spec"][0], store.bounds.scale(torch.from_numpy(store.read([rows[0]])[0])).clamp(0, 1))
    assert set(batch["pitch"].tolist()) <= {48, 60, 72} and (batch["velocity"] == 100).all()
    assert ((0 <= batch["family"]) & (batch["family"] < 12)).all()


def test_empty_dataset_and_bad_settings(tmp_path):
    (tmp_path / "examples.json").write_text("{}")
    with pytest.raises(DatasetError, match="no notes"):
        feature_store(tmp_path, progress=False)
    with pytest.raises(ValueError, match="hop_length"):
        SpectralSettings(hop_length=512)
    with pytest.raises(ValueError, match="power of two"):
        SpectralSettings(n_fft=1000)
    with pytest.raises(ValueError, match="lo < hi"):
        Bounds(0.0, float("nan"))


def test_stft_follows_librosa():
    import librosa

    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    ours = stft(y).numpy()
    theirs = librosa.stft(y, n_fft=1024, hop_length=256, center=True, pad_mode="constant")
    assert ours.shape == theirs.shape and np.allclose(ours, theirs, atol=1e-3)
    assert stft(np.stack([y, y])).shape == (2, 513, 63)
