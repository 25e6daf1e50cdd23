"""What became of a page in a run: the one vocabulary of ingest, reindex, the manifest, their
reports (`--report`, `--json`) and the CLI.

A run accounts for each page of its sources exactly once. A reindex reports ADDED, UPDATED,
UNCHANGED, DUPLICATE or REJECTED; an ingest reports a page that is in the index after the run
as INDEXED, whether it was new, replaced or found alike. DELETED counts keys that left the
index. Inputs that were not read: UNREADABLE (a folder that cannot be listed, a file that
cannot be read, a folder found empty) keeps whatever pages it produced before; SKIPPED (a
FIFO, a socket, a device) is never opened, nor is a folder holding a medcodes index. The
manifest records a page as INDEXED, DUPLICATE or REJECTED.

A whole run ends in one RunStatus (the `status` of a `reindex --log-json` line).
"""

from __future__ import annotations

from enum import StrEnum


class PageStatus(StrEnum):
    """A status is its own value as text ("added"): reports and JSON carry the plain string."""

    INDEXED = "indexed"
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    DELETED = "deleted"
    UNREADABLE = "unreadable"
    SKIPPED = "skipped"


INDEXED = PageStatus.INDEXED
ADDED = PageStatus.ADDED
UPDATED = PageStatus.UPDATED
UNCHANGED = PageStatus.UNCHANGED
DUPLICATE = PageStatus.DUPLICATE
REJECTED = PageStatus.REJECTED
DELETED = PageStatus.DELETED
UNREADABLE = PageStatus.UNREADABLE
SKIPPED = PageStatus.SKIPPED

# How every input of an ingest ends (DELETED counts codes that left the index besides).
INGEST_STATUSES = (INDEXED, DUPLICATE, REJECTED, UNREADABLE, SKIPPED)
# The states of a page in the manifest.
MANIFEST_STATES = (INDEXED, DUPLICATE, REJECTED)


class RunStatus(StrEnum):
    """How a whole run ended, worst first: what `reindex --log-json` records and its exit status says."""

    ERROR = "error"  # the run failed: nothing was published
    BUSY = "busy"  # another writer held the index: nothing was done
    WOULD_STOP = "would_stop"  # a dry run of a run that would stop (too many deletions)
    UNREADABLE = "unreadable"  # done, but an input could not be read (its pages were kept)
    REJECTED = "rejected"  # done, but some pages were rejected
    OK = "ok"


def as_ingest_status(status: PageStatus) -> PageStatus:
    """The status an ingest reports: a page in the index after the run is INDEXED."""
    return INDEXED if status in (ADDED, UPDATED, UNCHANGED) else status


__all__ = [
    "ADDED",
    "DELETED",
    "DUPLICATE",
    "INDEXED",
    "INGEST_STATUSES",
    "MANIFEST_STATES",
    "REJECTED",
    "SKIPPED",
    "UNCHANGED",
    "UNREADABLE",
    "UPDATED",
    "PageStatus",
    "RunStatus",
    "as_ingest_status",
]
