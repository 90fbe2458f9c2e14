import numpy as np
import pytest
import torch

from timbral.audio import load_note
from timbral.data.features import feature_store
from timbral.data.nsynth import DatasetError
from timbral.spectral import Bounds, SpectralSettings, heard_db, heard_of, log_magnitude


def test_store_matches_the_audio_and_is_cached(tiny_dataset, tmp_path):
    store = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    s = SpectralSettings()
    assert store.specs.shape == (15, s.heard_rows, s.n_frames) == (15, 529, 251)  # 513 bins to 8 kHz, 16 bands above
    first = store.index[0]["note_str"]
    y = load_note(tiny_dataset / "audio" / f"{first}.wav", trim=False)
    stored = store.specs[0].astype(np.float32)
    assert np.allclose(stored, heard_db(y, s).numpy(), atol=0.05)  # float16 keeps dB to a few hundredths
    from_bins = heard_of(log_magnitude(y), s)  # the same bands from floored bins: equal wherever the note is heard
    audible = from_bins > s.floor_db + 20
    assert audible[s.core_bins :].sum() > 1000 and np.allclose(stored[audible], from_bins[audible], atol=0.05)
    assert store.bounds.lo == s.floor_db and store.bounds.hi >= float(store.specs.max())
    mtime = (store.path / "specs.npy").stat().st_mtime_ns
    again = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    assert again.path == store.path and (again.path / "specs.npy").stat().st_mtime_ns == mtime  # read, not rebuilt
    other = feature_store(tiny_dataset, SpectralSettings(n_fft=512, hop_length=128), cache_dir=tmp_path, progress=False)
    assert other.path != store.path and other.specs.shape[1] == SpectralSettings(n_fft=512, hop_length=128).heard_rows
    assert not list(tmp_path.glob(".building-*"))


def test_store_serves_scaled_batches_with_labels(tiny_dataset, tmp_path):
    store = feature_store(tiny_dataset, cache_dir=tmp_path, progress=False)
    train, test, valid = (store.positions(s) for s in ("train", "test", "valid"))
    assert len(store.positions()) == 15 and len(train) + len(test) + len(valid) == 15
    rows = np.array(train[:4])[::-1]  # any order: read in file order, returned as asked
    batch = store.load_batch(rows)
    assert batch["spec"].dtype == torch.float32 and batch["spec"].shape == (4, 529, 251)
    assert 0 <= float(batch["spec"].min()) and float(batch["spec"].max()) <= 1
    assert torch.equal(batch["spec"][0], store.bounds.scale(torch.from_numpy(store.read([rows[0]])[0])).clamp(0, 1))
    assert set(batch["pitch"].tolist()) <= {48, 60, 72} and (batch["velocity"] == 100).all()
    assert ((0 <= batch["family"]) & (batch["family"] < 13)).all()


def test_empty_dataset_and_bad_settings(tmp_path):
    (tmp_path / "examples.json").write_text("{}")
    with pytest.raises(DatasetError, match="no notes"):
        feature_store(tmp_path, progress=False)
    with pytest.raises(ValueError, match="hop_length"):
        SpectralSettings(hop_length=1024)
    with pytest.raises(ValueError, match="multiple of 4"):
        SpectralSettings(n_fft=1002)
    with pytest.raises(ValueError, match="core_hz"):
        SpectralSettings(core_hz=30000)
    with pytest.raises(ValueError, match="lo < hi"):
        Bounds(0.0, float("nan"))
