"""The one place that writes an index: the next generation, its pages, commit, metadata, publish.

Ingest and reindex both write through `GenerationWriter`. It builds the next generation beside
the live one — empty for a full build, hard links to the live files for an incremental one —
and nothing is visible to readers until `publish` has fsync'd it and switched CURRENT. Leaving
the block with an exception (or being killed) leaves the live generation as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medcodes.index.codesets import carry_code_sets
from medcodes.index.engine.shards import KeptDocuments, Ref, ShardedBuild
from medcodes.index.engine.writer import PageWriter, seal_generation
from medcodes.index.fields import SCHEMA_VERSION
from medcodes.index.manifest import FileEntry, write_manifest
from medcodes.index.store import (
    MANIFEST_FILE,
    META_FILE,
    Generation,
    IndexCorruptError,
    discard,
    file_digest,
    meta_and_damage,
    next_generation,
    publish,
    remove_stale_generations,
    write_meta,
)
from medcodes.pipeline.batch import Outcome, parse_inputs
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import container_kind

# Outcomes of a parse that is under way (GenerationWriter.parse).
Parsing = Generator[Outcome, None, None]
# Fewer inputs than this, none of them a container, are parsed in this process: starting a pool
# costs more than they do.
IN_PROCESS_MAX = 32
# A fresh build of at least this many inputs, or of a container, is parsed and indexed on every
# core (index/engine/shards.py).
SHARDED_MIN_INPUTS = 200


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
        self.generation = next_generation(root, None if self.fresh else live)
        self._pages = PageWriter(self.generation.path, fresh=self.fresh)
        self._sharded: ShardedBuild | None = None
        self._shard_dirs: list[Path] = []
        self._kept = KeptDocuments()
        self._parsing: list[Parsing] = []
        self.published = False

    def __enter__(self) -> GenerationWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        close_parsing(self._parsing)
        if not self.published:
            self.cancel()

    def parse(
        self,
        inputs: list[str],
        workers: int | None,
        max_bytes: int,
        time_limit: float | None,
        on_read: Callable[[str], object] | None = None,
    ) -> Iterator[Outcome]:
        """Parse `inputs` in input order; a large fresh build also indexes them as it goes.

        `on_read` hears each input in this process just before it is read. Outcomes that carry
        a `ref` are already indexed in a shard: `put` keeps them. The parse ends with the
        writer's block at the latest (close_parsing).
        """
        parsing = self._parse(inputs, workers, max_bytes, time_limit, on_read)
        self._parsing.append(parsing)
        return parsing

    def _parse(
        self,
        inputs: list[str],
        workers: int | None,
        max_bytes: int,
        time_limit: float | None,
        on_read: Callable[[str], object] | None,
    ) -> Parsing:
        workers = workers or os.cpu_count() or 1
        # Inputs are sniffed for containers (each one's head read) only when they could be sharded.
        can_shard = self.fresh and workers > 1
        if not (can_shard and (len(inputs) >= SHARDED_MIN_INPUTS or holds_containers(inputs))):
            yield from parse_in_order(inputs, workers, max_bytes, time_limit, on_read)
            return
        build = self._sharded = ShardedBuild(self.generation.path, workers, max_bytes, time_limit)
        try:
            yield from build.outcomes(announced(inputs, on_read))
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
        if replace and not self.fresh:
            self._pages.replace(page)
        else:
            self._pages.add(page)

    def delete(self, key: str) -> None:
        if not self.fresh:
            self._pages.delete(key)

    def publish(
        self, meta_updates: dict[str, Any], manifest: Mapping[str, FileEntry] | Iterable[FileEntry]
    ) -> dict[str, Any]:
        """Commit, write metadata and manifest, fsync and switch CURRENT; returns the metadata."""
        self._pages.commit()
        counts = seal_generation(
            self.generation.path, fresh=self.fresh, shard_dirs=self._shard_dirs, kept=self._kept
        )
        write_manifest(self.generation, manifest, sources=meta_updates.get("sources"))
        if self.fresh:
            carry_code_sets(self.live, self.generation)
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
        try:
            if self._sharded is not None:
                self._sharded.close()
            self._pages.cancel()
        finally:
            discard(self.generation)

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
        self._parsing: list[Parsing] = []

    def __enter__(self) -> DryRunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        close_parsing(self._parsing)

    def parse(
        self,
        inputs: list[str],
        workers: int | None,
        max_bytes: int,
        time_limit: float | None,
        on_read: Callable[[str], object] | None = None,
    ) -> Iterator[Outcome]:
        parsing = _all_of(parse_in_order(inputs, workers, max_bytes, time_limit, on_read))
        self._parsing.append(parsing)
        return parsing

    def put(self, page: CodePage, *, replace: bool, ref: Ref | None = None) -> None:
        pass

    def delete(self, key: str) -> None:
        pass


def parse_in_order(
    inputs: list[str],
    workers: int | None,
    max_bytes: int,
    time_limit: float | None,
    on_read: Callable[[str], object] | None = None,
) -> Iterator[Outcome]:
    """Parse `inputs` in input order: in this process when they are few, else in a pool;
    `on_read` hears each input just before it is read."""
    workers = workers or os.cpu_count() or 1
    many = len(inputs) > IN_PROCESS_MAX or holds_containers(inputs)
    return parse_inputs(announced(inputs, on_read), workers if many else 1, max_bytes, time_limit)


def announced(inputs: list[str], on_read: Callable[[str], object] | None) -> Iterator[str]:
    """`inputs`, each told to `on_read` as it is taken to be read."""
    for path in inputs:
        if on_read is not None:
            on_read(path)
        yield path


def holds_containers(inputs: list[str]) -> bool:
    """Whether some input is a container, which may hold any number of pages: parsed (and, in
    a fresh build, indexed) on every core like a folder of as many files, not in this process."""
    return any(container_kind(path) is not None for path in inputs)


def close_parsing(parsing: list[Parsing]) -> None:
    """End the parses a writer started, when its block ends: a run that stops mid-parse (a full
    disk, an error) shuts its parser pool down here, in the run's thread. Left to the garbage
    collector, the shutdown would run in whatever thread collects it — the pool's own manager
    thread, which cannot join itself and prints a traceback."""
    for item in parsing:
        item.close()
    parsing.clear()


def _all_of(outcomes: Iterator[Outcome]) -> Parsing:
    yield from outcomes  # a generator, so that closing it ends `outcomes` too


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
