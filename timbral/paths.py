"""Where Timbral keeps what it builds: the default dataset, the studio's library and your studio files.

>>> default_data_dir().relative_to(timbral_home()), default_library_dir().relative_to(timbral_home())
(PosixPath('data/default'), PosixPath('data/library'))
"""

from __future__ import annotations

import os
from pathlib import Path


def timbral_home() -> Path:
    """Where Timbral keeps what it builds (the default dataset, the studio's sounds).

    ``$TIMBRAL_HOME`` if set; else the source tree Timbral runs from; else, for an installed
    wheel, ``$XDG_DATA_HOME/timbral`` (``~/.local/share/timbral``).
    """
    if os.environ.get("TIMBRAL_HOME"):
        return Path(os.environ["TIMBRAL_HOME"])
    tree = Path(__file__).resolve().parents[1]
    if (tree / "pyproject.toml").is_file():
        return tree
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "timbral"


def default_data_dir() -> Path:
    """Where the default dataset is built for training: ``data/default`` under :func:`timbral_home`."""
    return timbral_home() / "data" / "default"


def default_library_dir() -> Path:
    """Where the studio's library is built on its first start: ``data/library`` under :func:`timbral_home`, the
    default dataset's loud notes (:data:`~timbral.data.default.LIBRARY_VELOCITIES`)."""
    return timbral_home() / "data" / "library"
