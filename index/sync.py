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

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from medcodes.index.guard import DeleteLimit, MassDeleteError, check_deletions, check_unknown_count
from medcodes.index.manifest import (
    FileEntry,
    InputState,
    Manifest,
    PageEntry,
    owners,
    read_state,
    stat_input,
)
from medcodes.index.manifest_spool import SpooledEntries
from medcodes.index.reader import stored_page_count
from medcodes.index.status import (
    ADDED,
    DELETED,
    DUPLICATE,
    INDEXED,
    REJECTED,
    SKIPPED,
    UNCHANGED,
    UNREADABLE,
    UPDATED,
    PageStatus,
)
from medcodes.index.store import Generation, UnreadableSourcesError, meta_and_damage
from medcodes.index.writing import DryRunWriter, GenerationWriter
from medcodes.pipeline.batch import Outcome
from medcodes.pipeline.sources import (
    DEFAULT_MAX_BYTES,
    MEMBER_SEPARATORS,
    STDIN,
    InputListing,
    came_from,
    input_source,
)
from medcodes.pipeline.time_budget import DEFAULT_PARSE_TIME_LIMIT

# A folder holding a medcodes index is skipped, not read as pages; pages it produced before stay.
INDEX_FOLDER = "a medcodes index"


@dataclass(frozen=True)
class InputStatus:
    """What a run did with one page (or one unreadable input, or one deleted key)."""

    source: str
    status: PageStatus
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
    changed: bool = False  # something to publish: a document or the manifest changed
    meta: dict[str, Any] = field(default_factory=dict)  # of the live generation after the run
    published: bool = False
    stop_reason: str = ""  # in a dry run, why a real run would stop (the deletion guard)


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
    listing: InputListing,
    rules: SyncRules,
    *,
    fresh: bool,
    sources: list[str],
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
    on_status: Callable[[InputStatus], None] | None = None,
    max_delete: DeleteLimit | None = None,
    dry_run: bool = False,
    on_progress: Callable[[ReadProgress], None] | None = None,
) -> SyncResult:
    """Make the index at `root` match the inputs of `listing` and publish it if anything changed.

    Call with the write lock held. `old` is the live generation's manifest (None when it has
    none). `fresh` builds a new generation from nothing instead of changing a copy of `live`;
    `sources` (what the inputs were expanded from) is recorded for the next reindex. A run that
    would delete more than `max_delete` allows raises MassDeleteError before publishing; a
    `dry_run` decides everything and writes nothing.
    """
    old_meta, _ = meta_and_damage(live)  # damaged metadata reaches here only in a full rebuild
    writer: GenerationWriter | DryRunWriter
    writer = DryRunWriter(live, fresh=fresh) if dry_run else GenerationWriter(root, live, fresh=fresh)
    with writer, SpooledEntries(root) as parsed:
        sync = _Sync(
            listing, old, writer, rules, workers, max_bytes, time_limit, on_status, on_progress, parsed
        )
        result = sync.run()
        before = _page_count(live, old_meta, old)
        if before is None:
            stop = check_unknown_count(max_delete)
        else:
            deleted = result.counts[DELETED] if old is not None else max(0, before - len(sync.decided))
            stop = check_deletions(deleted, before, max_delete)
        if stop:
            if not dry_run:
                raise MassDeleteError(f"reindex {stop}")
            result.stop_reason = stop
        if dry_run:
            result.meta = old_meta
        elif result.changed or writer.fresh or sources != old_meta.get("sources"):
            assert isinstance(writer, GenerationWriter)
            result.meta = writer.publish({"sources": sources}, sync.manifest)
            result.published = True
        else:
            result.meta = old_meta
    return result


def _page_count(live: Generation | None, meta: dict[str, Any], old: Manifest | None) -> int | None:
    """Pages in the live generation: from its metadata, else its manifest, else its Whoosh
    files; None when none of them can be read (the deletion guard then cannot compare)."""
    if isinstance(meta.get("doc_count"), int):
        return meta["doc_count"]
    if old:
        return len(owners(old))
    if live is None:
        return 0
    return stored_page_count(live)


@dataclass(frozen=True)
class ReadProgress:
    """How far a run's reading has come: inputs read of the inputs it reads (unchanged ones are
    not read), and the pages they held so far — each member of an archive, each JSONL line."""

    inputs_read: int
    inputs_total: int
    pages: int


class _Sync:
    def __init__(
        self,
        listing: InputListing,
        old: Manifest | None,
        writer: GenerationWriter | DryRunWriter,
        rules: SyncRules,
        workers: int | None,
        max_bytes: int,
        time_limit: float | None,
        on_status: Callable[[InputStatus], None] | None,
        on_progress: Callable[[ReadProgress], None] | None = None,
        parsed: SpooledEntries | None = None,
    ) -> None:
        self.listing = listing
        self.inputs = listing.files
        self.order = {path: i for i, path in enumerate(self.inputs)}
        self.old: Manifest = old or {}
        # Without a manifest, an existing index may hold any key: replace rather than add.
        self.keys_unknown = old is None and not writer.fresh
        # A rebuild of an existing index without its manifest cannot tell what an unreadable
        # input held: it must not run (UnreadableSourcesError).
        self.rebuilding_blind = old is None and writer.fresh and writer.live is not None
        self.writer = writer
        self.rules = rules
        self.workers = workers
        self.max_bytes = max_bytes
        self.time_limit = time_limit
        self.on_status = on_status
        self.on_progress = on_progress
        self.progress = ReadProgress(0, 0, 0)
        self.result = SyncResult()
        self.old_owner = owners(self.old)
        self.carried: dict[str, FileEntry] = {}  # inputs kept as the manifest has them
        self.to_read: set[str] = set()
        # Inputs read in this run: on disk, as they are many (index/manifest_spool.py).
        self.parsed: MutableMapping[str, FileEntry] = {} if parsed is None else parsed
        self.manifest: Mapping[str, FileEntry] = {}  # after run(): the manifest to publish
        self.decided: dict[str, PageEntry] = {}  # key -> its indexed page after this run
        self.pending: dict[str, list[_Pending]] = {}  # key -> pages waiting on its old owner
        self.demoted: dict[str, set[str]] = {}  # path -> keys its pages lost to newer ones
        self.deleted: set[str] = set()
        self.kept: set[str] = set()  # inputs not read whose pages stay as they are (UNREADABLE)

    def run(self) -> SyncResult:
        for item in self.listing.skipped:
            self._emit(input_source(item.source), SKIPPED, item.reason)
        for item in self.listing.unreadable:
            self._keep_folder(item.source, item.reason)
        for folder in self.listing.index_folders:
            self._keep_folder(folder, INDEX_FOLDER, SKIPPED)
        if self.rules.drop_missing:
            for folder in self.listing.empty:
                count = sum(1 for path in self.old if _within(path, folder))
                if count:
                    reason = f"empty folder: the pages of its {count} inputs are kept (is it mounted?)"
                    self._keep_folder(folder, reason)
        self._read(self._plan())
        if STDIN in self.parsed and not self.rules.drop_missing:
            self._keep_earlier_stdin_pages()
        while orphans := self._orphans():
            fallback = self._fallback_inputs(orphans)
            if not fallback:
                for key in sorted(orphans):
                    self._delete(key)
                break
            for path in fallback:
                del self.carried[path]
            self._read(list(fallback))
        for path, keys in self.demoted.items():
            if path in self.carried:
                self.carried[path] = _demote(self.carried[path], keys, self.decided)
        for entry in self.carried.values():
            if entry.path in self.order and entry.path not in self.kept:
                self._report_carried(entry)
        self.manifest = _Overlay(self.parsed, self.carried)
        self.result.changed |= _differs(self.manifest, self.old)
        return self.result

    def _plan(self) -> list[InputState | str]:
        """Fill `carried`; return the inputs to read: their state, when it was taken to compare
        it with the manifest's, else their path (the state is taken just before it is read)."""
        to_read: list[InputState | str] = []
        misfiled = self._misfiled()
        for path in self.inputs:
            before = self.old.get(path)
            trusted = self.rules.skip_unchanged and not self.writer.fresh and path not in misfiled
            if not trusted:
                to_read.append(path)
                continue
            stat = stat_input(path)
            if before is not None and stat:
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

    def _misfiled(self) -> set[str]:
        """Inputs to read again because an older medcodes filed one's pages under another.

        A file named `x.zip#y.txt` (or `c.txt:7`) had its page recorded under the input `x.zip`
        (`c.txt`), and no page of its own: no input has an empty entry now. Both are read again,
        so that the page moves to its file and leaves with it.
        """
        empty = [path for path, entry in self.old.items() if not entry.pages]
        return set(empty) | {
            path
            for name in empty
            for path in self.old
            if name.startswith(path) and name[len(path) : len(path) + 1] in tuple(MEMBER_SEPARATORS)
        }

    def _keep_folder(self, folder: str, reason: str, status: str = UNREADABLE) -> None:
        """An input folder (or file) that was not read: report it, keep what it held."""
        self._emit(input_source(folder), status, reason)
        if self.rebuilding_blind and status == UNREADABLE:
            raise UnreadableSourcesError(_cannot_rebuild(folder, reason))
        for path, entry in self.old.items():
            if _within(path, folder) and path not in self.order:
                self._keep(entry, reason)

    def _keep(self, entry: FileEntry, reason: str) -> None:
        """Keep an unread input's pages as the manifest has them; a rebuild cannot, so it stops."""
        if self.writer.fresh and any(page.state == INDEXED for page in entry.pages):
            raise UnreadableSourcesError(_cannot_rebuild(entry.path, reason))
        self.carried[entry.path] = entry
        self.kept.add(entry.path)
        for page in entry.pages:
            if page.state == INDEXED and page.key:
                if page.key in self.decided:
                    self.demoted.setdefault(entry.path, set()).add(page.key)
                else:
                    self.decided[page.key] = page

    def _keep_earlier_stdin_pages(self) -> None:
        """Each `ingest -` is an input of its own: the pages of earlier ones stay indexed."""
        earlier = self.old.get(STDIN)
        if earlier is None:
            return
        kept = []
        for page in earlier.pages:
            key = page.key
            if page.state == INDEXED and key and key not in self.decided:
                self.decided[key] = page
                kept.append(page)
        entry = self.parsed[STDIN]
        self.parsed[STDIN] = entry.with_pages((*entry.pages, *kept))

    def _read(self, inputs: list[InputState | str]) -> None:
        # An input's stat and digest are taken as the parse comes to it, just before it is read
        # (in this process, while the workers parse the inputs before it): not all up front.
        by_path = {item if isinstance(item, str) else item.path: item for item in inputs}
        self.to_read.update(by_path)
        paths = list(by_path)

        def take_state(path: str) -> InputState:
            state = by_path[path]
            if isinstance(state, str):
                state = by_path[path] = read_state(path, stat_input(path))
            return state

        parsed = self.writer.parse(paths, self.workers, self.max_bytes, self.time_limit, on_read=take_state)
        self._advance(0, len(paths), 0)
        for path, outcomes in group_by_input(paths, parsed):
            # Each page is placed (written, reported) as it comes and not kept, so that a
            # container of many pages is accounted for as it is read, in bounded memory.
            entries: list[PageEntry] = []
            for outcome in outcomes:
                self._advance(0, 0, 1)
                if not entries and outcome.unreadable and outcome.source == input_source(path):
                    # An input that could not be read at all: its only outcome.
                    self._unreadable_input(path, outcome.reason)
                    break
                self._place(path, outcome, entries)
            else:
                self.parsed[path] = take_state(path).entry(entries)  # taken already, as it was read
                del by_path[path]
                self._settle(path)
            self._advance(1, 0, 0)

    def _advance(self, inputs_read: int, inputs_total: int, pages: int) -> None:
        done = self.progress
        self.progress = ReadProgress(
            done.inputs_read + inputs_read, done.inputs_total + inputs_total, done.pages + pages
        )
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def _unreadable_input(self, path: str, reason: str) -> None:
        self._emit(input_source(path), UNREADABLE, reason)
        self.to_read.discard(path)
        before = self.old.get(path)
        if before is not None:
            self._keep(before, reason)
        elif self.rebuilding_blind:
            raise UnreadableSourcesError(_cannot_rebuild(path, reason))
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
                # Its input's entry was recorded, with the placeholder, when it was read.
                self.parsed[item.path] = self.parsed[item.path].with_pages(item.entries)

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
            self.on_status(InputStatus(source, PageStatus(status), reason, key))


def group_by_input(inputs: list[str], outcomes: Iterable[Outcome]) -> Iterator[tuple[str, Iterator[Outcome]]]:
    """Group a stream of outcomes in input order by the input each came from, lazily: each
    group is read from the stream as it is consumed (what is left of it is skipped).

    A page file's outcome has the input's path as its source; a page inside a container has
    the container's path followed by "#" and its name or URL, or ":" and its line number, the
    path's own `#` and `:` escaped (medcodes.pipeline.sources.input_source), so that a file named
    `x.zip#y.txt` beside `x.zip` is its own input. Every input yields at least one outcome, if
    only its rejection.
    """
    stream = iter(outcomes)
    ahead: list[Outcome] = []  # an outcome read from the stream and not yet taken

    def peek() -> Outcome | None:
        if not ahead and (outcome := next(stream, None)) is not None:
            ahead.append(outcome)
        return ahead[0] if ahead else None

    def group(path: str) -> Iterator[Outcome]:
        while (outcome := peek()) is not None and came_from(outcome.source, path):
            yield ahead.pop()

    for path in inputs:
        outcomes_of_path = group(path)
        yield path, outcomes_of_path
        for _ in outcomes_of_path:
            pass
    if (left := peek()) is not None:
        raise ValueError(f"page {left.source!r} comes from none of the inputs")


class _Overlay(Mapping[str, FileEntry]):
    """Two mappings read as one, the first's entries over the second's, without copying
    either (the first may be on disk)."""

    def __init__(self, over: Mapping[str, FileEntry], under: Mapping[str, FileEntry]) -> None:
        self._over = over
        self._under = under

    def __getitem__(self, path: str) -> FileEntry:
        return self._over[path] if path in self._over else self._under[path]

    def __contains__(self, path: object) -> bool:
        return path in self._over or path in self._under

    def __iter__(self) -> Iterator[str]:
        yield from self._over
        yield from (path for path in self._under if path not in self._over)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _differs(manifest: Mapping[str, FileEntry], old: Manifest) -> bool:
    """Whether `manifest` differs from `old`, reading one entry at a time."""
    if len(manifest) != len(old):
        return True
    return any(path not in old or manifest[path] != old[path] for path in manifest)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _cannot_rebuild(path: str, reason: str) -> str:
    return (
        f"cannot rebuild: {path} cannot be read ({reason}) and its pages would be lost; "
        "the index is unchanged"
    )


def _demote(entry: FileEntry, keys: set[str], decided: dict[str, PageEntry]) -> FileEntry:
    """Mark the pages of `entry` that lost their key to a newer page as duplicates."""
    pages = []
    for page in entry.pages:
        if page.state == INDEXED and page.key in keys:
            reason = f"replaced by {decided[page.key].source}"
            page = replace(page, state=DUPLICATE, reason=reason)
        pages.append(page)
    return entry.with_pages(pages)


__all__ = [
    "INGEST",
    "REINDEX",
    "InputStatus",
    "ReadProgress",
    "SyncResult",
    "SyncRules",
    "UnreadableSourcesError",
    "group_by_input",
    "sync_index",
]
