"""The deletion guard: a reindex that would delete a large share of the index stops instead.

A source folder that is half gone (a failed sync, a crawler that wiped its output) looks to a
reindex like pages that were removed on purpose. Deleting many pages at once is rare enough
that it is refused unless allowed, before anything is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcodes.errors import MedcodesError

# By default a run stops when it would delete more than 50 pages and more than 10% of them.
DEFAULT_MAX_PAGES = 50
DEFAULT_MAX_SHARE = 0.10
_LIMIT = re.compile(r"^\s*(\d+)\s*(%?)\s*$")


class MassDeleteError(MedcodesError, RuntimeError):
    """A run would delete more pages than its DeleteLimit allows; nothing was changed."""


@dataclass(frozen=True)
class DeleteLimit:
    """How many deletions a run may make: more than `pages` AND more than `share` of the index
    stops it; a None part does not apply.

    >>> DeleteLimit().exceeded(deleted=51, total=500)
    True
    """

    pages: int | None = DEFAULT_MAX_PAGES
    share: float | None = DEFAULT_MAX_SHARE

    def exceeded(self, deleted: int, total: int) -> bool:
        over_pages = self.pages is None or deleted > self.pages
        over_share = self.share is None or deleted > self.share * total
        return deleted > 0 and over_pages and over_share

    def describe(self) -> str:
        parts = []
        if self.share is not None:
            parts.append(f"more than {self.share * 100:g}% of the pages")
        if self.pages is not None:
            parts.append(f"more than {self.pages} pages")
        return " and ".join(parts)


def parse_delete_limit(text: str) -> DeleteLimit:
    """`--max-delete`: "N" allows N deleted pages, "P%" allows P percent of the pages.

    >>> parse_delete_limit("5%")
    DeleteLimit(pages=None, share=0.05)
    """
    match = _LIMIT.match(text)
    if not match:
        raise ValueError(f"not a number of pages or a percentage: {text!r} (e.g. 100 or 5%)")
    number = int(match.group(1))
    if match.group(2):
        if number > 100:
            raise ValueError(f"a percentage is at most 100%: {text!r}")
        return DeleteLimit(pages=None, share=number / 100)
    return DeleteLimit(pages=number, share=None)


def check_deletions(deleted: int, total: int, limit: DeleteLimit | None) -> str:
    """The reason a run must stop ("" when it may go on); `limit` None allows anything."""
    if limit is None or not limit.exceeded(deleted, total):
        return ""
    return (
        f"would delete {deleted} of {total} pages ({limit.describe()}); nothing was changed: "
        "check the source folders, or run again with --max-delete or --allow-mass-delete"
    )


def check_unknown_count(limit: DeleteLimit | None) -> str:
    """The reason a rebuild must stop when the live page count cannot be read at all (metadata,
    manifest and Whoosh files all damaged): what it deletes cannot be told, so only
    --allow-mass-delete (`limit` None) lets it run."""
    if limit is None:
        return ""
    return (
        "cannot tell how many pages the damaged index holds, so not what a rebuild would delete; "
        "nothing was changed: check the source folders, then run again with --allow-mass-delete"
    )
