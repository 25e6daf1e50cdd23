"""Parse many inputs in a process pool, yielding one outcome per page in input order.

This is the per-page boundary of a batch: whatever goes wrong with one page is recorded as its
rejection and the batch goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from pipeline.parse import PageParseError, parse_page
from pipeline.records import CodePage
from pipeline.sources import DEFAULT_MAX_BYTES, STDIN, InputReadError, read_input

log = logging.getLogger(__name__)
# Inputs handed to a worker at a time: large enough to amortize inter-process overhead.
_CHUNK_SIZE = 16


@dataclass(frozen=True)
class Outcome:
    """What became of one page: a record, or the reason it was rejected."""

    source: str
    page: CodePage | None
    reason: str = ""


def parse_inputs(
    sources: Iterable[str], workers: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Outcome]:
    """Parse every input; `workers` processes (default: one per core, 1 = in this process)."""
    workers = workers or os.cpu_count() or 1
    job = partial(parse_input, max_bytes=max_bytes)
    # Standard input can only be read here, so its bytes travel with the job.
    jobs = ((s, sys.stdin.buffer.read() if s == STDIN else None) for s in sources)
    if workers == 1:
        for source, data in jobs:
            yield from job(source, data)
        return
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with context.Pool(workers) as pool:
        for outcomes in pool.imap(_star(job), jobs, chunksize=_CHUNK_SIZE):
            yield from outcomes


def parse_input(source: str, data: bytes | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Outcome]:
    """All outcomes of one input (one page for a plain file, many for an archive)."""
    outcomes: list[Outcome] = []
    try:
        for raw in read_input(source, max_bytes, data):
            outcomes.append(_parse_raw(raw.source, raw.data, raw.url))
    except InputReadError as err:
        outcomes.append(Outcome(source, None, str(err)))
    return outcomes


@dataclass(frozen=True)
class _star:
    """Call a function with a tuple's items as arguments (picklable, unlike a lambda)."""

    func: partial[list[Outcome]]

    def __call__(self, args: tuple[str, bytes | None]) -> list[Outcome]:
        return self.func(*args)


def _parse_raw(source: str, data: bytes, url: str | None) -> Outcome:
    try:
        return Outcome(source, parse_page(data, source, url))
    except PageParseError as err:
        return Outcome(source, None, str(err))
    except Exception as err:
        log.exception("parser failed on %s", source)
        return Outcome(source, None, f"parser error: {type(err).__name__}: {err}")
