"""Ingest: parse inputs and write their pages into a new generation of the index.

Pages are written as they arrive from the parser pool and committed once at the end; the new
generation is published atomically, so a failed or killed ingest leaves the old state live.
Ingest records what each input produced (medcodes.index.manifest), so a later reindex is incremental.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from medcodes.index.fields import check_schema_version
from medcodes.index.lock import write_lock
from medcodes.index.manifest import load_manifest
from medcodes.index.reader import check_readable
from medcodes.index.status import DELETED, INGEST_STATUSES, as_ingest_status
from medcodes.index.store import (
    Generation,
    IndexMissingError,
    IndexPath,
    check_index_folder,
    current_generation,
    holds_index,
    reporting_full_disk,
)
from medcodes.index.sync import (
    INGEST,
    InputStatus,
    ReadProgress,
    RunReport,
    sync_index,
)
from medcodes.pipeline.sources import DEFAULT_MAX_BYTES, STDIN, find_inputs, named_paths
from medcodes.pipeline.time_budget import DEFAULT_PARSE_TIME_LIMIT

log = logging.getLogger(__name__)


@dataclass
class IngestReport(RunReport):
    @property
    def inputs(self) -> int:
        return sum(self.counts[status] for status in INGEST_STATUSES)


__all__ = ["DELETED", "INGEST_STATUSES", "IngestReport", "ingest"]


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    index_dir: IndexPath,
    *,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
    wait: float = 5.0,
    on_status: Callable[[InputStatus], None] | None = None,
    on_input_count: Callable[[int], None] | None = None,
    on_progress: Callable[[ReadProgress], None] | None = None,
) -> IngestReport:
    """Parse every page under `paths` and add it to the index at `index_dir` (created if new).

    A page whose code is already indexed replaces it. Every page is accounted for through
    `on_status`; `on_progress` hears how far reading has come (inputs and pages read); nothing
    is live until the whole run has committed.

    >>> report = ingest(["examples/pages"], "/tmp/medcodes-index")
    >>> report.counts["indexed"] > 0
    True
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    named = absolute_inputs(paths)
    check_index_folder(index_dir)
    named_paths(named)  # a typo fails here, before the lock creates the index folder
    report = IngestReport(index_dir)

    def account(status: InputStatus) -> None:
        status = InputStatus(status.source, as_ingest_status(status.status), status.reason, status.code)
        report.counts[status.status] += 1
        if on_status:
            on_status(status)

    with reporting_full_disk(index_dir), write_lock(index_dir, wait=wait):
        # Listed with the lock held, as reindex does: what is read is what the run saw.
        listing = find_inputs(named, skip_index_folders(index_dir))
        if on_input_count:
            on_input_count(len(listing.files))
        live = live_generation(index_dir)
        recorded = live.read_meta().get("sources", []) if live is not None else []
        result = sync_index(
            index_dir,
            live,
            load_manifest(live) if live is not None else None,
            listing,
            INGEST,
            fresh=live is None,
            sources=sorted(set(recorded) | {p for p in named if p != STDIN}),
            workers=workers,
            max_bytes=max_bytes,
            time_limit=time_limit,
            on_status=account,
            on_progress=on_progress,
        )
    report.seconds = time.monotonic() - started
    report.doc_count = result.meta["doc_count"]
    return report


def absolute_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Input paths made absolute, so that the manifest and recorded sources do not depend on cwd."""
    return [STDIN if p == STDIN else os.path.abspath(p) for p in paths]


def skip_index_folders(index_dir: Path) -> Callable[[Path], bool]:
    """The folders an input walk must not enter (reported as skipped): `index_dir`, and any
    folder holding a medcodes index."""
    own = os.path.abspath(index_dir)
    return lambda folder: os.path.abspath(folder) == own or holds_index(folder)


def live_generation(index_dir: Path) -> Generation | None:
    """The live generation to build on; SchemaMismatchError when it needs a full rebuild."""
    try:
        generation = current_generation(index_dir)
    except IndexMissingError:
        return None
    check_schema_version(index_dir, generation.read_meta())
    check_readable(generation)
    return generation
