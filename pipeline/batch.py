"""Parse many inputs in a process pool, yielding one outcome per page in input order.

This is the per-page boundary of a batch: whatever goes wrong with one page (or with reading
one input) is recorded as its rejection and the batch goes on. Containers (WARC, JSONL, zip,
tar) are opened here, in the calling process, and their pages are parsed by the pool; a plain
page file is read by the worker that parses it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from multiprocessing.pool import AsyncResult, Pool

from pipeline.parse import PageParseError, parse_page
from pipeline.records import CodePage
from pipeline.sources import (
    DEFAULT_MAX_BYTES,
    STDIN,
    InputReadError,
    RawPage,
    Unreadable,
    container_kind,
    read_container,
    read_page,
)

log = logging.getLogger(__name__)
# Pages handed to a worker at a time: large enough to amortize inter-process overhead.
_CHUNK_SIZE = 16
# Chunks queued ahead of the one being collected, per worker: enough to keep workers busy,
# few enough that a large archive is never held in memory whole.
_CHUNKS_AHEAD = 4


@dataclass(frozen=True)
class Outcome:
    """What became of one page: a record, or the reason it was rejected."""

    source: str
    page: CodePage | None
    reason: str = ""


def parse_inputs(
    sources: Iterable[str], workers: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Outcome]:
    """Parse every page of every input; `workers` processes (default: one per core, 1 = here)."""
    workers = workers or os.cpu_count() or 1
    pages = _pages(sources, max_bytes)
    job = partial(_parse_chunk, max_bytes=max_bytes)
    if workers == 1:
        for item in pages:
            yield from job([item])
        return
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with context.Pool(workers) as pool:
        yield from _ordered_map(pool, job, _chunks(pages, _CHUNK_SIZE), workers * _CHUNKS_AHEAD)


def parse_input(source: str, data: bytes | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Outcome]:
    """All outcomes of one input (one page for a plain file, many for a container)."""
    if source == STDIN and data is None:
        data = sys.stdin.buffer.read()
    return _parse_chunk(list(_pages_of(source, data, max_bytes)), max_bytes)


def _pages(sources: Iterable[str], max_bytes: int) -> Iterator[RawPage | Outcome]:
    for source in sources:
        # Standard input can only be read here, so its bytes travel with the job.
        data = sys.stdin.buffer.read() if source == STDIN else None
        yield from _pages_of(source, data, max_bytes)


def _pages_of(source: str, data: bytes | None, max_bytes: int) -> Iterator[RawPage | Outcome]:
    """The pages of one input, or the reason it could not be read."""
    try:
        kind = container_kind(source, data)
        if kind is None:
            # A page file is read by the worker that parses it; stdin's bytes are here already.
            yield RawPage(source, None if data is None else read_page(source, max_bytes, data))
            return
        empty = True
        for item in read_container(source, kind, max_bytes, data):
            empty = False
            yield Outcome(item.source, None, item.reason) if isinstance(item, Unreadable) else item
        if empty:
            # Accounted for all the same: an archive that holds no page is not silently skipped.
            yield Outcome(source, None, f"no pages in this {kind} file")
    except InputReadError as err:
        yield Outcome(source, None, str(err))
    except Exception as err:
        log.exception("reader failed on %s", source)
        yield Outcome(source, None, f"reader error: {type(err).__name__}: {err}")


def _parse_chunk(items: list[RawPage | Outcome], max_bytes: int) -> list[Outcome]:
    return [item if isinstance(item, Outcome) else _parse_raw(item, max_bytes) for item in items]


def _parse_raw(raw: RawPage, max_bytes: int) -> Outcome:
    try:
        data = raw.data if raw.data is not None else read_page(raw.source, max_bytes)
        return Outcome(raw.source, parse_page(data, raw.source, raw.url, raw.kind, raw.charset))
    except (PageParseError, InputReadError) as err:
        return Outcome(raw.source, None, str(err))
    except Exception as err:
        log.exception("parser failed on %s", raw.source)
        return Outcome(raw.source, None, f"parser error: {type(err).__name__}: {err}")


def _chunks(items: Iterator[RawPage | Outcome], size: int) -> Iterator[list[RawPage | Outcome]]:
    chunk: list[RawPage | Outcome] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ordered_map(
    pool: Pool, job: partial[list[Outcome]], chunks: Iterator[list[RawPage | Outcome]], ahead: int
) -> Iterator[Outcome]:
    """Results in input order with at most `ahead` chunks in flight.

    Pool.imap would read the whole input stream ahead (all of an archive's pages in memory).
    """
    pending: deque[AsyncResult[list[Outcome]]] = deque()
    for chunk in chunks:
        pending.append(pool.apply_async(job, (chunk,)))
        if len(pending) >= ahead:
            yield from pending.popleft().get()
    while pending:
        yield from pending.popleft().get()
