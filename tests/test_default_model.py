"""The shipped default model: it loads, it is small, and its card matches it."""

import json
import re
from dataclasses import asdict

import numpy as np
import pytest
import torch
from conftest import write
from oneshots import KINDS

from timbral import Timbral
from timbral.model import load_model
from timbral.model_folder import default_model_path
from timbral.train import TrainConfig


@torch.no_grad()
def test_default_model_loads_and_plays_a_note():
    model = load_model()  # no path: the default, which renders its audio (no phase to rebuild)
    audio = model.rendered(torch.zeros(1, model.config.latent_dim), torch.tensor([60]), torch.tensor([100]))
    assert audio.shape == (1, 4 * 48000) and np.all(np.isfinite(audio)) and np.abs(audio).max() > 1e-3


def card_settings(card: str) -> dict[str, str]:
    """The card's settings table, as written."""
    return dict(re.findall(r"^\| (\w+) \| ([^|]+?) \|$", card, flags=re.M))


def test_default_model_is_small_and_its_card_matches_it():
    path = default_model_path()
    size = sum(f.stat().st_size for f in path.iterdir())
    assert size <= 25 * 2**20
    config = json.loads((path / "config.json").read_text())["model"]
    card = (path / "card.md").read_text()
    settings = card_settings(card)
    for key in ("latent_dim", "channels", "pitch_conditioning", "harmonic_template", "harmonic_noise", "level_normalise", "level_ramp",
                "encoder_range_db", "encoder_pitch"):
        assert settings.get(key) == str(config[key]), key
    assert "## Evaluation" in card and "spectral convergence" in card and "min on cpu" in card


def test_default_model_was_trained_with_todays_default_settings():
    """`timbral train data/default`, no flags, must reproduce the shipped model: retrain it when a default changes."""
    settings = card_settings((default_model_path() / "card.md").read_text())
    for key, value in asdict(TrainConfig()).items():
        assert settings.get(key) == str(value), f"card's {key} is {settings.get(key)}, today's default {value}"


@pytest.mark.slow
def test_default_model_hears_a_quiet_16_bit_take_as_the_loud_one(tmp_path):
    """The twelve one-shots as 16-bit files at -1 and -30 dBFS land together: the rounding of the quiet
    one lies under the encoder's 55 dB window (the 75 dB model moved them by 0.27 of their length)."""
    t = Timbral.load()
    changes = []
    for kind, (make, _) in KINDS.items():
        y = make()
        y = y / np.max(np.abs(y))
        loud, quiet = (t.encode(write(tmp_path / f"{kind}_{name}.wav", y * 10 ** (db / 20), subtype="PCM_16")).latent
                       for name, db in (("loud", -1), ("quiet", -30)))
        changes.append(np.linalg.norm(loud - quiet) / np.linalg.norm(loud))
    assert np.median(changes) <= 0.05, sorted(np.round(changes, 3))


def test_default_model_live_plays_in_tune_at_the_hosts_rate(tmp_path):
    """The nn~ file of the default model: A4 at 44.1 kHz sounds at 440 Hz, as long as the model's 4 s note."""
    from timbral.exports.nn import export_live

    model = load_model()
    live = torch.jit.load(str(export_live(model, tmp_path / "default.ts", torch.zeros(1, model.config.latent_dim))))
    live.set_sample_rate(44100)
    x = torch.zeros(1, 3 + model.config.latent_dim, 5 * 44100)
    x[:, 0], x[:, 1], x[:, 2] = 69.0, 100.0, 1.0
    with torch.inference_mode():
        y = torch.cat([live.decode(x[..., i : i + 4096]) for i in range(0, x.shape[-1], 4096)], -1)[0, 0].numpy()
    assert np.abs(y[: 4 * 44100]).max() > 1e-3 and not y[4 * 44100 :].any()
    steady = y[44100 // 4 : 44100 * 7 // 4] * np.hanning(44100 * 3 // 2)
    spectrum, hz = np.abs(np.fft.rfft(steady, 8 * len(steady))), np.fft.rfftfreq(8 * len(steady), 1 / 44100)
    near = (hz > 300) & (hz < 600)
    assert abs(1200 * np.log2(hz[near][np.argmax(spectrum[near])] / 440.0)) < 5
