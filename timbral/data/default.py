"""The default dataset: two General MIDI SoundFonts rendered on one grid, split by instrument.

FluidR3_GM.sf2 comes from Debian's ``fluid-soundfont-gm``; TimGM6mb.sf2 ships inside the
PyPI package ``pretty_midi``. 115 melodic programs x 2 SoundFonts x 25 pitches x 2 velocities
gives about 11,300 notes once silent renders are dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

from .families import MELODIC_PROGRAMS
from .nsynth import read_examples
from .render import RenderReport, render_soundfonts
from .split import make_split, write_split

FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
PITCHES = "24:96:3"
VELOCITIES = "50,100"
SEED = 0


def timbral_home() -> Path:
    """Where Timbral keeps what it builds (the default dataset, the studio's sounds).

    ``$TIMBRAL_HOME`` if set; else the source tree Timbral runs from; else, for an installed
    wheel, ``$XDG_DATA_HOME/timbral`` (``~/.local/share/timbral``).
    """
    if os.environ.get("TIMBRAL_HOME"):
        return Path(os.environ["TIMBRAL_HOME"])
    tree = Path(__file__).resolve().parents[2]
    if (tree / "pyproject.toml").is_file():
        return tree
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "timbral"


def default_data_dir() -> Path:
    """Where the default dataset is built: ``data/default`` under :func:`timbral_home`."""
    return timbral_home() / "data" / "default"


def default_soundfonts() -> list[Path]:
    """Paths of the two default SoundFonts; a clear error names the package that is missing."""
    import pretty_midi

    tim = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    missing = []
    if not FLUID_R3.is_file():
        missing.append(f"{FLUID_R3} (install Debian's fluid-soundfont-gm; scripts/setup does it)")
    if not tim.is_file():
        missing.append(f"{tim} (reinstall the PyPI package pretty_midi)")
    if missing:
        raise FileNotFoundError("default SoundFonts missing: " + "; ".join(missing))
    return [FLUID_R3, tim]


def build_default_dataset(out: str | os.PathLike, *, workers: int | None = None, progress: bool = True) -> RenderReport:
    """Render the default dataset into ``out`` and write its seeded split by instrument."""
    report = render_soundfonts(
        default_soundfonts(), out, programs=MELODIC_PROGRAMS, pitches=PITCHES,
        velocities=VELOCITIES, workers=workers, progress=progress,
    )
    write_split(out, make_split(read_examples(out), seed=SEED))
    return report
