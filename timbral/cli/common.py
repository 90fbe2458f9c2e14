"""What every verb shares: the parser helper and the errors that are the user's to fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..audio import AudioError
from ..data.nsynth import DatasetError

USER_ERRORS = (AudioError, DatasetError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError,
               PermissionError, FloatingPointError)


def verb(sub, name: str, summary: str, example: str, run: Callable | None) -> argparse.ArgumentParser:
    """A sub-command with its one-line summary and an example in ``--help``."""
    p = sub.add_parser(name, help=summary, description=summary, epilog=f"example:\n  {example}",
                       formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    p.set_defaults(run=run)
    return p
