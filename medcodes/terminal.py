"""What the CLI draws on a terminal, and when: colour and progress bars (presentation only;
the core reports progress through callbacks and never prints)."""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import IO, TYPE_CHECKING, Any

import click

from medcodes.queries.present.printable import printable

if TYPE_CHECKING:
    from medcodes.index.sync import ReadProgress

COLOR_CHOICES = ("auto", "always", "never")


def color_wanted(choice: str, stream: IO[Any]) -> bool:
    """Whether to emphasise with ANSI codes on `stream`: `always`, `never`, or (`auto`) when it
    is a terminal, unless NO_COLOR is set to anything but "" (https://no-color.org) or TERM is
    `dumb` (a terminal that shows escape codes as text)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def plural(count: int, noun: str) -> str:
    """ "1 page", "3 pages"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class ProgressBar:
    """A bar on stderr over the inputs a run reads, with the pages read so far (each member of
    an archive, each JSONL line) and their rate; drawn only when stderr is a terminal.

    Fed ReadProgress by ingest and reindex (`on_progress`); the ETA follows the inputs.
    """

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.started = time.monotonic()
        self.shown = 0

    def update(self, progress: ReadProgress) -> None:
        if not self.enabled or not progress.inputs_total:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=progress.inputs_total,
                label=self.label,
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda text: text,
            )
            self.bar.__enter__()
        self.bar.length = progress.inputs_total  # a run may read more inputs than it planned
        rate = progress.pages / max(time.monotonic() - self.started, 1e-3)
        pages = f"{plural(progress.pages, 'page')}, {rate:,.0f} pages/s"
        self.bar.update(progress.inputs_read - self.shown, pages)
        self.shown = progress.inputs_read

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class PrintableFormatter(logging.Formatter):
    """Log lines without control sequences: a message may quote a file name or page text."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


__all__ = ["COLOR_CHOICES", "PrintableFormatter", "ProgressBar", "color_wanted", "plural"]
