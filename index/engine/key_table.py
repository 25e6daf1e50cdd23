"""The live page keys of a generation as sorted arrays, written beside it: code listings by bisection.

A listing (a stem, prefix or range of codes: `S*`, `S00-T88`) is a stretch of keys in code
order. Walking that stretch of Whoosh's key lexicon, merged over segments, took 196 ms for the
54k keys of `S00-T88` on the 106k-page evaluation index just to count them (issue 16). Here the
keys of the live pages are one sorted array with each one's document number, so a stretch is
two bisections, its count per code system is arithmetic on where each system's keys begin and
end, and its first pages are a slice.

Written once per generation by the writer (`seal_generation`), as reading the key lexicon for it
costs about 0.5 s at 100k pages, too much for a search's first need. A generation written by an
older medcodes has no file, or one hard-linked from the generation it was built on: the file
records the segments and deletions it was made from, and a reader that finds others (or no
file) walks the lexicon instead (medcodes.index.engine.listing).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.index import Index
from whoosh.reading import IndexReader, SegmentReader

from medcodes.index.engine.opening import damaged
from medcodes.index.fields import KEY
from medcodes.index.search_plan import KeySpan

KEY_TABLE_FILE = "keys.npz"  # keys (sorted UTF-8), docs (document numbers), segments (fingerprint)
# The fixed head of a whoosh3 term info: flags, weight, document frequency, min and max length,
# max weight, first and last document.
_TERM_INFO = W3TermInfo._struct


@dataclass(frozen=True)
class KeyTable:
    """The keys of a generation's live pages in sorted order, and each one's document number."""

    keys: np.ndarray  # fixed-width UTF-8 byte strings, sorted
    docs: np.ndarray  # docs[n]: the document number of keys[n]

    def listing(
        self,
        spans: list[KeySpan],
        limit: int,
        skip: frozenset[str] = frozenset(),
        keep: Callable[[str], bool] | None = None,
    ) -> tuple[list[int], dict[str, int]]:
        """What medcodes.index.engine.listing.list_codes answers, from the arrays: the first
        `limit` pages of the spans in key order (keys in `skip` left out) and the pages per
        code system; only keys `keep` accepts, asked of each key in order, when given."""
        stretches = self._stretches(spans)
        if keep is not None:
            return self._kept(stretches, limit, skip, keep)
        docs: list[int] = []
        for start, end in stretches:
            n = start
            while n < end and len(docs) < limit:
                if not skip or self._key(n) not in skip:
                    docs.append(int(self.docs[n]))
                n += 1
        counts: Counter[str] = Counter()
        for system, (first, last) in self._systems.items():
            for start, end in stretches:
                if (overlap := min(end, last) - max(start, first)) > 0:
                    counts[system] += overlap
        return docs, dict(sorted(counts.items()))

    def _kept(
        self, stretches: list[tuple[int, int]], limit: int, skip: frozenset[str], keep: Callable[[str], bool]
    ) -> tuple[list[int], dict[str, int]]:
        docs: list[int] = []
        counts: Counter[str] = Counter()
        for start, end in stretches:
            for n in range(start, end):
                key = self._key(n)
                if not keep(key):
                    continue
                counts[key.partition(":")[0]] += 1
                if len(docs) < limit and key not in skip:
                    docs.append(int(self.docs[n]))
        return docs, dict(sorted(counts.items()))

    def _stretches(self, spans: list[KeySpan]) -> list[tuple[int, int]]:
        """The spans as [start, end) positions in the arrays, overlaps joined, in order."""
        found = sorted((self._at(span.low), self._at(span.high)) for span in spans if span.low < span.high)
        joined: list[tuple[int, int]] = []
        for start, end in found:
            if joined and start <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
            elif start < end:
                joined.append((start, end))
        return joined

    def docnum(self, key: str) -> int | None:
        """The document number of a live page's key, or None."""
        wanted = key.encode("utf-8")
        at = int(np.searchsorted(self.keys, wanted))
        return int(self.docs[at]) if at < len(self.keys) and self.keys[at] == wanted else None

    @cached_property
    def _systems(self) -> dict[str, tuple[int, int]]:
        """Each code system's [start, end) positions: keys sort by system first."""
        systems: dict[str, tuple[int, int]] = {}
        at = 0
        while at < len(self.keys):
            system = self._key(at).partition(":")[0]
            end = self._at(f"{system};")  # ";" sorts right after ":"
            systems[system] = (at, end)
            at = end
        return systems

    def _at(self, key: str) -> int:
        return int(np.searchsorted(self.keys, key.encode("utf-8")))

    def _key(self, n: int) -> str:
        return bytes(self.keys[n]).decode("utf-8")


def write_key_table(generation_path: Path, ix: Index) -> None:
    """Write the key table of the committed index `ix` of a generation folder. Replaces, never
    rewrites, a file hard-linked from the live generation."""
    with ix.reader() as reader:
        keys, docs = _live_keys(reader)
        segments = _fingerprint(reader)
    width = max(map(len, keys), default=1)
    path = generation_path / KEY_TABLE_FILE
    tmp = generation_path / f"{KEY_TABLE_FILE}.tmp"
    with open(tmp, "wb") as handle:
        np.savez(
            handle,
            keys=np.array(keys, dtype=f"S{width}"),
            docs=np.array(docs, dtype=np.int64),
            segments=np.array(segments.encode("utf-8")),
        )
    os.replace(tmp, path)


def read_key_table(generation_path: Path, reader: IndexReader) -> KeyTable | None:
    """The key table of the generation `reader` reads; None when it has none, or one made from
    other segments or deletions (hard-linked into a generation that an older medcodes wrote)."""
    try:
        with np.load(generation_path / KEY_TABLE_FILE, allow_pickle=False) as stored:
            segments = bytes(stored["segments"][()]).decode("utf-8")
            keys, docs = stored["keys"], stored["docs"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as err:
        raise damaged(generation_path, err) from err
    if segments != _fingerprint(reader) or len(keys) != len(docs):
        return None
    return KeyTable(keys, docs)


def _live_keys(reader: IndexReader) -> tuple[list[bytes], list[int]]:
    """The keys of the live documents, sorted, with their document numbers (the first live one
    of a key, should a key name two)."""
    pairs: list[tuple[bytes, int]] = []
    for segment, offset in reader.leaf_readers():
        deletions = segment.has_deletions()
        for term, frequency, first in _key_terms(segment):
            if frequency == 1 and not (deletions and segment.is_deleted(first)):
                pairs.append((term, first + offset))
            elif frequency > 1:
                live = [d for d in segment.postings(KEY, term).all_ids() if not segment.is_deleted(d)]
                if live:
                    pairs.append((term, live[0] + offset))
    pairs.sort()
    keys: list[bytes] = []
    docs: list[int] = []
    for key, docnum in pairs:
        if keys and keys[-1] == key:
            continue
        keys.append(key)
        docs.append(docnum)
    return keys, docs


def _key_terms(segment: IndexReader) -> Iterator[tuple[bytes, int, int]]:
    """(key, document frequency, first document) of each key of a segment's lexicon.

    Read from the term dictionary's raw entries when it is whoosh3's (field number + term, then
    W3TermInfo's fixed head): building a TermInfo object per key took half of the 0.9 s a
    106k-page table took to write."""
    terms = getattr(segment, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        for term, info in segment.iter_field(KEY):
            yield term, info.doc_frequency(), info.min_id()
        return
    prefix = terms._keycoder(KEY, b"")
    for key, value in terms._tindex.items_from(prefix):
        if key[:2] != prefix:
            return
        _, _, frequency, _, _, _, first, _ = _TERM_INFO.unpack_from(value)
        yield key[2:], frequency, first


def _fingerprint(reader: IndexReader) -> str:
    """The segments a reader reads and their deletions, in order: what the table is valid for."""
    parts = []
    for segment, _ in reader.leaf_readers():
        if not isinstance(segment, SegmentReader):
            continue  # an index of no pages has an empty reader and no segment
        info = segment.segment()
        parts.append(f"{info.segment_id()}:{info.doc_count_all()}:{info.deleted_count()}")
    return ",".join(parts)


__all__ = ["KEY_TABLE_FILE", "KeyTable", "read_key_table", "write_key_table"]
