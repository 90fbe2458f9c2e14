"""A model folder: ``config.json`` (every setting, the spectral settings and the dataset-level bounds),
``weights.safetensors`` and ``card.md`` (:mod:`~timbral.card`). Saving writes each file atomically; loading never
unpickles, and a folder that cannot be loaded says which file and why.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from .atomic import atomic_path, write_json
from .model import ModelConfig, TimbreVAE

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.md"
FORMAT_VERSION = 1


class ModelError(ValueError):
    """A model folder that cannot be loaded, with the folder and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")


def save_model(model: TimbreVAE, path: str | os.PathLike, card: str | None = None) -> Path:
    """Write ``config.json`` + ``weights.safetensors`` (+ ``card.md``), each file atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "timbral", "version": str(FORMAT_VERSION)})
    write_json(path / CONFIG_FILE, {"format_version": FORMAT_VERSION, "model": asdict(model.config)})
    if card is not None:
        with atomic_path(path / CARD_FILE) as tmp:
            tmp.write_text(card)
    return path


def model_fingerprint(model: TimbreVAE) -> str:
    """16 hex digits that change whenever the weights or the way a note is heard do: which model a stored
    latent belongs to."""
    digest = hashlib.sha1(repr(model.config.encode_shifts).encode())
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def default_model_path() -> Path:
    """The model shipped with Timbral: ``models/default`` of a source tree, or inside an installed package."""
    installed = Path(__file__).resolve().parent / "default_model"
    return installed if (installed / CONFIG_FILE).is_file() else Path(__file__).resolve().parent.parent / "models" / "default"


def load_model(path: str | os.PathLike | None = None) -> TimbreVAE:
    """Load a model folder (the default model when ``path`` is ``None``), in eval mode on the CPU."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path) if path is not None else default_model_path()
    if not path.is_dir():
        raise ModelError(path, "no such model folder")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelError(path, f"missing {name}")
    try:
        raw = json.loads((path / CONFIG_FILE).read_text())
        if raw.get("format_version") != FORMAT_VERSION:
            raise ModelError(path, f"unsupported format_version {raw.get('format_version')!r}")
        config = ModelConfig.from_dict(raw["model"])
        model = TimbreVAE(config)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
        if isinstance(e, ModelError):
            raise
        raise ModelError(path, f"bad {CONFIG_FILE} ({e})") from None
    try:
        state = load_file(str(path / WEIGHTS_FILE))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(path, f"{WEIGHTS_FILE} is truncated or corrupt ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ModelError(path, f"weights do not match {CONFIG_FILE} ({str(e).splitlines()[0]})") from None
    return model.eval()
