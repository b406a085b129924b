"""Progress lines on stderr for work that takes longer than a second.

A :class:`Progress` is called with the name of each phase as it starts (``progress("vtac-tile:
tile search")``). Work that ends within ``delay`` seconds prints nothing; once ``delay`` has
passed, the phase under way is printed, and every later phase as it starts, each with the time
elapsed: ``vtac: [1.0 s] vtac-tile: tile search``. A timer thread does the first print, so a
single long phase is announced while it runs. Ctrl-C stops the work (the ``vtac`` command exits
with status 130).
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO

#: Seconds work runs before its progress shows.
DELAY = 1.0


def wanted(flag: bool | None) -> bool:
    """Whether to show progress: as ``--progress``/``--no-progress`` say, else on a terminal."""
    return flag if flag is not None else sys.stderr.isatty()


class Progress:
    """Report phases of one piece of work on ``stream`` (default: the current ``sys.stderr``)
    once it has run for ``delay`` seconds (default :data:`DELAY`); ``prefix`` starts every
    line."""

    def __init__(
        self, delay: float | None = None, prefix: str = "vtac", stream: IO[str] | None = None
    ) -> None:
        delay = DELAY if delay is None else delay
        self.delay = delay
        self.prefix = prefix
        self.stream = stream
        self._start = time.perf_counter()
        self._phase: str | None = None
        self._live = False
        self._closed = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._wake)
        self._timer.daemon = True
        self._timer.start()

    def __call__(self, phase: str) -> None:
        """Phase ``phase`` starts."""
        with self._lock:
            self._phase = phase
            if self._live:
                self._print(phase)

    def close(self) -> None:
        """The work is over: nothing more is printed."""
        self._timer.cancel()
        with self._lock:
            self._closed = True
            self._live = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._live = True
            if self._phase is not None:
                self._print(self._phase)

    def _print(self, phase: str) -> None:
        elapsed = time.perf_counter() - self._start
        stream = self.stream or sys.stderr
        print(f"{self.prefix}: [{elapsed:.1f} s] {phase}", file=stream, flush=True)
