"""A model folder: ``config.json`` (every setting, the spectral settings and the dataset-level bounds),
``weights.safetensors`` and ``card.md`` (:mod:`~timbral.card`). Writing puts each file in place atomically;
reading never unpickles, and a folder that cannot be read says which file and why. The model itself is
built from what is read by :func:`timbral.model.load_model`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .atomic import atomic_path, write_json

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.md"
FORMAT_VERSION = 1


class ModelError(ValueError):
    """A model folder that cannot be loaded, with the folder and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")


def default_model_path() -> Path:
    """The model shipped with Timbral: ``models/default`` of a source tree, or inside an installed package."""
    installed = Path(__file__).resolve().parent / "default_model"
    return installed if (installed / CONFIG_FILE).is_file() else Path(__file__).resolve().parent.parent / "models" / "default"


def write_folder(path: str | os.PathLike, config: dict, state: dict[str, torch.Tensor], card: str | None = None) -> Path:
    """Write ``config.json`` (``config`` under ``"model"``) + ``weights.safetensors`` (+ ``card.md``), each atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    with atomic_path(path / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "timbral", "version": str(FORMAT_VERSION)})
    write_json(path / CONFIG_FILE, {"format_version": FORMAT_VERSION, "model": config})
    if card is not None:
        with atomic_path(path / CARD_FILE) as tmp:
            tmp.write_text(card)
    return path


def read_folder(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """The model settings (``config.json``'s ``"model"``) and the weights of the folder ``path``."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_dir():
        raise ModelError(path, "no such model folder")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelError(path, f"missing {name}")
    try:
        raw = json.loads((path / CONFIG_FILE).read_text())
        version = raw.get("format_version") if isinstance(raw, dict) else None
        if version != FORMAT_VERSION:
            raise ModelError(path, f"unsupported format_version {version!r}")
        config = raw["model"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise ModelError(path, f"bad {CONFIG_FILE} ({e})") from None
    try:
        state = load_file(str(path / WEIGHTS_FILE))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(path, f"{WEIGHTS_FILE} is truncated or corrupt ({e})") from None
    return config, state
