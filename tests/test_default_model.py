"""The shipped default model: it loads, it is small, and its card matches it."""

import json
import re
from dataclasses import asdict

import numpy as np
import torch

from timbral.model import default_model_path, load_model
from timbral.phase import reconstruct
from timbral.spectral import db_to_magnitude
from timbral.train import TrainConfig


@torch.no_grad()
def test_default_model_loads_and_decodes_a_note():
    model = load_model()  # no path: the default
    z = torch.zeros(1, model.config.latent_dim)
    x = model.decoder(z, torch.tensor([60]), torch.tensor([100]))
    audio = reconstruct(db_to_magnitude(model.config.scale.unscale(x)).numpy(), model.config.spectral_settings)
    assert audio.shape == (1, 64000) and np.all(np.isfinite(audio)) and np.abs(audio).max() > 1e-3


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
    for key in ("latent_dim", "channels", "pitch_conditioning", "harmonic_template", "level_normalise", "level_ramp", "encoder_pitch"):
        assert settings.get(key) == str(config[key]), key
    assert "## Evaluation" in card and "spectral convergence" in card and "min on cpu" in card


def test_default_model_was_trained_with_todays_default_settings():
    """`timbral train data/default`, no flags, must reproduce the shipped model: retrain it when a default changes."""
    settings = card_settings((default_model_path() / "card.md").read_text())
    for key, value in asdict(TrainConfig()).items():
        assert settings.get(key) == str(value), f"card's {key} is {settings.get(key)}, today's default {value}"
