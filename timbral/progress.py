"""Progress of long work, shown in the terminal and told to whoever asks.

Every long step (rendering, spectrograms, encoding the library, laying out the map) counts
through a :class:`Bar`: a tqdm bar in the terminal that also publishes its step, count and
total, so that the studio can show the same progress in the page (:func:`current`).

>>> for chunk in Bar(range(3), desc="encoding library", unit="chunk", disable=True):
...     pass
>>> current()["step"], current()["done"], current()["total"]
('encoding library', 3, 3)
"""

from __future__ import annotations

import sys
import threading
import time

from tqdm import tqdm

LOG_EVERY_S = 10.0

_lock = threading.Lock()
_state: dict = {"step": None, "done": 0, "total": None}
_steps: dict[str, tuple[float, int | None]] = {}  # every step counted since the last reset: (done, total), in order


def current() -> dict:
    """The step counted last: ``{"step", "done", "total"}`` (``total`` may be ``None``)."""
    with _lock:
        return dict(_state)


def steps() -> dict[str, tuple[float, int | None]]:
    """Every step counted since :func:`reset`, in the order they began: ``{step: (done, total)}``."""
    with _lock:
        return dict(_steps)


def reset() -> None:
    """Forget the steps counted so far (a new piece of long work begins)."""
    with _lock:
        _steps.clear()


def announce(step: str, total: int | None = None) -> None:
    """Say that ``step`` has begun (for a step that counts nothing, or before its bar exists)."""
    with _lock:
        _state.update(step=step, done=0, total=total)
        _steps[step] = (0, total)


class Bar(tqdm):
    """A tqdm bar whose progress is also published (counted even where the terminal bar is off).

    With ``disable=None`` (tqdm's "only on a terminal") and no terminal, as in a log file, it
    writes a plain line every :data:`LOG_EVERY_S` seconds instead, so no long step is silent.
    """

    def __init__(self, iterable=None, *args, **kwargs):
        super().__init__(iterable, *args, **kwargs)
        self._step = kwargs.get("desc") or "working"
        self._done = int(kwargs.get("initial") or 0)
        total = kwargs.get("total")
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self._total = total
        self._lines = "disable" in kwargs and kwargs["disable"] is None and not sys.stderr.isatty()
        self._logged = time.monotonic()
        announce(self._step, total)

    def update(self, n: float = 1):
        self._advance(n)
        return super().update(n)

    def __iter__(self):
        for item in super().__iter__():
            yield item
            self._advance(1)

    def _advance(self, n: float) -> None:
        self._done += n
        with _lock:
            _state.update(step=self._step, done=self._done, total=self._total)
            _steps[self._step] = (self._done, self._total)
        if self._lines and (time.monotonic() - self._logged >= LOG_EVERY_S or self._done == self._total):
            self._logged = time.monotonic()
            share = f" {100 * self._done / self._total:.0f} %" if self._total else ""
            print(f"timbral: {self._step}{share} ({self._done:g}{f' of {self._total}' if self._total else ''})",
                  file=sys.stderr, flush=True)
