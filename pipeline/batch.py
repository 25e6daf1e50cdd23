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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from medcodes.pipeline.parent_death import die_with_parent
from medcodes.pipeline.parse import DEFAULT_PARSE_TIME_LIMIT, PageParseError, parse_page
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import (
    DEFAULT_MAX_BYTES,
    STDIN,
    InputReadError,
    InputUnreadableError,
    RawPage,
    Unreadable,
    container_kind,
    input_source,
    read_container,
    read_page,
    split_source,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
# Pages handed to a worker at a time: large enough to amortize inter-process overhead.
CHUNK_SIZE = 16
# Chunks queued ahead of the one being collected, per worker: enough to keep workers busy,
# few enough that a large archive is never held in memory whole.
_CHUNKS_AHEAD = 4
# The reasons for a failure that is no fault of the input's that we know of (a bug): plain words,
# as the exception names Python internals; its traceback is logged at -v.
READER_FAILED = "could not read this input (internal error; details in the log)"
PARSER_FAILED = "could not parse this page (internal error; details in the log)"


@dataclass(frozen=True)
class Outcome:
    """What became of one page: a record, or the reason it was rejected."""

    source: str
    page: CodePage | None
    reason: str = ""
    unreadable: bool = False  # the input could not be read at all (InputUnreadableError)


def parse_inputs(
    sources: Iterable[str],
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
) -> Iterator[Outcome]:
    """Parse every page of every input; `workers` processes (default: one per core, 1 = here).

    A page not parsed within `time_limit` seconds is rejected ("parse time limit") by the
    process parsing it, which goes on with the next page."""
    workers = workers or os.cpu_count() or 1
    pages = pages_to_parse(sources, max_bytes)
    job = partial(_parse_chunk, max_bytes=max_bytes, time_limit=time_limit)
    if workers == 1:
        for item in pages:
            yield from job([item])
        return
    # A worker orphaned by a killed parent ends at once instead of waiting on the queue forever.
    context = process_context()
    with ProcessPoolExecutor(workers, context, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        for outcomes in ordered_map(pool, job, chunked(pages, CHUNK_SIZE), workers * _CHUNKS_AHEAD):
            yield from outcomes


def parse_input(
    source: str,
    data: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
) -> list[Outcome]:
    """All outcomes of one input (one page for a plain file, many for a container)."""
    if source == STDIN and data is None:
        data = sys.stdin.buffer.read()
    return _parse_chunk(list(_pages_of(source, data, max_bytes)), max_bytes, time_limit)


def pages_to_parse(sources: Iterable[str], max_bytes: int) -> Iterator[RawPage | Outcome]:
    """Every page of every input, unparsed (or the reason an input could not be read)."""
    for source in sources:
        # Standard input can only be read here, so its bytes travel with the job.
        data = sys.stdin.buffer.read() if source == STDIN else None
        yield from _pages_of(source, data, max_bytes)


def _pages_of(path: str, data: bytes | None, max_bytes: int) -> Iterator[RawPage | Outcome]:
    """The pages of one input, or the reason it could not be read."""
    source = input_source(path)  # `#` and `:` escaped: a file name never reads as a member
    try:
        kind = container_kind(path, data)
        if kind is None:
            # A page file is read by the worker that parses it; stdin's bytes are here already.
            yield RawPage(source, None if data is None else read_page(path, max_bytes, data))
            return
        empty = True
        for item in read_container(path, kind, max_bytes, data):
            empty = False
            yield Outcome(item.source, None, item.reason) if isinstance(item, Unreadable) else item
        if empty:
            # Accounted for all the same: an archive that holds no page is not silently skipped.
            yield Outcome(source, None, f"no pages in this {kind} file")
    except InputReadError as err:
        yield _read_failure(source, err)
    except Exception:
        # A bug of ours or of a reader library: the user learns the input was not read, and
        # -v shows the traceback for a bug report.
        log.info("reader failed on %s", path, exc_info=True)
        yield Outcome(source, None, READER_FAILED)


def process_context() -> multiprocessing.context.BaseContext:
    """Fork where there is fork: workers start at once and need not re-import the caller's
    main module (forkserver and spawn cannot start workers for a script read from stdin)."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _parse_chunk(items: list[RawPage | Outcome], max_bytes: int, time_limit: float | None) -> list[Outcome]:
    return [item if isinstance(item, Outcome) else parse_raw(item, max_bytes, time_limit) for item in items]


def parse_raw(raw: RawPage, max_bytes: int, time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT) -> Outcome:
    """Parse one page; any failure becomes its rejection (the per-page boundary)."""
    try:
        data = raw.data if raw.data is not None else read_page(split_source(raw.source)[0], max_bytes)
        return Outcome(raw.source, parse_page(data, raw.source, raw.url, raw.kind, raw.charset, time_limit))
    except InputReadError as err:
        return _read_failure(raw.source, err)
    except PageParseError as err:
        return Outcome(raw.source, None, str(err))
    except Exception:
        log.info("parser failed on %s", raw.source, exc_info=True)
        return Outcome(raw.source, None, PARSER_FAILED)


def _read_failure(source: str, err: InputReadError) -> Outcome:
    """An input that could not be read; one that may not be read at all is marked unreadable."""
    return Outcome(source, None, str(err), unreadable=isinstance(err, InputUnreadableError))


def chunked(items: Iterator[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ordered_map(pool: Executor, job: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[R]:
    """`job` of each item, in input order, with at most `ahead` items in flight.

    Executor.map would submit the whole input stream at once (all of an archive's pages in
    memory); a worker that dies raises BrokenProcessPool here instead of hanging the run.
    """
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(job, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
