"""What can go wrong reading a code-set file: the whole file (unknown format, unreadable) or one row.

A bad row never stops a load: the reader hands a `BadRow` to the caller's `on_bad_row` and goes
on, as a bad page is reported and skipped in a batch of pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from medcodes.errors import MedcodesError

log = logging.getLogger(__name__)


class CodeSetFileError(MedcodesError, ValueError):
    """A code-set file that cannot be read at all: missing, not text, or of no known format."""


@dataclass(frozen=True)
class BadRow:
    """One row skipped: the file, its line number (1-based) and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


OnBadRow = Callable[[BadRow], None]


def log_bad_row(row: BadRow) -> None:
    """The default report of a skipped row: a warning in the log."""
    log.warning("skipped row %s", row)
