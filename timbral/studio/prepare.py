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
import weakref

from .. import progress
from ..data.default import AUDIO_FORMAT, LIBRARY_VELOCITIES, PITCHES_PER_INSTRUMENT, SEED, build_default_dataset, has_voices
from ..data.nsynth import DatasetError, read_examples
from ..data.voices import render_voices
from ..library import Library
from ..paths import default_library_dir
from .store import SoundStore
from .timbre import rehear_for_model

# seconds each step of the first start took on this project's 2-core machine for the library of LIBRARY_NOTES notes
# (benchmarks/first_start.py, on idle cores): the plan behind the page's overall progress and its time left
FIRST_START = {"rendering SoundFont notes": 40.0, "rendering drum kits": 20.0, "rendering synthetic instruments": 100.0,
               "rendering voices": 12.0, "encoding the library": 220.0, "laying out the map": 42.0, "warming up": 7.0}
RENDER_STEPS = ("rendering SoundFont notes", "rendering drum kits", "rendering synthetic instruments", "rendering voices")
LIBRARY_STEPS = ("encoding the library", "laying out the map")
LIBRARY_NOTES = 14723  # the default dataset's 14,483 loud notes and 240 sung


def on_this_machine(seconds_on_2_cores: float, cores: int | None = None) -> float:
    """A duration measured on 2 cores, scaled to this machine's (the work spreads over them)."""
    return seconds_on_2_cores * 2 / max(1, min(cores or os.cpu_count() or 1, 8))


def minutes(seconds_on_2_cores: float, cores: int | None = None) -> str:
    """A measured duration scaled to this machine's cores, for people."""
    return _spoken(on_this_machine(seconds_on_2_cores, cores))


def _spoken(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def overall(plan: dict[str, float], seen: dict[str, tuple[float, int | None]], elapsed: float) -> tuple[float, float | None]:
    """How far the steps of ``plan`` (``{step: planned seconds}``, in order) have come, as a share of the planned
    time, and the seconds left: the planned seconds still to go at the pace kept so far (the plan's own pace
    until a twentieth of it is done). ``seen``: the steps counted so far (:func:`timbral.progress.steps`)."""
    total = sum(plan.values())
    if not total:
        return 1.0, 0.0
    names, done = list(plan), 0.0
    for i, step in enumerate(names):
        if step not in seen:
            continue
        count, of = seen[step]
        finished = any(later in seen for later in names[i + 1 :]) or (bool(of) and count >= of)
        done += plan[step] * (1.0 if finished else min(1.0, count / of) if of else 0.5)
    share = done / total
    pace = elapsed / done if share >= 0.05 else 1.0
    return share, max(0.0, (total - done) * pace)


_WARM = weakref.WeakSet()  # the Timbral objects warmed up in this process (a studio started again on one is warm)


def warm_up(t) -> None:
    """Hear, fit and play one synthetic note: compiles what the first upload would otherwise wait for."""
    import numpy as np

    from ..model import FIT_STEPS

    if t in _WARM:
        return

    seconds = np.arange(t.settings.n_samples) / t.settings.sr
    note = sum(np.sin(2 * np.pi * 220 * k * seconds) / k for k in range(1, 6)) * np.exp(-seconds)
    e = t.encode(note.astype(np.float32), fit=FIT_STEPS)
    t.decode(e, e.pitch)
    _WARM.add(t)


def release_freed_memory() -> None:
    """Give the system back the memory that hearing the library used and freed: glibc's allocator keeps freed
    heap for reuse otherwise, and a server that heard 14,000 notes would hold it for as long as it serves."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator returns memory its own way
        pass


class Preparation:
    """Builds the library of ``timbral`` (and the default dataset, when that is the library and missing),
    then brings ``sounds`` made under another model to this one."""

    def __init__(self, timbral, sounds: SoundStore):
        self.timbral = timbral
        self.sounds = sounds
        self.ready = False
        self.error: str | None = None
        self.began = time.monotonic()
        self.plan: dict[str, float] = {}  # {step: seconds it should take on this machine}

    def run(self) -> None:
        """Build everything now; raises what went wrong (also kept in :attr:`error`)."""
        t = self.timbral
        progress.reset()
        self.began = time.monotonic()
        try:
            lacks_voices = t.has_library and self._lacks_voices()  # read once: the library's notes list is long
            self.plan = self._planned(lacks_voices)
            if not t.has_library:
                if t.library_dir.resolve() != default_library_dir().resolve():
                    raise DatasetError(t.library_dir, "no dataset here to serve as the library")
                self._say(f"first start: rendering the library (the default dataset's loud notes) into {t.library_dir} "
                          f"(about {_spoken(sum(self.plan[step] for step in RENDER_STEPS))} on this machine's "
                          f"{os.cpu_count()} cores)")
                build_default_dataset(t.library_dir, velocities=LIBRARY_VELOCITIES, voices=True)
            elif lacks_voices:
                self._say("adding the singing voices to a library built before them; its notes are then heard again")
                render_voices(t.library_dir, velocities=LIBRARY_VELOCITIES, pitches_per_instrument=PITCHES_PER_INSTRUMENT,
                              seed=SEED, audio_format=AUDIO_FORMAT)
            if Library.cached(t.model, t.library_dir):
                self._say("opening the library (from its cache)")
            else:
                seconds = sum(self.plan.get(step, 0.0) for step in LIBRARY_STEPS)
                self._say(f"opening the library: its notes are heard and laid out on the map once, then read from a cache "
                          f"(about {_spoken(seconds)})")
            t.library
            progress.announce("warming up")
            print("timbral: warming up: pitch detection, fitting and decoding, so the first upload answers as fast as the next",
                  file=sys.stderr, flush=True)
            warm_up(t)
            release_freed_memory()
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

    def _lacks_voices(self) -> bool:
        """Whether the library is the default one, built before it had voices."""
        t = self.timbral
        return t.library_dir.resolve() == default_library_dir().resolve() and not has_voices(read_examples(t.library_dir))

    def _planned(self, lacks_voices: bool) -> dict[str, float]:
        """The steps this start takes and the seconds each should take on this machine (``lacks_voices``: the default
        library was built before the voices, :meth:`_lacks_voices`)."""
        t, plan = self.timbral, {}
        if not t.has_library:
            plan.update({step: FIRST_START[step] for step in RENDER_STEPS})
        if lacks_voices:
            plan["rendering voices"] = FIRST_START["rendering voices"]
        if not t.has_library or lacks_voices or not Library.cached(t.model, t.library_dir):
            notes = len(read_examples(t.library_dir)) if t.has_library else LIBRARY_NOTES
            plan.update({step: FIRST_START[step] * notes / LIBRARY_NOTES for step in LIBRARY_STEPS})
        plan["warming up"] = FIRST_START["warming up"]
        return {step: on_this_machine(seconds) for step, seconds in plan.items()}

    def status(self) -> dict:
        """``{"ready", "error", "step", "done", "total", "seconds", "overall", "left"}`` for the page: the current step,
        the share of the whole start done and the seconds left (:func:`overall`)."""
        elapsed = time.monotonic() - self.began
        share, left = overall(self.plan, progress.steps(), elapsed) if self.plan else (0.0, None)
        return {"ready": self.ready, "error": self.error, **progress.current(), "seconds": round(elapsed, 1),
                "overall": 1.0 if self.ready else round(share, 4), "left": 0.0 if self.ready else left and round(left)}

    def _run_quietly(self) -> None:
        try:
            self.run()
        except Exception:  # kept in self.error and logged; the page shows it
            pass

    @staticmethod
    def _say(line: str) -> None:
        progress.announce(line)
        print(f"timbral: {line}", file=sys.stderr, flush=True)
