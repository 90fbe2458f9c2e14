"""benchmarks/full_rate_arm.py, issue 42's design (b) as a benchmark arm: its noise starts near silence and the
script refuses settings it cannot run. (Its synthesis and loss are Timbral's own: tests/test_synthesis.py; its
training and figures are measured in docs/benchmarks.md.)"""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from full_rate_arm import FullRateVAE  # noqa: E402

from timbral.settings import SpectralSettings  # noqa: E402
from timbral.synthesis import HARMONICS  # noqa: E402


@pytest.fixture(scope="module")
def model():
    s = SpectralSettings()
    return FullRateVAE(s.sr, s.hop_length, s.n_frames)


@pytest.mark.parametrize("flag", ["--minutes=0", "--instruments=0", "--batch=-1"])
def test_it_refuses_settings_it_cannot_run(flag):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "full_rate_arm.py"), flag, "--data", "/nonexistent"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "must be positive" in done.stderr


def test_its_noise_starts_near_silence(model):
    """An untrained model's noise starts 90 dB down, as DDSP's does (its synthesis: tests/test_synthesis.py)."""
    with torch.no_grad():
        untrained = model.parameters_of(torch.zeros(1, 32), torch.tensor([60.0]), torch.tensor([100]))
    assert float(untrained[:, 1 + HARMONICS :].max()) < 1e-3 < float(untrained[:, 0].min())
