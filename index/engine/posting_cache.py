"""Decoded postings of a segment's long posting lists, kept between queries of a process.

A Whoosh posting block is a zlib-compressed pickle of its document numbers, weights and encoded
positions, all three decoded together even when only the numbers are wanted: at 100,000 pages a
word of the titles and sections ("approach", "left", "open") spans hundreds of blocks over the
17 fields a word is looked for in, and decoding them was most of a query's time (issue 16's
profile). The words coders type recur from query to query, so a searcher that stays open (the
server, a batch) decodes each long list once and reads it from here afterwards: the same arrays
the blocks would give, so the same scores.

One cache serves the whole process (every searcher thread of a server worker shares it: the
entries are read-only arrays), keyed by the generation folder and the segment, so a newer
generation, whose segments may hold other deletions, never reads an older one's entries. It
keeps at most BUDGET_BYTES, dropping the least recently used list first. A list of one block
decodes in microseconds and is not kept.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from medcodes.index.engine.block_codec import BLOCK_POSTINGS

# What the decoded lists of a process may hold; a word on 60,000 pages' sections is ~2 MB with
# its positions, so this keeps a few hundred of the longest lists.
BUDGET_BYTES = 256 * 1024 * 1024
# A list of one block or less decodes in microseconds, each time it is wanted.
KEEP_FROM = BLOCK_POSTINGS + 1

PostingKey = tuple[str, str, str, bytes]  # (generation folder, segment id, field, term)


@dataclass(frozen=True)
class DecodedPostings:
    """A term's live postings in one segment: document numbers (of the segment, ascending) and
    weights; with positions asked for, every position of the term as one sorted array of
    `(document << 32) + position` (a phrase looks its words' positions up in these)."""

    docs: np.ndarray
    weights: np.ndarray
    keys: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Bytes held."""
        held = self.docs.nbytes + self.weights.nbytes
        return held + (self.keys.nbytes if self.keys is not None else 0)


class PostingCache:
    """Least recently used decoded postings within a byte budget; safe across threads."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self._entries: OrderedDict[PostingKey, tuple[DecodedPostings, int]] = OrderedDict()  # with size
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: PostingKey, positions: bool) -> DecodedPostings | None:
        """The postings kept for `key`, if they hold positions when `positions` asks for them."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or (positions and found[0].keys is None):
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: PostingKey, postings: DecodedPostings) -> None:
        """Keep `postings` when they are long enough to be worth it and fit the budget."""
        size = postings.size
        if len(postings.docs) < KEEP_FROM or size > self.budget // 4:
            return
        for part in (postings.docs, postings.weights, postings.keys):
            if part is not None:
                part.flags.writeable = False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._held -= old[1]
            self._entries[key] = (postings, size)
            self._held += size
            while self._held > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._held -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

    @property
    def held_bytes(self) -> int:
        return self._held

    def __len__(self) -> int:
        return len(self._entries)

    def _after_fork(self) -> None:
        """In a forked child (search --queries workers): a lock another thread of the parent
        held at the fork would never be released there."""
        self._lock = threading.Lock()


# The process's cache; bench scripts clear it to measure a fresh searcher.
POSTINGS = PostingCache()
os.register_at_fork(after_in_child=POSTINGS._after_fork)

__all__ = ["BUDGET_BYTES", "KEEP_FROM", "POSTINGS", "DecodedPostings", "PostingCache", "PostingKey"]
