"""Ingest: parse inputs and write their pages into a new generation of the index.

Pages are written as they arrive from the parser pool and committed once at the end; the new
generation is published atomically, so a failed or killed ingest leaves the old state live.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index.lock import write_lock
from index.reader import count_pages
from index.schema import SCHEMA_VERSION, build_schema, page_to_document
from index.store import (
    Generation,
    IndexMissingError,
    current_generation,
    discard,
    next_generation,
    publish,
    remove_stale_generations,
    write_meta,
)
from pipeline.batch import Outcome, parse_inputs
from pipeline.sources import DEFAULT_MAX_BYTES, expand_inputs

log = logging.getLogger(__name__)

INDEXED = "indexed"
DUPLICATE = "duplicate"
REJECTED = "rejected"
# Memory the Whoosh writer may use before it spills a run to disk.
WRITER_LIMIT_MB = 256


class SchemaMismatchError(RuntimeError):
    """The index was built with another schema version and must be rebuilt."""


@dataclass(frozen=True)
class InputStatus:
    """What ingest did with one page (or one unreadable input)."""

    source: str
    status: str  # INDEXED, DUPLICATE or REJECTED
    reason: str = ""
    code: str | None = None  # the page's key, "system:code"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.source, "status": self.status, "reason": self.reason, "code": self.code}


@dataclass
class IngestReport:
    index_dir: Path
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    doc_count: int = 0

    @property
    def inputs(self) -> int:
        return sum(self.counts.values())


def ingest(
    paths: Iterable[str],
    index_dir: Path,
    *,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    wait: float = 5.0,
    on_status: Callable[[InputStatus], None] | None = None,
    on_input_count: Callable[[int], None] | None = None,
) -> IngestReport:
    """Parse every page under `paths` and add it to the index at `index_dir` (created if new).

    A page whose code is already indexed replaces it. Every page is accounted for through
    `on_status`; nothing is live until the whole run has committed.

    >>> report = ingest(["examples/pages"], Path("/tmp/medcodes-index"))
    >>> report.counts["indexed"] > 0
    True
    """
    started = time.monotonic()
    sources = expand_inputs(paths)
    if on_input_count:
        on_input_count(len(sources))
    report = IngestReport(index_dir)
    with write_lock(index_dir, wait=wait):
        base = _live_generation(index_dir)
        generation = next_generation(index_dir, base)
        try:
            meta = _write_pages(
                generation, base, parse_inputs(sources, workers, max_bytes), report, on_status
            )
            meta["sources"] = sorted(
                set(meta.get("sources", [])) | {str(Path(p).resolve()) for p in paths if p != "-"}
            )
            write_meta(generation, meta)
            publish(index_dir, generation)
        except BaseException:
            discard(generation)
            raise
        remove_stale_generations(index_dir)
    report.seconds = time.monotonic() - started
    report.doc_count = meta["doc_count"]
    return report


def _live_generation(index_dir: Path) -> Generation | None:
    try:
        generation = current_generation(index_dir)
    except IndexMissingError:
        return None
    version = generation.read_meta().get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaMismatchError(
            f"index at {index_dir} has schema version {version}, this medcodes writes "
            f"{SCHEMA_VERSION}: rebuild it into a new directory"
        )
    return generation


def _write_pages(
    generation: Generation,
    base: Generation | None,
    outcomes: Iterable[Outcome],
    report: IngestReport,
    on_status: Callable[[InputStatus], None] | None,
) -> dict[str, Any]:
    """Write every parsed page; returns the metadata of the new generation."""
    if base is None:
        ix = whoosh_index.create_in(str(generation.path), build_schema())
        meta: dict[str, Any] = {"created": _now()}
    else:
        ix = whoosh_index.open_dir(str(generation.path))
        meta = base.read_meta()
    seen: dict[str, tuple[str, str]] = {}  # key -> (source, content hash) in this run
    writer = ix.writer(limitmb=WRITER_LIMIT_MB)
    try:
        add = writer.add_document if base is None else writer.update_document
        for outcome in outcomes:
            status = _account(outcome, seen)
            if status.status == INDEXED:
                add(**page_to_document(outcome.page))
            report.counts[status.status] += 1
            if on_status:
                on_status(status)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    meta.update(schema_version=SCHEMA_VERSION, updated=_now(), **count_pages(ix))
    ix.close()
    return meta


def _account(outcome: Outcome, seen: dict[str, tuple[str, str]]) -> InputStatus:
    page = outcome.page
    if page is None:
        return InputStatus(outcome.source, REJECTED, outcome.reason)
    first = seen.get(page.key)
    if first is not None:
        same = "same page" if first[1] == page.content_hash else "same code, other content"
        return InputStatus(outcome.source, DUPLICATE, f"{same} as {first[0]}", page.key)
    seen[page.key] = (outcome.source, page.content_hash)
    # An indexed page's reason carries the parser's notes ("title truncated", "content may not
    # match the title"), so that the report flags what a reviewer should look at.
    return InputStatus(outcome.source, INDEXED, "; ".join(page.notes), page.key)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
