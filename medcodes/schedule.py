"""Run a job every so often until asked to stop: `medcodes reindex --every 6h` without cron.

A stop request (the CLI sets the event on SIGTERM) is honoured between runs: a run that has
started finishes and publishes, so a container or service stops without wasting work.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from medcodes.errors import MedcodesError

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class IntervalError(MedcodesError, ValueError):
    """An interval that is not a positive number with an optional unit (s, m, h, d)."""


def parse_interval(text: str) -> float:
    """Seconds in "90", "90s", "15m", "6h" or "1d".

    >>> parse_interval("6h")
    21600.0
    """
    match = _INTERVAL.match(text)
    if not match or float(match.group(1)) <= 0:
        raise IntervalError(f"not an interval: {text!r} (use a number with s, m, h or d, e.g. 6h)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def run_every(interval: float, job: Callable[[], object], stop: threading.Event) -> int:
    """Run `job` now and then every `interval` seconds (start to start) until `stop` is set.

    Returns the number of runs. A run that overruns the interval is followed at once by the next.
    """
    runs = 0
    while not stop.is_set():
        started = time.monotonic()
        job()
        runs += 1
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    return runs
