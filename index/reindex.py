"""Reindex: bring the index in step with its source folders, re-parsing only what changed.

Sources default to those recorded at the last ingest or reindex. An input whose size and mtime
are as the manifest has them is not read; one whose bytes hash the same is not parsed; the pages
of a changed input are added, updated or deleted; inputs that disappeared lose their pages. A
full rebuild (asked for, or forced by a schema change or a missing manifest) builds a fresh
generation beside the live one. Either way readers switch atomically at publish.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.build import absolute_inputs
from index.lock import write_lock
from index.manifest import DUPLICATE, REJECTED, Manifest, load_manifest
from index.schema import SCHEMA_VERSION
from index.store import (
    Generation,
    IndexCorruptError,
    IndexMissingError,
    NoSourcesError,
    current_generation,
)
from index.sync import ADDED, DELETED, REINDEX, UNCHANGED, UPDATED, InputStatus, RunReport, sync_index
from pipeline.sources import DEFAULT_MAX_BYTES, STDIN, InputError, expand_inputs

log = logging.getLogger(__name__)


@dataclass
class ReindexReport(RunReport):
    """What one reindex did; `to_dict` is the `--json` object and the `--log-json` line."""

    full_reason: str = ""  # why a full rebuild ran; "" for an incremental reindex
    generation: str = ""
    published: bool = False

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
            "seconds": round(self.seconds, 3),
            "pages": self.doc_count,
            "full": bool(self.full_reason),
            "full_reason": self.full_reason or None,
            "changed": self.changed,
            "index": str(self.index_dir),
            "generation": self.generation,
        }


def reindex(
    index_dir: Path,
    paths: Iterable[str] = (),
    *,
    full: bool = False,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    wait: float = 5.0,
    on_status: Callable[[InputStatus], None] | None = None,
) -> ReindexReport:
    """Make the index at `index_dir` mirror `paths` (default: its recorded sources).

    >>> report = reindex(Path("medcodes-index"))
    >>> report.to_dict()["added"]
    0
    """
    started = time.monotonic()
    named = absolute_inputs(paths)
    if STDIN in named:
        raise InputError("reindex reads folders and files, not standard input (use ingest -)")
    if not named:
        current_generation(index_dir)  # IndexMissingError before the lock creates the directory
    report = ReindexReport(index_dir)
    with write_lock(index_dir, wait=wait):
        try:
            live = current_generation(index_dir)
        except IndexMissingError:
            if not named:
                raise
            live = None
        meta = live.read_meta() if live is not None else {}
        sources = named or meta.get("sources") or []
        if not sources:
            raise NoSourcesError(f"no sources recorded for index {index_dir}: name the folders to reindex")
        files = expand_inputs(sources)
        old, report.full_reason = _old_manifest(live, meta, full)
        if report.full_reason:
            log.info("full rebuild of %s: %s", index_dir, report.full_reason)
        result = sync_index(
            index_dir,
            live,
            old,
            files,
            REINDEX,
            fresh=bool(report.full_reason),
            sources=sorted(sources),
            workers=workers,
            max_bytes=max_bytes,
            on_status=on_status,
        )
        report.counts = result.counts
        report.published = result.published
        report.generation = current_generation(index_dir).path.name
    report.doc_count = result.meta["doc_count"]
    report.seconds = time.monotonic() - started
    return report


def _old_manifest(live: Generation | None, meta: dict[str, Any], asked: bool) -> tuple[Manifest | None, str]:
    """The live manifest (None if unusable) and why a full rebuild must run ("" if it need not)."""
    if live is None:
        return None, "new index"
    try:
        old = load_manifest(live)
    except IndexCorruptError as err:
        return None, f"unreadable manifest ({err})"
    if asked:
        return old, "asked for (--full)"
    if meta.get("schema_version") != SCHEMA_VERSION:
        return old, f"schema version {meta.get('schema_version')} -> {SCHEMA_VERSION}"
    if old is None:
        return None, "the index has no manifest (built by an older medcodes)"
    return old, ""
