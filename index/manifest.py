"""What each input file produced, kept beside the index so that a reindex parses only changes.

One JSON line per input file in the generation directory (`manifest.jsonl`): its size and
mtime at the last read (the cheap pre-check), the SHA-256 of its bytes (so a file that was only
touched is not parsed again) and every page it yielded — key, content hash, and whether that page
is the indexed one for its key, a duplicate of another input's, or rejected with a reason. It is
a side file rather than Whoosh fields so that the schema stays about searching.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from medcodes.index.status import INDEXED
from medcodes.index.store import MANIFEST_FILE, Generation, IndexCorruptError, handle_digest
from medcodes.pipeline.sources import STDIN, InputReadError, input_source, open_regular

MANIFEST_VERSION = 1
# A file modified this recently may change again within the file system's timestamp
# granularity without its size or mtime moving; such a stat is not trusted next time.
RACY_SECONDS = 1.0
_UNTRUSTED = -1


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One page an input produced, as the index holds it."""

    source: str  # the page's origin: the input path, or "archive.warc.gz#url" inside a container
    # (the path's own "#", ":" and "\\" escaped: medcodes.pipeline.sources.input_source)
    key: str | None  # "system:code", None when rejected
    content_hash: str = ""
    state: str = INDEXED  # one of MANIFEST_STATES (medcodes.index.status)
    reason: str = ""  # why rejected, or whose duplicate it is


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One input file: how it looked when read, and the pages it produced."""

    path: str
    size: int
    mtime_ns: int
    digest: str  # SHA-256 of the bytes; "" when the file could not be read
    pages: tuple[PageEntry, ...]

    def same_stat(self, stat: os.stat_result) -> bool:
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns

    def with_pages(self, pages: Iterable[PageEntry]) -> FileEntry:
        return replace(self, pages=tuple(pages))


Manifest = dict[str, FileEntry]


@dataclass(frozen=True, slots=True)
class InputState:
    """An input file as it is now: its stat (taken before reading) and digest."""

    path: str
    size: int
    mtime_ns: int
    digest: str

    def entry(self, pages: Iterable[PageEntry]) -> FileEntry:
        return FileEntry(self.path, self.size, self.mtime_ns, self.digest, tuple(pages))


def stat_input(path: str) -> os.stat_result | None:
    """The input's stat, or None when it is gone (or is standard input)."""
    if path == STDIN:
        return None
    try:
        return os.stat(path)
    except OSError:
        return None


def read_state(path: str, stat: os.stat_result | None, now_ns: int | None = None) -> InputState:
    """Digest an input whose stat changed; a racy or missing stat is recorded as untrusted."""
    if stat is None:
        return InputState(path, _UNTRUSTED, _UNTRUSTED, "")
    try:
        # open_regular: a page swapped for a FIFO since it was listed must not hang the run.
        with open_regular(path) as handle:
            digest = handle_digest(handle)
    except (OSError, InputReadError):
        digest = ""  # read (and reported) as it is where pages are parsed
    now_ns = time.time_ns() if now_ns is None else now_ns
    if now_ns - stat.st_mtime_ns < RACY_SECONDS * 1e9:
        return InputState(path, stat.st_size, _UNTRUSTED, digest)
    return InputState(path, stat.st_size, stat.st_mtime_ns, digest)


def load_manifest(generation: Generation) -> Manifest | None:
    """The generation's manifest; None when it has none (an index from before manifests)."""
    path = generation.path / MANIFEST_FILE
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            header = json.loads(handle.readline() or "{}")
            if header.get("manifest_version") != MANIFEST_VERSION:
                return None
            return {entry.path: entry for entry in map(decode_entry, handle)}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
        raise IndexCorruptError(
            f"unreadable manifest in {generation.path}: {err} (medcodes reindex --full rebuilds it)"
        ) from err


def write_manifest(
    generation: Generation,
    entries: Mapping[str, FileEntry] | Iterable[FileEntry],
    sources: list[str] | None = None,
) -> None:
    """Write the manifest into a generation that is not published yet (publish fsyncs it), in
    path order; `entries` by path are fetched one at a time (they may be on disk: index/manifest_spool.py).

    Its header also records the sources, a second copy of the metadata's, from which a full
    rebuild can start when the metadata is damaged.
    """
    ordered: Iterable[FileEntry]
    if isinstance(entries, Mapping):
        ordered = (entries[path] for path in sorted(entries))
    else:
        ordered = sorted(entries, key=lambda e: e.path)
    header: dict[str, object] = {"manifest_version": MANIFEST_VERSION}
    if sources is not None:
        header["sources"] = sources
    # surrogateescape: a file name's bytes that are not UTF-8 are written back as they were.
    with open(generation.path / MANIFEST_FILE, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(json.dumps(header) + "\n")
        for entry in ordered:
            handle.write(encode_entry(entry) + "\n")


def manifest_sources(generation: Generation) -> list[str]:
    """The sources recorded in the manifest's header; [] when there are none or it is damaged."""
    try:
        with open(generation.path / MANIFEST_FILE, encoding="utf-8") as handle:
            sources = json.loads(handle.readline() or "{}").get("sources")
    except (OSError, ValueError, AttributeError):
        return []
    return [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []


def owners(manifest: Manifest) -> dict[str, tuple[str, PageEntry]]:
    """Key -> (input path, page entry) of the page that is indexed for that key."""
    found: dict[str, tuple[str, PageEntry]] = {}
    for entry in manifest.values():
        for page in entry.pages:
            if page.state == INDEXED and page.key:
                found[page.key] = (entry.path, page)
    return found


def iter_pages(manifest: Manifest) -> Iterator[tuple[str, PageEntry]]:
    for entry in manifest.values():
        for page in entry.pages:
            yield entry.path, page


def encode_entry(entry: FileEntry) -> str:
    """The manifest line of an entry (without its newline)."""
    own = input_source(entry.path)  # a page file's own source, written as ""
    pages = [
        [
            "" if page.source == own else page.source,
            page.key,
            page.content_hash,
            page.state,
            page.reason,
        ]
        for page in entry.pages
    ]
    return json.dumps([entry.path, entry.size, entry.mtime_ns, entry.digest, pages], ensure_ascii=False)


def decode_entry(line: str) -> FileEntry:
    path, size, mtime_ns, digest, pages = json.loads(line)
    own = input_source(path)
    return FileEntry(
        path,
        size,
        mtime_ns,
        digest,
        tuple(
            PageEntry(source or own, key, content_hash, state, reason)
            for source, key, content_hash, state, reason in pages
        ),
    )
