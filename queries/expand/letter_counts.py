"""Which words of a group could be a correction, a contraction or a slipped beginning of a typed
word, found with a few array operations instead of a look at each word.

Each filter is necessary, never sufficient: it keeps every word that can qualify, and the exact
test (an alignment, a regular expression) runs on the few it keeps. The arguments are counts of
letters. A typing mistake changes a word's counts by little: an inserted or dropped letter by one,
a substituted letter by two, two swapped letters not at all; so a word `limit` mistakes away has
counts differing by at most 2 × `limit` in all. A contraction keeps some of a word's letters, so
each of its letters is as frequent in the word. Before these filters, aligning every word of a
first letter took over a second for a word starting with "s" (the letter of 40,000 injury codes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# a–z, then one bucket for every other character (digits, dots, accented letters).
_BUCKETS = 27
_OTHER = _BUCKETS - 1
# How many leading characters of each word are kept for the prefix filter; a word beginning
# longer than this is let through (the filter stays a superset).
_PREFIX_WIDTH = 24
_PAD = _BUCKETS  # past a word's end, in the prefix matrix: no letter


class LetterCounts:
    """The letter counts, lengths and first characters of a fixed list of words, as arrays,
    sorted by length so that a length range is one slice."""

    def __init__(self, words: Sequence[str]) -> None:
        lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        self._order = np.argsort(lengths, kind="stable")
        self._lengths = lengths[self._order]
        buckets = _buckets("".join(words))
        owner = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        counts = np.bincount(owner * _BUCKETS + buckets, minlength=len(words) * _BUCKETS)
        self._counts = counts.reshape(len(words), _BUCKETS).astype(np.int16)[self._order]
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(words) else lengths
        column = np.arange(len(buckets)) - np.repeat(starts, lengths)
        prefix = np.full((len(words), _PREFIX_WIDTH), _PAD, dtype=np.int8)
        kept = column < _PREFIX_WIDTH
        prefix[owner[kept], column[kept]] = buckets[kept]
        self._prefix = prefix[self._order]

    def _lengths_between(self, shortest: int, longest: int) -> slice:
        low, high = np.searchsorted(self._lengths, [shortest, longest + 1])
        return slice(int(low), int(high))

    def near(self, word: str, limit: int) -> npt.NDArray[np.int64]:
        """Positions of the words that may be within `limit` mistakes of `word`."""
        span = self._lengths_between(len(word) - limit, len(word) + limit)
        differing = np.abs(self._counts[span] - _counts(word)).sum(axis=1)
        return self._order[span][differing <= 2 * limit]

    def holding(self, word: str, shortest: int, longest: int) -> npt.NDArray[np.int64]:
        """Positions of the words of a length in [shortest, longest] holding every letter of
        `word` at least as often (the words it may be a contraction of)."""
        span = self._lengths_between(shortest, longest)
        return self._order[span][(self._counts[span] >= _counts(word)).all(axis=1)]

    def beginning_near(self, word: str, limit: int) -> npt.NDArray[np.int64]:
        """Positions of the words whose beginning may be within `limit` mistakes of `word`: the
        first len(word) + limit characters lack at most `limit` of its letters."""
        width = len(word) + limit
        if width > _PREFIX_WIDTH:
            return self._order
        span = slice(int(np.searchsorted(self._lengths, len(word) - limit)), len(self._lengths))
        wanted = _counts(word)
        # The whole word holds its beginning: a cheap first cut over every word, then the
        # beginnings of the few words left.
        whole = np.flatnonzero(np.maximum(wanted - self._counts[span], 0).sum(axis=1) <= limit) + span.start
        beginning = self._prefix[whole, :width]
        missing = np.zeros(len(whole), dtype=np.int64)
        for bucket in np.flatnonzero(wanted):
            present = (beginning == bucket).sum(axis=1)
            missing += np.maximum(int(wanted[bucket]) - present, 0)
        return self._order[whole[missing <= limit]]


def _buckets(text: str) -> npt.NDArray[np.int64]:
    characters = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    letter = (characters >= ord("a")) & (characters <= ord("z"))
    return np.where(letter, characters - ord("a"), _OTHER)


def _counts(word: str) -> npt.NDArray[np.int16]:
    return np.bincount(_buckets(word), minlength=_BUCKETS).astype(np.int16)
