"""Reindex: bring the index in step with its source folders, re-parsing only what changed.

Sources default to those recorded at the last ingest or reindex. An input whose size and mtime
are as the manifest has them is not read; one whose bytes hash the same is not parsed; the pages
of a changed input are added, updated or deleted; inputs that disappeared lose their pages. A
full rebuild (asked for, or forced by a schema change or a missing manifest) builds a fresh
generation beside the live one. Either way readers switch atomically at publish.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcodes.index.build import absolute_inputs, skip_index_folders
from medcodes.index.fields import SCHEMA_VERSION
from medcodes.index.guard import DeleteLimit
from medcodes.index.lock import write_lock
from medcodes.index.manifest import Manifest, load_manifest, manifest_sources
from medcodes.index.reader import check_readable
from medcodes.index.status import (
    ADDED,
    DELETED,
    DUPLICATE,
    REJECTED,
    SKIPPED,
    UNCHANGED,
    UNREADABLE,
    UPDATED,
)
from medcodes.index.store import (
    Generation,
    IndexCorruptError,
    IndexMissingError,
    IndexPath,
    NoSourcesError,
    check_index_folder,
    current_generation,
    generations,
    index_started,
    meta_and_damage,
    reporting_full_disk,
)
from medcodes.index.sync import (
    REINDEX,
    InputStatus,
    ReadProgress,
    RunReport,
    sync_index,
)
from medcodes.pipeline.sources import DEFAULT_MAX_BYTES, STDIN, InputError, find_inputs
from medcodes.pipeline.time_budget import DEFAULT_PARSE_TIME_LIMIT

log = logging.getLogger(__name__)


@dataclass
class ReindexReport(RunReport):
    """What one reindex did; `to_dict` is the `--json` object and the `--log-json` line."""

    full_reason: str = ""  # why a full rebuild ran; "" for an incremental reindex
    generation: str = ""
    published: bool = False
    dry_run: bool = False
    stop_reason: str = ""  # in a dry run, why a real run would stop ("" when it would not)

    @property
    def changed(self) -> bool:
        return any(self.counts[s] for s in (ADDED, UPDATED, DELETED))

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.counts[ADDED],
            "updated": self.counts[UPDATED],
            "deleted": self.counts[DELETED],
            "unchanged": self.counts[UNCHANGED],
            "duplicates": self.counts[DUPLICATE],
            "rejected": self.counts[REJECTED],
            "unreadable": self.counts[UNREADABLE],
            "skipped": self.counts[SKIPPED],
            "seconds": round(self.seconds, 3),
            "pages": self.doc_count,
            "full": bool(self.full_reason),
            "full_reason": self.full_reason or None,
            "changed": self.changed,
            "index": str(self.index_dir),
            "generation": self.generation,
            "dry_run": self.dry_run,
            "would_stop": self.stop_reason or None,
        }


def reindex(
    index_dir: IndexPath,
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    full: bool = False,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
    wait: float = 5.0,
    on_status: Callable[[InputStatus], None] | None = None,
    max_delete: DeleteLimit | None = DeleteLimit(),  # noqa: B008 (frozen, so shared safely)
    dry_run: bool = False,
    on_progress: Callable[[ReadProgress], None] | None = None,
) -> ReindexReport:
    """Make the index at `index_dir` mirror `paths` (default: its recorded sources).

    A run that would delete more pages than `max_delete` allows (None: no limit) raises
    MassDeleteError and changes nothing; `dry_run` reports what a run would do, writing nothing.

    >>> report = reindex("medcodes-index")
    >>> report.to_dict()["added"]
    0
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    named = absolute_inputs(paths)
    if STDIN in named:
        raise InputError("reindex reads folders and files, not standard input (use ingest -)")
    if (dry_run or not named) and not index_started(index_dir):
        raise IndexMissingError(f"no index at {index_dir}")  # before the lock creates the directory
    check_index_folder(index_dir)
    report = ReindexReport(index_dir, dry_run=dry_run)
    with reporting_full_disk(index_dir), write_lock(index_dir, wait=wait):
        live, meta, damage = _live_state(index_dir)
        live_name = live.path.name if live is not None else ""
        if live is None and not damage and not named:
            raise IndexMissingError(f"no index at {index_dir}")  # a first ingest that failed
        if damage and not full:
            raise IndexCorruptError(damage)
        sources = named or (meta.get("sources") if not damage else _recorded_sources(index_dir, live))
        if not sources:
            raise NoSourcesError(f"no sources recorded for index {index_dir}: name the folders to reindex")
        listing = find_inputs(sources, skip_index_folders(index_dir))
        old, report.full_reason = _old_manifest(live, meta, full)
        if report.full_reason:
            log.info("full rebuild of %s: %s", index_dir, report.full_reason)
        result = sync_index(
            index_dir,
            live,
            old,
            listing,
            REINDEX,
            fresh=bool(report.full_reason),
            sources=sorted(sources),
            workers=workers,
            max_bytes=max_bytes,
            time_limit=time_limit,
            on_status=on_status,
            max_delete=max_delete,
            dry_run=dry_run,
            on_progress=on_progress,
        )
        report.counts = result.counts
        report.published = result.published
        report.stop_reason = result.stop_reason
        report.generation = current_generation(index_dir).path.name if result.published else live_name
    report.doc_count = result.meta.get("doc_count", 0)
    report.seconds = time.monotonic() - started
    return report


def _live_state(root: Path) -> tuple[Generation | None, dict[str, Any], str]:
    """The live generation, its metadata, and what is damaged ("" when nothing is)."""
    try:
        live = current_generation(root)
    except IndexMissingError:
        return None, {}, ""
    except IndexCorruptError as err:
        return None, {}, str(err)
    meta, damage = meta_and_damage(live)
    if not damage and meta.get("schema_version") == SCHEMA_VERSION:  # another schema is rebuilt anyway
        try:
            check_readable(live)
        except IndexCorruptError as err:
            damage = str(err)
    return live, meta, damage


def _recorded_sources(root: Path, live: Generation | None) -> list[str]:
    """Sources recorded by the live generation's manifest, else by the newest generation whose
    metadata or manifest still reads: what a rebuild of a damaged index starts from."""
    candidates = ([live] if live is not None else []) + generations(root)
    for generation in candidates:
        if sources := manifest_sources(generation):
            return sources
        try:
            if recorded := generation.read_meta().get("sources"):
                return list(recorded)
        except (OSError, IndexCorruptError):
            continue
    return []


def _old_manifest(live: Generation | None, meta: dict[str, Any], asked: bool) -> tuple[Manifest | None, str]:
    """The live manifest (None if unusable) and why a full rebuild must run ("" if it need not)."""
    if live is None:
        return None, "asked for" if asked else "new index"
    try:
        old = load_manifest(live)
    except IndexCorruptError as err:
        return None, f"unreadable manifest ({err})"
    if asked:
        return old, "asked for"
    if meta.get("schema_version") != SCHEMA_VERSION:
        return old, f"schema version {meta.get('schema_version')} -> {SCHEMA_VERSION}"
    if old is None:
        return None, "the index has no manifest (built by an older medcodes)"
    return old, ""
