"""Shared fixtures: real SoundFonts, real rendered notes, real audio files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from timbral.data.render import render_soundfonts
from timbral.settings import SAMPLE_RATE

TIMGM = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
FREEPATS = Path("/etc/timidity/freepats.cfg")  # Debian freepats: GUS patches, rendered through TiMidity++
SR = SAMPLE_RATE  # test notes are written at Timbral's rate (48 kHz) unless a test says otherwise


def tone(freq: float = 440.0, seconds: float = 2.0, sr: int = SR, amp: float = 0.5, harmonics: int = 5) -> np.ndarray:
    """A decaying harmonic tone: something with a clear pitch and a timbre."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    return (amp * y / np.max(np.abs(y)) * np.exp(-t)).astype(np.float32)


def write(path: Path, y: np.ndarray, sr: int = SR, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, **kw)
    return path


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """15 real notes: 5 TimGM6mb instruments of 5 families x 3 pitches; 3 train, 1 valid, 1 test."""
    from timbral.data.nsynth import read_examples
    from timbral.data.split import write_split

    out = tmp_path_factory.mktemp("tiny")
    render_soundfonts([TIMGM], out, programs="0,24,40,56,73", pitches="48,60,72", velocities="100", workers=2, progress=False)
    instruments = sorted({m["instrument_str"] for m in read_examples(out).values()})
    write_split(out, {"by": "instrument", "seed": None, "train": instruments[2:], "valid": instruments[1:2], "test": instruments[:1]})
    return out


@pytest.fixture(autouse=True)
def _quiet_progress(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    yield


def pytest_configure(config):
    os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A small untrained model saved as a model folder (mechanics, not quality)."""
    import torch

    from timbral.model import ModelConfig, TimbreVAE, save_model

    torch.manual_seed(0)
    config = ModelConfig(latent_dim=8, channels=32, level_normalise=True, encoder_pitch=True)
    return save_model(TimbreVAE(config), tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(scope="session")
def tiny_library(tiny_dataset, tmp_path_factory) -> Path:
    """A copy of the tiny dataset to serve as a library (its latent and map cache is written inside)."""
    import shutil

    out = tmp_path_factory.mktemp("library") / "data"
    shutil.copytree(tiny_dataset, out, ignore=shutil.ignore_patterns("features", "library"))
    return out


@pytest.fixture(scope="module")
def t(tiny_model, tiny_library):
    """The tiny model with the tiny library, as the Python API opens them."""
    from timbral import Timbral

    return Timbral.load(tiny_model, library=tiny_library)


@pytest.fixture
def run(tiny_model, tiny_library, capsys):
    """``timbral VERB ...`` on the tiny model and library: (exit code, stdout, stderr)."""
    from timbral.cli import main

    def go(*argv):
        code = main([*map(str, argv), "--model", str(tiny_model), "--library", str(tiny_library)])
        out = capsys.readouterr()
        return code, out.out, out.err

    return go
