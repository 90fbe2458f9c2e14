import numpy as np
import pytest
import torch

from timbral.audio import load_note
from timbral.data.features import SpectrogramDataset, feature_store
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


def test_dataset_serves_scaled_specs_with_labels(tiny_dataset, tmp_path):
    store = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    train, test = SpectrogramDataset(store, "train"), SpectrogramDataset(store, "test")
    assert len(SpectrogramDataset(store)) == 15 and len(train) + len(test) + len(SpectrogramDataset(store, "valid")) == 15
    item = train[0]
    assert item["spec"].dtype == torch.float32 and item["spec"].shape == (513, 251)
    assert 0 <= float(item["spec"].min()) and float(item["spec"].max()) <= 1
    assert item["pitch"] in (48, 60, 72) and item["velocity"] == 100 and 0 <= item["family"] < 12
    batch = next(iter(torch.utils.data.DataLoader(train, batch_size=4)))
    assert batch["spec"].shape == (4, 513, 251) and batch["pitch"].shape == (4,)


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
