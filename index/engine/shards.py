"""Build a fresh index on every core: each worker parses AND indexes its pages into a shard.

A Whoosh writer is single-threaded Python, and with one writer the parser pool waits on it
(measured on 2 cores: the writer is the bottleneck at about 200 pages/s). Here every worker
process owns a shard — a one-segment Whoosh index of its own inside the new generation — and
sends back only the outcome of each page and where its document went (shard, document number).
The caller decides page by page, in input order, which documents to keep (a duplicate code is
dropped); `adopt_shards` then moves the shards' segments into the generation and writes one
table of contents that lists them all, with the dropped documents marked deleted. Nothing is
re-read or merged, so combining costs no more than a rename per file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.synchronize import Barrier
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from medcodes.index.engine.grouped_postings import GroupedSegmentWriter, open_grouped_writer
from medcodes.index.engine.schema import build_schema, page_to_document
from medcodes.pipeline.batch import (
    CHUNK_SIZE,
    Outcome,
    chunked,
    ordered_map,
    pages_to_parse,
    parse_raw,
    process_context,
)
from medcodes.pipeline.parent_death import die_with_parent
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import RawPage

INDEX_NAME = "MAIN"  # Whoosh's default index name, which readers open
SHARD_PREFIX = "shard-"
# Memory each shard's writer may hold postings in before it spills a run to disk (there is one
# per core): with the main process, a 2-core ingest stays under 600 MB at any corpus size.
SHARD_LIMIT_MB = 96
_CHUNKS_AHEAD = 4
# How long a worker waits at the end for the others to reach the finish line.
_FINISH_SECONDS = 600

Ref = tuple[int, int]  # (shard number, document number within the shard's segment)


class KeptDocuments:
    """The shard documents a build keeps, a bit per document of each shard: a set of refs held
    a tuple per page in the main process (about 100 bytes each, growing with the corpus)."""

    def __init__(self) -> None:
        self._shards: dict[int, bytearray] = {}

    def add(self, ref: Ref) -> None:
        shard, docnum = ref
        bits = self._shards.setdefault(shard, bytearray())
        if docnum // 8 >= len(bits):
            bits.extend(bytes(docnum // 8 + 1 - len(bits)))
        bits[docnum // 8] |= 1 << (docnum % 8)

    def keeps(self, ref: Ref) -> bool:
        shard, docnum = ref
        bits = self._shards.get(shard)
        return bits is not None and docnum // 8 < len(bits) and bool(bits[docnum // 8] & (1 << (docnum % 8)))


@dataclass(frozen=True)
class IndexedOutcome(Outcome):
    """An outcome whose page is already indexed in a shard, at `ref`; its page keeps its
    code, content hash and notes but not its text."""

    ref: Ref | None = None


class ShardedBuild:
    """Parse and index inputs on `workers` processes into shards under `generation`.

    >>> build = ShardedBuild(generation_path, workers=2)
    >>> for outcome in build.outcomes(files): ...
    >>> shard_dirs = build.finish()
    """

    def __init__(self, generation: Path, workers: int, max_bytes: int, time_limit: float | None) -> None:
        self.generation = generation
        self.workers = workers
        self.max_bytes = max_bytes
        self.time_limit = time_limit
        context = process_context()
        self._barrier = context.Barrier(workers)
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(generation, self._barrier, os.getpid()),
        )

    def outcomes(self, sources: Iterable[str]) -> Iterator[IndexedOutcome]:
        job = partial(_index_chunk, max_bytes=self.max_bytes, time_limit=self.time_limit)
        pages = chunked(pages_to_parse(sources, self.max_bytes), CHUNK_SIZE)
        for outcomes in ordered_map(self._pool, job, pages, self.workers * _CHUNKS_AHEAD):
            yield from outcomes

    def finish(self) -> list[Path]:
        """Commit every shard; returns their directories (the shards of idle workers are empty)."""
        try:
            futures = [self._pool.submit(_finish_worker) for _ in range(self.workers)]
            return [Path(done) for future in futures if (done := future.result())]
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def adopt_shards(generation: Path, shard_dirs: list[Path], keep: KeptDocuments) -> None:
    """Move the shards' segments into `generation` and list them, with its own, in one new TOC.

    Documents of the shards whose ref is not in `keep` are marked deleted.
    """
    storage = FileStorage(str(generation))
    toc = TOC.read(storage, INDEX_NAME)
    segments = list(toc.segments)
    for shard_dir in shard_dirs:
        number = shard_number(shard_dir)
        shard_toc = TOC.read(FileStorage(str(shard_dir)), INDEX_NAME)
        for segment in shard_toc.segments:
            for docnum in range(segment.doc_count_all()):
                if not keep.keeps((number, docnum)):
                    segment.delete_document(docnum)
            segments.append(segment)
        for item in shard_dir.iterdir():
            if TOC._segment_pattern(INDEX_NAME).match(item.name):
                os.replace(item, generation / item.name)
    TOC(toc.schema, segments, toc.generation + 1).write(storage, INDEX_NAME)
    (generation / TOC._filename(INDEX_NAME, toc.generation)).unlink(missing_ok=True)
    for shard_dir in shard_dirs:
        for item in shard_dir.iterdir():
            item.unlink()
        shard_dir.rmdir()


def shard_number(shard_dir: Path) -> int:
    return int(shard_dir.name.removeprefix(SHARD_PREFIX))


# --- in the worker processes --------------------------------------------------------------

_worker: _ShardWorker | None = None


class _ShardWorker:
    """A worker's shard: created on its first page, committed once at the finish."""

    def __init__(self, generation: Path, barrier: Barrier) -> None:
        self.generation = generation
        self.barrier = barrier
        self.number = os.getpid()
        self.path = generation / f"{SHARD_PREFIX}{self.number}"
        self.writer: GroupedSegmentWriter | None = None

    def add(self, page: CodePage) -> Ref:
        if self.writer is None:
            self.path.mkdir()
            ix = whoosh_index.create_in(str(self.path), build_schema())
            self.writer = open_grouped_writer(ix, SHARD_LIMIT_MB)
        docnum = self.writer.docnum - self.writer.docbase
        self.writer.add_document(**page_to_document(page))
        return self.number, docnum

    def finish(self) -> str | None:
        if self.writer is not None:
            self.writer.commit(merge=False)
            self.writer = None
        # Hold this worker until every worker has taken a finish task, so that each takes one.
        self.barrier.wait(_FINISH_SECONDS)
        return str(self.path) if self.path.exists() else None


def _start_worker(generation: Path, barrier: Barrier, parent: int) -> None:
    global _worker
    # A worker orphaned by a killed parent must not live on holding its memory.
    die_with_parent(parent)
    _worker = _ShardWorker(generation, barrier)


def _index_chunk(
    items: list[RawPage | Outcome], max_bytes: int, time_limit: float | None
) -> list[IndexedOutcome]:
    assert _worker is not None
    done = []
    for item in items:
        outcome = item if isinstance(item, Outcome) else parse_raw(item, max_bytes, time_limit)
        page, ref = outcome.page, None
        if page is not None:
            ref = _worker.add(page)
            # The caller decides by code, hash and notes; the text stays here (less to pickle).
            page = replace(page, sections=(), alt_names=())
        done.append(IndexedOutcome(outcome.source, page, outcome.reason, outcome.unreadable, ref=ref))
    return done


def _finish_worker() -> str | None:
    assert _worker is not None
    return _worker.finish()
