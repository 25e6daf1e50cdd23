"""Write pages into one generation folder with Whoosh, and seal it: commit, adopt the shards
of a sharded build, list the naming words, count the pages.

medcodes.index.writing decides which generation is written and publishes it; this is the part
of writing that knows Whoosh.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from medcodes.index.engine.contents import count_pages
from medcodes.index.engine.key_table import write_key_table
from medcodes.index.engine.naming_words import write_naming_words
from medcodes.index.engine.opening import open_generation
from medcodes.index.engine.schema import build_schema, page_to_document
from medcodes.index.engine.segment_writer import open_segment_writer
from medcodes.index.engine.shards import KeptDocuments, adopt_shards
from medcodes.index.fields import KEY
from medcodes.index.store import WHOOSH_LOCK_FILE
from medcodes.pipeline.records import CodePage

# Memory the Whoosh writer may use before it spills a run to disk.
WRITER_LIMIT_MB = 256
# Segments of one size tier (a power of ten of documents) that may pile up before they are
# merged into one: each document is rewritten about once per tier, never on every small commit.
MERGE_FACTOR = 10
# A segment with more than this share of deleted documents is rewritten to reclaim them.
MAX_DELETED_SHARE = 0.5


class PageWriter:
    """Adds, replaces and deletes pages in the index of generation folder `path` (created
    empty when `fresh`); the Whoosh writer is opened on the first change."""

    def __init__(self, path: Path, *, fresh: bool) -> None:
        self.path = path
        self.fresh = fresh
        self._writer: SegmentWriter | None = None

    def add(self, page: CodePage) -> None:
        self._whoosh().add_document(**page_to_document(page))

    def replace(self, page: CodePage) -> None:
        """Index `page` in place of the document with its key, if there is one."""
        # One cached searcher of the writer finds the old document by its unique key.
        self._whoosh().update_document(**page_to_document(page))

    def delete(self, key: str) -> None:
        self._whoosh().delete_by_term(KEY, key)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit(mergetype=merge_by_tier)

    def cancel(self) -> None:
        """Drop what was written. Whoosh's cancel flushes the segment it was writing: after a
        failed write (a full disk) that fails again, with the error itself or "I/O operation on
        closed file"; the generation is thrown away whole, so those are of no consequence, but
        its files are closed one by one then, so that their space is free once it is removed."""
        if self._writer is not None and not self._writer.is_closed:
            try:
                self._writer.cancel()
            except (OSError, ValueError):
                _close_files(self._writer)

    def _whoosh(self) -> SegmentWriter:
        if self._writer is None:
            self._writer = open_segment_writer(open_index(self.path, fresh=self.fresh), WRITER_LIMIT_MB)
        return self._writer


def _close_files(writer: SegmentWriter) -> None:
    """Close what a Whoosh writer whose cancel failed may hold open (whoosh-reloaded 2.7.5's
    codec): its terms, postings, columns and vectors files, its sort runs, its temporary folder
    and its lock, each whatever became of the others."""
    fields, columns = writer.fieldwriter, writer.perdocwriter
    handles = (fields._tindex.dbfile, fields._postfile, columns._cols._temp, columns._vpostfile)
    for handle in handles:
        if handle is not None and not handle.is_closed:
            with contextlib.suppress(OSError, ValueError):
                handle.close()
    for step in (writer.pool.cleanup, writer._finish):
        with contextlib.suppress(OSError, ValueError):
            step()


def open_index(path: Path, *, fresh: bool) -> whoosh_index.Index:
    """The index of generation folder `path`; created empty when `fresh` and not there yet."""
    if fresh and not whoosh_index.exists_in(str(path)):
        return whoosh_index.create_in(str(path), build_schema())
    return open_generation(path)


def seal_generation(
    path: Path, *, fresh: bool, shard_dirs: list[Path], kept: KeptDocuments
) -> dict[str, Any]:
    """After the last commit: move the shards' segments in (keeping the `kept` documents),
    list the naming words and the live keys, and return the page counts (count_pages)."""
    if shard_dirs:
        open_index(path, fresh=fresh).close()  # a generation whose pages all went to shards has no TOC yet
        adopt_shards(path, shard_dirs, kept)
    # Whoosh's lock file is released and holds no data: keep generations to their data.
    (path / WHOOSH_LOCK_FILE).unlink(missing_ok=True)
    ix = open_index(path, fresh=fresh)
    try:
        write_naming_words(path, ix)
        write_key_table(path, ix)
        return count_pages(ix)
    finally:
        ix.close()


def merge_by_tier(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: merge a size tier once MERGE_FACTOR segments have piled up in it.

    Whoosh's MERGE_SMALL only merges tiny segments, so the segments of small incremental
    commits would pile up forever and slow every search; merging everything would rewrite the
    whole index on each commit. Tiers by powers of ten rewrite each document O(log n) times.
    """
    tiers: dict[int, list[Any]] = {}
    merge: list[Any] = []
    for segment in segments:
        total = segment.doc_count_all()
        if total and segment.deleted_count() / total > MAX_DELETED_SHARE:
            merge.append(segment)
            continue
        tiers.setdefault(int(math.log10(max(segment.doc_count(), 1))), []).append(segment)
    for tier in tiers.values():
        if len(tier) >= MERGE_FACTOR:
            merge.extend(tier)
    for segment in merge:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    merged = {id(segment) for segment in merge}
    return [segment for segment in segments if id(segment) not in merged]


__all__ = ["MERGE_FACTOR", "PageWriter", "merge_by_tier", "seal_generation"]
