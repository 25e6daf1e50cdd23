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

# One or more "<number><unit>" parts ("1h30m", "90s", "1.5h"); a bare number is seconds.
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class IntervalError(MedcodesError, ValueError):
    """An interval that is not a positive duration such as 90, 90s, 15m, 6h, 1d or 1h30m."""


def parse_interval(text: str) -> float:
    """Seconds in "90" (seconds), "90s", "15m", "6h", "1d" or a sum of them ("1h30m", "1d 12h").

    >>> parse_interval("1h30m")
    5400.0
    """
    compact = re.sub(r"\s+", "", text)
    matches = list(_PART.finditer(compact))
    parts = [(float(m[1]), m[2].lower()) for m in matches]
    units = [unit for _, unit in parts]
    whole = sum(len(m[0]) for m in matches) == len(compact)
    # Each unit at most once, and a bare number only alone: "90" is seconds, "1h30" a typo.
    valid = whole and len(set(units)) == len(units) and ("" not in units or len(parts) == 1)
    seconds = sum(number * _UNIT_SECONDS[unit] for number, unit in parts) if valid else 0.0
    if seconds <= 0:
        raise IntervalError(
            f"not an interval: {text!r} (a positive number of seconds, or with units s, m, h, d: "
            "90, 15m, 6h, 1h30m)"
        )
    return seconds


def describe_interval(seconds: float) -> str:
    """The shortest spelling of an interval, as parse_interval reads it: 5400 -> "1h30m"."""
    rest, out = round(seconds), []
    for unit in ("d", "h", "m", "s"):
        count, rest = divmod(rest, _UNIT_SECONDS[unit])
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"


def run_every(
    interval: float,
    job: Callable[[], object],
    stop: threading.Event,
    on_wait: Callable[[float], None] | None = None,
) -> int:
    """Run `job` now and then every `interval` seconds (start to start) until `stop` is set.

    `on_wait(seconds)` is told, after each run, how long until the next one starts. Returns the
    number of runs. A run that overruns the interval is followed at once by the next.
    """
    runs = 0
    while not stop.is_set():
        started = time.monotonic()
        job()
        runs += 1
        delay = max(0.0, interval - (time.monotonic() - started))
        if on_wait is not None and not stop.is_set():
            on_wait(delay)
        stop.wait(delay)
    return runs
