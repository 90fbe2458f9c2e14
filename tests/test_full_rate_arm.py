"""benchmarks/full_rate_arm.py, issue 42's design (b): its synthesis renders what it says (a harmonic is a cosine of
the note's pitch, continuous from crop to crop; nothing above Nyquist; a noise band is noise of its own level), its
loss sees a difference, and the script refuses settings it cannot run. (Its training and the figures are measured
in docs/benchmarks.md.)"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from full_rate_arm import HARMONICS, NOISE_BANDS, FullRateVAE, multires_distance  # noqa: E402

from timbral.settings import SpectralSettings  # noqa: E402


@pytest.fixture(scope="module")
def model():
    s = SpectralSettings()
    return FullRateVAE(s.sr, s.hop_length, s.n_frames)


def _one_harmonic(model, k: int, level: float = 0.3) -> torch.Tensor:
    params = torch.zeros(1, 1 + HARMONICS + NOISE_BANDS, model.frames)
    params[:, 0], params[:, k] = level, 1.0
    return params


@pytest.mark.parametrize("first", [0, 7])
def test_a_harmonic_is_a_cosine_at_its_multiple_of_the_pitch_wherever_the_crop_starts(model, first):
    pitch = 61.3
    rendered = model.render(_one_harmonic(model, 2), torch.tensor([pitch]), first, 40)[0].numpy()
    f = 2 * 440.0 * 2 ** ((pitch - 69) / 12)
    t = (np.arange(40 * model.hop) + first * model.hop) / model.sr
    expected = 0.3 * np.cos(2 * np.pi * f * t)
    assert np.abs(rendered - expected).max() < 0.3 * 10 ** (-55 / 20)  # the window lobes are cut at 4 bins


def test_harmonics_above_nyquist_are_silent(model):
    pitch = torch.tensor([100.0])  # 2637 Hz: its 10th harmonic lies above 24 kHz
    assert float(model.render(_one_harmonic(model, 10), pitch, 0, 20).abs().max()) < 1e-6
    assert float(model.render(_one_harmonic(model, 9), pitch, 0, 20).abs().max()) > 0.1


def test_the_loss_is_zero_for_the_same_audio_and_grows_with_a_difference():
    y = torch.randn(2, 24000) * 0.1
    assert float(multires_distance(y, y)) < 1e-4
    assert float(multires_distance(0.5 * y, y)) > 0.5


@pytest.mark.parametrize("flag", ["--minutes=0", "--instruments=0", "--batch=-1"])
def test_it_refuses_settings_it_cannot_run(flag):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "full_rate_arm.py"), flag, "--data", "/nonexistent"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "must be positive" in done.stderr


def test_a_noise_band_is_noise_of_its_own_level_and_the_noise_starts_near_silence(model):
    """Each band's value is its noise's standard deviation (the noise was once 23 times too loud for its value, and
    training shut it off); an untrained model's noise starts 90 dB down, as DDSP's does."""
    params = torch.zeros(1, 1 + HARMONICS + NOISE_BANDS, model.frames)
    params[:, 1 + HARMONICS :] = 0.1
    noise = model.render(params, torch.tensor([60.0]), 0, 200)[0].numpy()[4 * model.hop : -4 * model.hop]
    assert 0.09 < noise.std() < 0.11
    with torch.no_grad():
        untrained = model.parameters_of(torch.zeros(1, 32), torch.tensor([60.0]), torch.tensor([100]))
    assert float(untrained[:, 1 + HARMONICS :].max()) < 1e-3 < float(untrained[:, 0].min())
