"""The one place that writes an index: the next generation, its pages, commit, metadata, publish.

Ingest and reindex both write through `GenerationWriter`. It builds the next generation beside
the live one — empty for a full build, hard links to the live files for an incremental one —
and nothing is visible to readers until `publish` has fsync'd it and switched CURRENT. Leaving
the block with an exception (or being killed) leaves the live generation as it was.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from medcodes.index.manifest import FileEntry, write_manifest
from medcodes.index.naming_words import write_naming_words
from medcodes.index.opening import open_generation
from medcodes.index.reader import count_pages
from medcodes.index.schema import KEY, SCHEMA_VERSION, build_schema, page_to_document
from medcodes.index.segment_writer import open_segment_writer
from medcodes.index.shards import Ref, ShardedBuild, adopt_shards
from medcodes.index.store import (
    MANIFEST_FILE,
    META_FILE,
    WHOOSH_LOCK_FILE,
    Generation,
    IndexCorruptError,
    discard,
    file_digest,
    meta_and_damage,
    next_generation,
    publish,
    remove_stale_generations,
    remove_unpublished_generations,
    write_meta,
)
from medcodes.pipeline.batch import Outcome, parse_inputs
from medcodes.pipeline.records import CodePage

# Fewer inputs than this are parsed in this process: starting a pool costs more than they do.
IN_PROCESS_MAX = 32
# A fresh build of at least this many inputs is parsed and indexed on every core (medcodes.index.shards).
SHARDED_MIN_INPUTS = 200
# Memory the Whoosh writer may use before it spills a run to disk.
WRITER_LIMIT_MB = 256
# Segments of one size tier (a power of ten of documents) that may pile up before they are
# merged into one: each document is rewritten about once per tier, never on every small commit.
MERGE_FACTOR = 10
# A segment with more than this share of deleted documents is rewritten to reclaim them.
MAX_DELETED_SHARE = 0.5


class GenerationWriter:
    """Write pages into the next generation of the index at `root`, then publish it.

    >>> with GenerationWriter(root, live, fresh=False) as writer:
    ...     writer.put(page, replace=True)
    ...     writer.publish({"sources": [...]}, manifest_entries)
    """

    def __init__(self, root: Path, live: Generation | None, *, fresh: bool) -> None:
        self.root = root
        self.live = live
        self.fresh = fresh or live is None
        remove_unpublished_generations(root)
        self.generation = next_generation(root, None if self.fresh else live)
        self._writer: SegmentWriter | None = None
        self._sharded: ShardedBuild | None = None
        self._shard_dirs: list[Path] = []
        self._kept: set[Ref] = set()
        self.published = False

    def __enter__(self) -> GenerationWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self.published:
            self.cancel()

    def parse(self, inputs: list[str], workers: int | None, max_bytes: int) -> Iterator[Outcome]:
        """Parse `inputs` in input order; a large fresh build also indexes them as it goes.

        Outcomes that carry a `ref` are already indexed in a shard: `put` keeps them.
        """
        workers = workers or os.cpu_count() or 1
        if not (self.fresh and workers > 1 and len(inputs) >= SHARDED_MIN_INPUTS):
            yield from parse_in_order(inputs, workers, max_bytes)
            return
        build = self._sharded = ShardedBuild(self.generation.path, workers, max_bytes)
        try:
            yield from build.outcomes(inputs)
            self._shard_dirs.extend(build.finish())
        finally:
            build.close()
            self._sharded = None

    def put(self, page: CodePage, *, replace: bool, ref: Ref | None = None) -> None:
        """Index a page; `replace` when a document with its key may already be there.

        A page already indexed in a shard (`ref`) is only marked to be kept.
        """
        if ref is not None:
            self._kept.add(ref)
            return
        doc = page_to_document(page)
        if replace and not self.fresh:
            # One cached searcher of the writer finds the old document by its unique key.
            self._whoosh().update_document(**doc)
        else:
            self._whoosh().add_document(**doc)

    def delete(self, key: str) -> None:
        if not self.fresh:
            self._whoosh().delete_by_term(KEY, key)

    def publish(self, meta_updates: dict[str, Any], manifest: Iterable[FileEntry]) -> dict[str, Any]:
        """Commit, write metadata and manifest, fsync and switch CURRENT; returns the metadata."""
        ix = self._commit()
        try:
            write_naming_words(self.generation.path, ix)
            counts = count_pages(ix)
        finally:
            ix.close()
        write_manifest(self.generation, manifest, sources=meta_updates.get("sources"))
        meta = self._live_meta()
        meta.setdefault("created", _now())
        meta.update(meta_updates)
        meta.update(schema_version=SCHEMA_VERSION, updated=_now(), files=self._checksums(meta), **counts)
        write_meta(self.generation, meta)
        publish(self.root, self.generation)
        self.published = True
        remove_stale_generations(self.root, previous=self.live)
        return meta

    def _live_meta(self) -> dict[str, Any]:
        """The live metadata to carry over; a full rebuild starts afresh from damaged metadata."""
        meta, damage = meta_and_damage(self.live)
        if damage and not self.fresh:
            raise IndexCorruptError(damage)
        return meta

    def cancel(self) -> None:
        """Drop the unpublished generation; the live one is untouched."""
        if self._sharded is not None:
            self._sharded.close()
        if self._writer is not None and not self._writer.is_closed:
            self._writer.cancel()
        discard(self.generation)

    def _whoosh(self) -> SegmentWriter:
        if self._writer is None:
            self._writer = open_segment_writer(self._open_index(), WRITER_LIMIT_MB)
        return self._writer

    def _open_index(self) -> whoosh_index.Index:
        if self.fresh and not whoosh_index.exists_in(str(self.generation.path)):
            return whoosh_index.create_in(str(self.generation.path), build_schema())
        return open_generation(self.generation.path)

    def _commit(self) -> whoosh_index.Index:
        if self._writer is not None:
            self._writer.commit(mergetype=merge_by_tier)
        if self._shard_dirs:
            self._open_index().close()  # a generation whose pages all went to shards has no TOC yet
            adopt_shards(self.generation.path, self._shard_dirs, self._kept)
        # Whoosh's lock file is released and holds no data: keep generations to their data.
        (self.generation.path / WHOOSH_LOCK_FILE).unlink(missing_ok=True)
        return self._open_index()

    def _checksums(self, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Size and SHA-256 of every file; a file hard-linked from the live generation keeps its own."""
        known: dict[str, dict[str, Any]] = (meta.get("files") or {}) if not self.fresh else {}
        sums: dict[str, dict[str, Any]] = {}
        for item in sorted(self.generation.path.iterdir()):
            if not item.is_file() or item.name == META_FILE:
                continue
            old = known.get(item.name)
            if old is not None and item.name != MANIFEST_FILE and self._linked_from_live(item):
                sums[item.name] = old
            else:
                sums[item.name] = {"size": item.stat().st_size, "sha256": file_digest(item)}
        return sums

    def _linked_from_live(self, item: Path) -> bool:
        assert self.live is not None
        try:
            return os.path.samefile(item, self.live.path / item.name)
        except OSError:
            return False


class DryRunWriter:
    """Stands in for GenerationWriter in `reindex --dry-run`: pages are parsed and decided on,
    nothing is written or published."""

    def __init__(self, live: Generation | None, *, fresh: bool) -> None:
        self.live = live
        self.fresh = fresh or live is None

    def __enter__(self) -> DryRunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def parse(self, inputs: list[str], workers: int | None, max_bytes: int) -> Iterator[Outcome]:
        return parse_in_order(inputs, workers, max_bytes)

    def put(self, page: CodePage, *, replace: bool, ref: Ref | None = None) -> None:
        pass

    def delete(self, key: str) -> None:
        pass


def parse_in_order(inputs: list[str], workers: int | None, max_bytes: int) -> Iterator[Outcome]:
    """Parse `inputs` in input order: in this process when they are few, else in a pool."""
    workers = workers or os.cpu_count() or 1
    return parse_inputs(inputs, workers if len(inputs) > IN_PROCESS_MAX else 1, max_bytes)


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
