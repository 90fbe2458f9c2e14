"""Harmonic-plus-noise synthesis straight to audio (``synthesis="audio"``, issue 42's design (b)): it renders what it
says (a harmonic is a cosine of the note's pitch, continuous from crop to crop; nothing above Nyquist; a noise band is
noise of its own level), its loss sees a difference, and a model of it is heard, played, trained and exported as any
Timbral model is."""

import csv

import numpy as np
import pytest
import torch

from timbral.cli import main
from timbral.exports.nn import export_live
from timbral.latent import Timbral
from timbral.losses import audio_distance
from timbral.model import ModelConfig, TimbreVAE, load_model
from timbral.settings import SpectralSettings
from timbral.spectral import heard_db, log_magnitude
from timbral.synthesis import HARMONICS, NOISE_BANDS, noise_bands, render
from timbral.train import TrainConfig

S = SpectralSettings()
BANDS = noise_bands(S.sr, S.n_fft)
TINY = dict(latent_dim=8, channels=32, level_normalise=True, encoder_pitch=True, synthesis="audio", bounds={"lo": -80.0, "hi": 40.0})


def played(params: torch.Tensor, pitch: float, first: int, count: int) -> np.ndarray:
    phases = torch.rand(1, S.n_bins, count + 1, generator=torch.Generator().manual_seed(0)) * (2 * np.pi)
    return render(params, torch.tensor([pitch]), BANDS, phases, S.sr, S.hop_length, first, count)[0].numpy()


def one_harmonic(k: int, level: float = 0.3) -> torch.Tensor:
    params = torch.zeros(1, 1 + HARMONICS + NOISE_BANDS, S.n_frames)
    params[:, 0], params[:, k] = level, 1.0
    return params


@pytest.mark.parametrize("first", [0, 7])
def test_a_harmonic_is_a_cosine_at_its_multiple_of_the_pitch_wherever_the_crop_starts(first):
    pitch = 61.3
    rendered = played(one_harmonic(2), pitch, first, 40)
    f = 2 * 440.0 * 2 ** ((pitch - 69) / 12)
    t = (np.arange(40 * S.hop_length) + first * S.hop_length) / S.sr
    assert np.abs(rendered - 0.3 * np.cos(2 * np.pi * f * t)).max() < 0.3 * 10 ** (-55 / 20)  # the lobes are cut at 4 bins


def test_harmonics_above_nyquist_are_silent():
    # 2637 Hz: its 10th harmonic lies above 24 kHz
    assert np.abs(played(one_harmonic(10), 100.0, 0, 20)).max() < 1e-6 < 0.1 < np.abs(played(one_harmonic(9), 100.0, 0, 20)).max()


def test_a_noise_band_is_noise_of_its_own_level():
    """A band's value is its noise's standard deviation (the noise was once 23 times too loud for its value, and
    training shut it off)."""
    params = torch.zeros(1, 1 + HARMONICS + NOISE_BANDS, S.n_frames)
    params[:, 1 + HARMONICS :] = 0.1
    noise = played(params, 60.0, 0, 200)[4 * S.hop_length : -4 * S.hop_length]
    assert 0.09 < noise.std() < 0.11


def test_the_audio_distance_is_zero_for_the_same_audio_grows_with_a_difference_and_takes_silence():
    y = torch.randn(2, 24000) * 0.1
    assert float(audio_distance(y, y)) < 1e-4 < 0.5 < float(audio_distance(0.5 * y, y))
    y[1] = 0.0  # a crop after a short note has ended
    assert np.isfinite(float(audio_distance(0.5 * y, y))) and float(audio_distance(0.5 * y, y)) < 100


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return TimbreVAE(ModelConfig(**TINY)).eval()


def test_its_spectrogram_is_its_audios_and_the_same_every_time(model):
    z, pitch, velocity = torch.randn(2, 8), torch.tensor([60.0, 41.5]), torch.tensor([100, 40])
    with torch.no_grad():
        audio = model.decoder.audio(z, pitch, velocity, 0, S.n_frames - 1)
        full, heard = model.decode(z, pitch, velocity), model.decode(z, pitch, velocity, heard=True)
        again = model.decode(z, pitch, velocity)
    assert audio.shape == (2, S.n_samples) and full.shape == (2, S.n_bins, S.n_frames) and heard.shape[1] == S.heard_rows
    scale = model.config.scale
    assert torch.allclose(full, scale.scale(torch.from_numpy(log_magnitude(audio.numpy(), S))).clamp(0, 1), atol=1e-5)
    assert torch.allclose(heard, scale.scale(heard_db(audio.numpy(), S)).clamp(0, 1), atol=1e-5)
    assert torch.equal(full, again)  # the noise's phases are fixed when it plays
    scripted = torch.jit.script(model.decoder)
    with torch.no_grad():
        assert torch.allclose(scripted(z, pitch, velocity), full, atol=1e-6)


def test_its_noise_starts_near_silence(model):
    with torch.no_grad():
        out = model.decoder.out(model.decoder.trunk(torch.zeros(1, 8), torch.tensor([60.0]), torch.tensor([100])))
    assert float(torch.sigmoid(out[:, 1 + HARMONICS :]).max()) < 0.01


def test_a_model_says_which_syntheses_there_are():
    with pytest.raises(ValueError, match="synthesis must be one of spectrogram, audio"):
        ModelConfig(synthesis="wavetable")
    with pytest.raises(ValueError, match="synthesis must be one of"):
        TrainConfig.from_dict({"synthesis": 3})
    with pytest.raises(ValueError, match="leave them off"):
        TrainConfig.from_dict({"synthesis": "audio", "pitch_shift": 1.0})


def test_a_recording_heard_by_it_plays_as_itself_and_its_sound_as_the_model_renders_it(model, tiny_dataset):
    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path, read_examples

    name, meta = sorted(read_examples(tiny_dataset).items())[0]
    note = load_note(audio_path(tiny_dataset, name), sr=S.sr, trim=False)
    t = Timbral(model)
    e = t.hear(note, int(meta["pitch"]), int(meta["velocity"]))
    recorded, alone = t.decode(e, e.pitch, recorded=True), t.decode(e, e.pitch, recorded=False)
    own = log_magnitude(note, S)
    loud = own > own.max() - 40
    assert np.abs(log_magnitude(recorded * (np.abs(note).max() / np.abs(recorded).max()), S)[loud] - own[loud]).mean() < 3.0
    own = model.rendered(torch.from_numpy(e.latent[None]), torch.tensor([e.pitch]), torch.tensor([100]))[0]
    assert np.allclose(alone, own / np.abs(own).max() * np.abs(alone).max(), atol=1e-5)  # its own audio: no phase rebuilt


def test_timbral_train_trains_it_on_the_notes_audio(tiny_dataset, tmp_path, capsys):
    run = tmp_path / "audio"
    assert main(["train", str(tiny_dataset), "--out", str(run), "--synthesis", "audio", "--encoder-steps", "0", "--steps", "10",
                 "--latent-dim", "8", "--channels", "32", "--batch-size", "4", "--log-every", "5", "--valid-every", "10"]) == 0
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert all(np.isfinite(float(r["audio"])) and float(r["audio"]) > 0 for r in rows) and rows[-1]["valid_sc"] != ""
    model = load_model(run / "model")
    assert model.config.synthesis == "audio" and "| synthesis | audio |" in (run / "model" / "card.md").read_text()
    with pytest.raises(SystemExit) as refused:
        main(["train", str(tiny_dataset), "--out", str(tmp_path / "x"), "--synthesis", "wavetable"])
    assert refused.value.code == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "y"), "--synthesis", "audio", "--colour", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'wavetable'" in err and "leave them off with synthesis 'audio'" in err


def test_its_live_instrument_plays_in_tune(tmp_path):
    """A model that plays its first harmonic alone, exported for nn~, plays middle C within 5 cents."""
    from test_live import heard_hz, perform, signals

    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    with torch.no_grad():
        model.decoder.out.weight.zero_()
        model.decoder.out.bias.fill_(-30.0)
        model.decoder.out.bias[:2] = torch.tensor([-2.0, 0.0])  # a level of 0.015, all of it the first harmonic
    live = torch.jit.load(str(export_live(model, tmp_path / "m.ts", torch.zeros(1, 8), iterations=2)))
    y = perform(live, signals(int(4.5 * S.sr), gate=[(0, 3 * S.sr)]), 2048)[0]
    assert abs(1200 * np.log2(heard_hz(y, S.sr) / (440.0 * 2 ** (-9 / 12)))) < 5
