"""Bring the index in step with its inputs: decide, page by page, what to add, replace or delete.

Ingest and reindex are the same job with different rules, so both run `sync`:
- which inputs are read: all of them (ingest, full rebuild), or only those whose size, mtime
  and then SHA-256 changed since the manifest was written (incremental reindex);
- what happens to inputs the manifest knows but the run does not name: kept (ingest) or their
  pages dropped (reindex: the index mirrors its sources);
- who owns a key that several inputs produce: ingest lets the page it reads now replace the
  indexed one; reindex keeps the indexed page while its input still produces the key, and
  otherwise hands the key to the first input that still produces it (re-reading that input
  if it did not change), or deletes it.

Pages stream from the parser pool into the writer; only pages whose fate depends on an input
not parsed yet (a duplicate key across changed inputs) wait in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index.manifest import (
    DUPLICATE,
    INDEXED,
    REJECTED,
    FileEntry,
    InputState,
    Manifest,
    PageEntry,
    owners,
    read_state,
    stat_input,
)
from index.store import Generation
from index.writing import GenerationWriter
from pipeline.batch import Outcome
from pipeline.sources import DEFAULT_MAX_BYTES

# What became of a page (report statuses). A sync counts each page in the sources exactly once
# as ADDED, UPDATED, UNCHANGED, DUPLICATE or REJECTED; DELETED counts keys that left the index.
ADDED = "added"
UPDATED = "updated"
UNCHANGED = "unchanged"
DELETED = "deleted"


@dataclass(frozen=True)
class InputStatus:
    """What a run did with one page (or one unreadable input, or one deleted key)."""

    source: str
    status: str
    reason: str = ""
    code: str | None = None  # the page's key, "system:code"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.source, "status": self.status, "reason": self.reason, "code": self.code}


@dataclass(frozen=True)
class SyncRules:
    """How a run treats inputs (see the module docstring)."""

    skip_unchanged: bool  # trust size/mtime/digest and do not parse unchanged inputs
    drop_missing: bool  # inputs the manifest knows but the run does not name lose their pages
    newest_wins: bool  # a page read now replaces the indexed page of its key


INGEST = SyncRules(skip_unchanged=False, drop_missing=False, newest_wins=True)
REINDEX = SyncRules(skip_unchanged=True, drop_missing=True, newest_wins=False)


@dataclass
class RunReport:
    """What an ingest or reindex run did: page counts by status, time, pages in the index."""

    index_dir: Path
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    doc_count: int = 0


@dataclass
class SyncResult:
    counts: Counter[str] = field(default_factory=Counter)
    manifest: Manifest = field(default_factory=dict)
    changed: bool = False  # something to publish: a document or the manifest changed
    meta: dict[str, Any] = field(default_factory=dict)  # of the live generation after the run
    published: bool = False


@dataclass
class _Pending:
    """A page whose key belongs to an input that is parsed later in this run."""

    path: str
    outcome: Outcome
    entries: list[PageEntry]
    slot: int  # its place in `entries`


def sync_index(
    root: Path,
    live: Generation | None,
    old: Manifest | None,
    inputs: list[str],
    rules: SyncRules,
    *,
    fresh: bool,
    sources: list[str],
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_status: Callable[[InputStatus], None] | None = None,
) -> SyncResult:
    """Make the index at `root` match `inputs` (files, in order) and publish it if anything changed.

    Call with the write lock held. `old` is the live generation's manifest (None when it has
    none). `fresh` builds a new generation from nothing instead of changing a copy of `live`;
    `sources` (what the inputs were expanded from) is recorded for the next reindex.
    """
    old_meta = live.read_meta() if live is not None else {}
    with GenerationWriter(root, live, fresh=fresh) as writer:
        result = _Sync(inputs, old, writer, rules, workers, max_bytes, on_status).run()
        if result.changed or writer.fresh or sources != old_meta.get("sources"):
            result.meta = writer.publish({"sources": sources}, result.manifest.values())
            result.published = True
        else:
            result.meta = old_meta
    return result


class _Sync:
    def __init__(
        self,
        inputs: list[str],
        old: Manifest | None,
        writer: GenerationWriter,
        rules: SyncRules,
        workers: int | None,
        max_bytes: int,
        on_status: Callable[[InputStatus], None] | None,
    ) -> None:
        self.inputs = inputs
        self.order = {path: i for i, path in enumerate(inputs)}
        self.old: Manifest = old or {}
        # Without a manifest, an existing index may hold any key: replace rather than add.
        self.keys_unknown = old is None and not writer.fresh
        self.writer = writer
        self.rules = rules
        self.workers = workers
        self.max_bytes = max_bytes
        self.on_status = on_status
        self.result = SyncResult()
        self.old_owner = owners(self.old)
        self.carried: dict[str, FileEntry] = {}  # inputs kept as the manifest has them
        self.to_read: set[str] = set()
        self.parsed: dict[str, FileEntry] = {}  # inputs read in this run
        self.decided: dict[str, PageEntry] = {}  # key -> its indexed page after this run
        self.pending: dict[str, list[_Pending]] = {}  # key -> pages waiting on its old owner
        self.demoted: dict[str, set[str]] = {}  # path -> keys its pages lost to newer ones
        self.deleted: set[str] = set()

    def run(self) -> SyncResult:
        self._read(self._plan())
        while orphans := self._orphans():
            fallback = self._fallback_inputs(orphans)
            if not fallback:
                for key in sorted(orphans):
                    self._delete(key)
                break
            for path in fallback:
                del self.carried[path]
            self._read([read_state(path, stat_input(path)) for path in fallback])
        for path, keys in self.demoted.items():
            if path in self.carried:
                self.carried[path] = _demote(self.carried[path], keys, self.decided)
        for entry in self.carried.values():
            self._report_carried(entry)
        manifest = {**self.carried, **self.parsed}
        self.result.manifest = manifest
        self.result.changed |= manifest != self.old
        return self.result

    def _plan(self) -> list[InputState]:
        """Fill `carried`; return the inputs to read, with their state taken before reading."""
        to_read: list[InputState] = []
        for path in self.inputs:
            before = self.old.get(path)
            stat = stat_input(path)
            if self.rules.skip_unchanged and not self.writer.fresh and before is not None and stat:
                if before.same_stat(stat):
                    self.carried[path] = before
                    continue
                state = read_state(path, stat)
                if state.digest and state.digest == before.digest:
                    # Touched, not changed: remember the new stat, do not parse it again.
                    self.carried[path] = replace(before, size=state.size, mtime_ns=state.mtime_ns)
                    continue
            else:
                state = read_state(path, stat)
            to_read.append(state)
        if not self.rules.drop_missing and not self.writer.fresh:
            named = set(self.inputs)
            self.carried.update({path: entry for path, entry in self.old.items() if path not in named})
        return to_read

    def _read(self, states: list[InputState]) -> None:
        by_path = {state.path: state for state in states}
        self.to_read.update(by_path)
        paths = list(by_path)
        parsed = self.writer.parse(paths, self.workers, self.max_bytes)
        for path, outcomes in group_by_input(paths, parsed):
            entries: list[PageEntry] = []
            for outcome in outcomes:
                self._place(path, outcome, entries)
            self.parsed[path] = by_path[path].entry(entries)
            self._settle(path)

    def _place(self, path: str, outcome: Outcome, entries: list[PageEntry]) -> None:
        """Decide one parsed page: index it, call it a duplicate, or wait for its key's owner."""
        page = outcome.page
        if page is None:
            entries.append(PageEntry(outcome.source, None, "", REJECTED, outcome.reason))
            self._emit(outcome.source, REJECTED, outcome.reason)
            return
        if page.key in self.decided:
            entries.append(self._duplicate(outcome, self.decided[page.key]))
            return
        owner = self.old_owner.get(page.key)
        if owner is None or owner[0] == path or self.rules.newest_wins:
            self._take(path, outcome, entries)
        elif owner[0] in self.carried:
            # Its indexed page comes from an unchanged input that still produces it.
            self.decided[page.key] = owner[1]
            entries.append(self._duplicate(outcome, owner[1]))
        elif owner[0] in self.to_read and owner[0] not in self.parsed:
            entries.append(PageEntry(outcome.source, page.key, page.content_hash, DUPLICATE))
            self.pending.setdefault(page.key, []).append(_Pending(path, outcome, entries, len(entries) - 1))
        else:
            # Its old owner was read and no longer produces it, or is no longer a source.
            self._take(path, outcome, entries)

    def _settle(self, path: str) -> None:
        """Now that `path` is read, pages waiting on keys it used to own get their answer."""
        for key in [k for k in self.pending if self.old_owner[k][0] == path]:
            for item in self.pending.pop(key):
                if key in self.decided:
                    item.entries[item.slot] = self._duplicate(item.outcome, self.decided[key])
                else:
                    self._take(item.path, item.outcome, item.entries, slot=item.slot)

    def _take(self, path: str, outcome: Outcome, entries: list[PageEntry], slot: int | None = None) -> None:
        """Make this page the indexed one for its key; write it unless the index has it already."""
        page = outcome.page
        assert page is not None
        # An indexed page's reason carries the parser's notes ("title truncated"), for review.
        notes = "; ".join(page.notes)
        entry = PageEntry(outcome.source, page.key, page.content_hash, INDEXED, notes)
        self.decided[page.key] = entry
        owner = self.old_owner.get(page.key)
        if owner is None:
            status = ADDED
        elif (owner[1].content_hash, owner[1].source) == (page.content_hash, outcome.source):
            status = UNCHANGED
        else:
            status = UPDATED
        if status != UNCHANGED or self.writer.fresh:
            ref = getattr(outcome, "ref", None)  # already indexed by a sharded build
            self.writer.put(page, replace=owner is not None or self.keys_unknown, ref=ref)
            self.result.changed = True
        if owner is not None and owner[0] != path and self.rules.newest_wins:
            self.demoted.setdefault(owner[0], set()).add(page.key)
        if slot is None:
            entries.append(entry)
        else:
            entries[slot] = entry
        self._emit(outcome.source, status, notes, page.key)

    def _duplicate(self, outcome: Outcome, kept: PageEntry) -> PageEntry:
        page = outcome.page
        assert page is not None
        same = "same page" if kept.content_hash == page.content_hash else "same code, other content"
        reason = f"{same} as {kept.source}"
        self._emit(outcome.source, DUPLICATE, reason, page.key)
        return PageEntry(outcome.source, page.key, page.content_hash, DUPLICATE, reason)

    def _orphans(self) -> set[str]:
        """Keys whose old owner was read again or dropped, and that no page took in this run."""
        return {
            key
            for key, (path, _) in self.old_owner.items()
            if path not in self.carried and key not in self.decided and key not in self.deleted
        }

    def _fallback_inputs(self, orphans: set[str]) -> list[str]:
        """Unchanged inputs that also produce an orphaned key, to be read again, in input order."""
        found = [
            path
            for path, entry in self.carried.items()
            if any(page.key in orphans for page in entry.pages if page.state == DUPLICATE)
        ]
        # Inputs of earlier ingests that this run does not name come after its own.
        return sorted(found, key=lambda path: (self.order.get(path, len(self.order)), path))

    def _delete(self, key: str) -> None:
        self.writer.delete(key)
        self.deleted.add(key)
        self.result.changed = True
        self._emit(self.old_owner[key][1].source, DELETED, "", key)

    def _report_carried(self, entry: FileEntry) -> None:
        for page in entry.pages:
            self._emit(page.source, UNCHANGED if page.state == INDEXED else page.state, page.reason, page.key)

    def _emit(self, source: str, status: str, reason: str = "", key: str | None = None) -> None:
        self.result.counts[status] += 1
        if self.on_status is not None:
            self.on_status(InputStatus(source, status, reason, key))


def group_by_input(inputs: list[str], outcomes: Iterable[Outcome]) -> Iterator[tuple[str, list[Outcome]]]:
    """Group a stream of outcomes in input order by the input each came from.

    A page file's outcome has the input's path as its source; a page inside a container has
    the container's path followed by "#" and its name or URL, or ":" and its line number
    (pipeline.sources). Every input yields at least one outcome, if only its rejection.
    """
    remaining = iter(inputs)
    current = next(remaining, None)
    group: list[Outcome] = []
    for outcome in outcomes:
        while current is not None and not _came_from(outcome.source, current):
            yield current, group
            group, current = [], next(remaining, None)
        if current is None:
            raise ValueError(f"page {outcome.source!r} comes from none of the inputs")
        group.append(outcome)
    while current is not None:
        yield current, group
        group, current = [], next(remaining, None)


def _came_from(source: str, path: str) -> bool:
    return source == path or (source.startswith(path) and source[len(path) : len(path) + 1] in ("#", ":"))


def _demote(entry: FileEntry, keys: set[str], decided: dict[str, PageEntry]) -> FileEntry:
    """Mark the pages of `entry` that lost their key to a newer page as duplicates."""
    pages = []
    for page in entry.pages:
        if page.state == INDEXED and page.key in keys:
            reason = f"replaced by {decided[page.key].source}"
            page = replace(page, state=DUPLICATE, reason=reason)
        pages.append(page)
    return entry.with_pages(pages)


__all__ = ["INGEST", "REINDEX", "InputStatus", "SyncResult", "SyncRules", "group_by_input", "sync_index"]
