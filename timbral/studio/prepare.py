"""What the studio builds on its first start, with progress for the terminal and the page.

The default dataset is rendered if it is missing, then the library is opened: its spectrograms,
latents and map are computed once and cached. Your sounds made under another model are heard
again with this one (:func:`.timbre.rehear_for_model`). ``timbral studio`` does this in the background
while the page already shows the progress (``GET /api/status``); tests do it before serving.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from .. import progress
from ..data.default import build_default_dataset, default_data_dir
from ..data.nsynth import DatasetError, read_examples
from ..library import Library
from .store import SoundStore
from .timbre import rehear_for_model

# seconds the first start took on this project's 2-core machine for the default dataset of DEFAULT_NOTES notes:
# rendering it, and hearing (three times each) and laying out its notes (benchmarks/first_start.py, 2026-12-06,
# on idle cores)
FIRST_START = {"render": 102.0, "library": 346.0}
DEFAULT_NOTES = 28779


def minutes(seconds_on_2_cores: float, cores: int | None = None) -> str:
    """A measured duration scaled to this machine's cores (the work spreads over them), for people."""
    seconds = seconds_on_2_cores * 2 / max(1, min(cores or os.cpu_count() or 1, 8))
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def warm_up(t) -> None:
    """Hear, fit and play one synthetic note: compiles what the first upload would otherwise wait for."""
    import numpy as np

    from ..model import FIT_STEPS

    seconds = np.arange(t.settings.n_samples) / t.settings.sr
    note = sum(np.sin(2 * np.pi * 220 * k * seconds) / k for k in range(1, 6)) * np.exp(-seconds)
    e = t.encode(note.astype(np.float32), fit=FIT_STEPS)
    t.decode(e, e.pitch)


class Preparation:
    """Builds the library of ``timbral`` (and the default dataset, when that is the library and missing),
    then brings ``sounds`` made under another model to this one."""

    def __init__(self, timbral, sounds: SoundStore):
        self.timbral = timbral
        self.sounds = sounds
        self.ready = False
        self.error: str | None = None
        self.began = time.monotonic()

    def run(self) -> None:
        """Build everything now; raises what went wrong (also kept in :attr:`error`)."""
        t = self.timbral
        try:
            if not t.has_library:
                if t.library_dir.resolve() != default_data_dir().resolve():
                    raise DatasetError(t.library_dir, "no dataset here to serve as the library")
                self._say(f"first start: rendering the default dataset into {t.library_dir} "
                          f"(about {minutes(FIRST_START['render'])} on this machine's {os.cpu_count()} cores)")
                build_default_dataset(t.library_dir)
            if Library.cached(t.model, t.library_dir):
                self._say("opening the library (from its cache)")
            else:
                self._say(f"opening the library: its notes are heard and laid out on the map once, then read from a cache "
                          f"(about {minutes(FIRST_START['library'] * len(read_examples(t.library_dir)) / DEFAULT_NOTES)})")
            t.library
            self._say("warming up: pitch detection, fitting and decoding, so the first upload answers as fast as the next")
            warm_up(t)
            heard, unreadable = rehear_for_model(t, self.sounds)
            if heard:
                self._say(f"{heard} of your sounds, made with another model, {'was' if heard == 1 else 'were'} heard again "
                          "with this one")
            if unreadable:
                self._say(f"the audio of {len(unreadable)} of your sounds could not be read, so they keep the timbre "
                          f"of the model they were made with: {', '.join(unreadable[:5])}")
            self.ready = True
            self._say(f"the studio is ready ({len(t.library)} library sounds, {time.monotonic() - self.began:.0f} s)")
        except Exception as e:
            self.error = str(e)
            logging.getLogger("timbral.studio").error("the studio could not prepare its library: %s", e)
            raise

    def start(self) -> threading.Thread:
        """:meth:`run` in a background thread."""
        thread = threading.Thread(target=self._run_quietly, name="timbral-prepare", daemon=True)
        thread.start()
        return thread

    def status(self) -> dict:
        """``{"ready", "error", "step", "done", "total", "seconds"}`` for the page."""
        return {"ready": self.ready, "error": self.error, **progress.current(),
                "seconds": round(time.monotonic() - self.began, 1)}

    def _run_quietly(self) -> None:
        try:
            self.run()
        except Exception:  # kept in self.error and logged; the page shows it
            pass

    @staticmethod
    def _say(line: str) -> None:
        progress.announce(line)
        print(f"timbral: {line}", file=sys.stderr, flush=True)
