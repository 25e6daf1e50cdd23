"""A per-page time budget: a page whose parsing outlasts it is stopped, not waited for.

The budget is an interval timer (SIGALRM) whose handler raises inside the parse, so the worker
process (or the caller, with one worker) goes on to the next page instead of being killed. It
needs the main thread of a POSIX process: elsewhere (a thread of a server) the budget is off.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# Pages of every legitimate shape parse in well under a second; a page still parsing after
# this long is hostile or broken, and one such page must not stall a worker for minutes.
DEFAULT_PARSE_TIME_LIMIT = 30.0


class ParseTimeExpired(BaseException):
    """Raised into a parse that outlasted its budget; parse_page turns it into PageParseError.
    Like KeyboardInterrupt, a BaseException that interrupts rather than an error (no `except
    Exception` inside the parser, or a library it calls, can swallow it)."""


def budget_available() -> bool:
    """True where a budget can be enforced: the main thread of a process with interval timers."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise ParseTimeExpired in the body once `seconds` of wall-clock time have passed (None or
    0: no budget; also none off the main thread, where signals cannot be received)."""
    if not seconds or not budget_available():
        yield
        return
    armed = True

    def expire(signum: int, frame: FrameType | None) -> None:
        if armed:
            raise ParseTimeExpired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
