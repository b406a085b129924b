"""Time limits for fuzz cases: a case that runs past its limit fails as a hang."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


class CaseTimeout(AssertionError):
    """A case ran past its time limit (a hang): a test failure, which hypothesis shrinks."""


class _Expired(BaseException):
    """The alarm: a BaseException, so that no ``except Exception`` of the code under test
    swallows it; :func:`time_limit` turns it into :class:`CaseTimeout`."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the case") -> Iterator[None]:
    """Fail with :class:`CaseTimeout` if the body runs longer than ``seconds`` (SIGALRM; no
    limit outside the main thread or where there is no SIGALRM). Limits do not nest."""
    usable = hasattr(signal, "setitimer") and _in_main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise CaseTimeout(f"{what} ran longer than {seconds:g} s (a hang?)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
