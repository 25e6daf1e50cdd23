"""The index's own words, for reading what a user abbreviated, truncated or mistyped.

Claims shorten words in two ways: by cutting them ("ozogam" for ozogamicin, "pum" for pump)
and by dropping letters ("encntr" for encounter, "whelchr" for wheelchair). Both keep the first
letter and the order of the rest, so candidates are the words that name codes (the WORDS
field's lexicon) starting with the same letter; they are ranked by how often codes use them,
since a common word is the likelier meaning of a short form. A mistyped word is corrected to
the words within a few edits of it, as Meilisearch allows: none below 5 letters, one from 5, two
from 9; codes are never corrected.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.fields import TEXT_FIELDS, WORDS
from medcodes.queries.expand.letter_counts import LetterCounts

# A truncation shorter than this is too ambiguous to expand from the vocabulary alone.
MIN_TRUNCATION = 3
# Letter-dropping needs a little more to go on: "ntrm" yes, "ab" no.
MIN_CONTRACTION = 3
MAX_CANDIDATES = 8
# How long a word must be to be corrected with one typing mistake, and with two.
ONE_EDIT_FROM = 5
TWO_EDITS_FROM = 9


@dataclass(frozen=True)
class Candidate:
    word: str  # a surface word of the index
    doc_frequency: int


class Vocabulary:
    """Words of an open index, grouped by first letter; built once per searcher.

    The lexicon is read when a word is first looked up by its beginning or letters (a sorted
    list, sliced per letter, so a truncation's completions are one bisection away); whether a
    word is one, and how many codes use it, is a term lookup.
    """

    def __init__(self, searcher: IndexSearcher, read_words: Callable[[], list[str]]) -> None:
        """`read_words`: reads the searcher's WORDS lexicon, in its (sorted) order
        (index/engine/naming_words.py); called once, when a word is first looked up by its
        beginning or letters (a truncation, a contraction, a typo)."""
        self._searcher = searcher
        self._read_words = read_words
        # Sorted, so a letter's words are one slice of it, cut on first need: grouping and
        # hashing all 112k words up front took 0.15 s of a cold search at 100k pages, and a
        # query of known words never reads them (whether a word is one is a term lookup).
        self._words: list[str] | None = None
        self._by_letter: dict[str, list[str]] = {}
        self._letter_counts: dict[str, LetterCounts] = {}  # per first letter, made on first need
        self.doc_count = searcher.doc_count_all()
        self.known_term = lru_cache(maxsize=65536)(self._known_term)
        self.word_frequency = lru_cache(maxsize=65536)(self._word_frequency)

    def is_word(self, word: str) -> bool:
        """True when `word` is written, as is, in some code's title or names."""
        return self.word_frequency(word) > 0

    def _word_frequency(self, word: str) -> int:
        """How many codes are named with `word`, as written (0 for a word that does not begin
        with a letter: those are never candidates)."""
        word = word.lower()
        return self._searcher.doc_freq(WORDS, word) if word[:1].isalpha() else 0

    def _known_term(self, term: str) -> int:
        """How many documents hold the analyzed term in some text field (the largest count)."""
        return max(self._searcher.doc_freq(field, term) for field in TEXT_FIELDS)

    def _group(self, letter: str) -> list[str]:
        """The naming words beginning with `letter`, sorted."""
        group = self._by_letter.get(letter)
        if group is None:
            if not letter.isalpha():
                return []
            if self._words is None:
                self._words = self._read_words()
            start = bisect.bisect_left(self._words, letter)
            end = bisect.bisect_left(self._words, chr(ord(letter) + 1), start)
            group = self._by_letter[letter] = self._words[start:end]
        return group

    def completions(self, token: str) -> list[Candidate]:
        """Words that `token` is a cut-off beginning of, commonest first."""
        token = token.lower()
        if len(token) < MIN_TRUNCATION:
            return []
        group = self._group(token[0])
        found = []
        for word in group[bisect.bisect_right(group, token) :]:
            if not word.startswith(token):
                break
            found.append(word)
        return self._commonest(found)

    def contractions(self, token: str) -> list[Candidate]:
        """Words that `token` abbreviates by dropping letters (not only a prefix), commonest first."""
        token = token.lower()
        if len(token) < MIN_CONTRACTION or not token.isalpha():
            return []
        longest = _longest_contracted(token)
        in_order = _subsequence_pattern(token).match  # a regular expression scans in C
        group = self._group(token[0])
        found = [
            word
            for word in (
                group[i] for i in self._counts_of(token[0], group).holding(token, len(token) + 1, longest)
            )
            if in_order(word) and not word.startswith(token)
        ]
        return self._commonest(found)

    def corrections(self, token: str) -> list[Candidate]:
        """Words within the allowed number of typing mistakes of `token`, commonest first."""
        token = token.lower()
        limit = allowed_edits(token)
        if not limit or not token.isalpha():
            return []
        letters = {token[0], token[1]} if len(token) > 1 else {token[0]}
        found = []
        for letter in sorted(letters):
            group = self._group(letter)
            # Only words whose length and letter counts allow it are aligned with the token.
            for position in self._counts_of(letter, group).near(token, limit):
                word = group[position]
                if word != token and within_edits(token, word, limit):
                    found.append(word)
        return self._commonest(found)

    def _counts_of(self, letter: str, group: list[str]) -> LetterCounts:
        counts = self._letter_counts.get(letter)
        if counts is None:
            counts = self._letter_counts[letter] = LetterCounts(group)
        return counts

    def prefix_corrections(self, token: str) -> list[Candidate]:
        """Words that begin with something within the allowed typing mistakes of `token` (a
        partial word typed with a slip: "inotuxu" → inotuzumab), commonest first."""
        token = token.lower()
        limit = allowed_edits(token)
        if not limit or not token.isalpha():
            return []
        # A slip early in a partial word is rare and expensive to look for: the first two
        # letters are kept (one letter under two mistakes), and a word whose beginning lacks
        # more of the typed letters than mistakes are allowed is skipped before any alignment.
        kept = token[: 3 - limit]
        group = self._group(token[0])
        found = []
        for position in sorted(self._counts_of(token[0], group).beginning_near(token, limit)):
            word = group[position]
            if word.startswith(kept) and any(
                within_edits(token, word[:length], limit)
                for length in range(max(1, len(token) - limit), len(token) + limit + 1)
            ):
                found.append(word)
        return self._commonest(found)

    def _commonest(self, words: list[str]) -> list[Candidate]:
        ranked = sorted(
            (Candidate(w, self.word_frequency(w)) for w in words), key=lambda c: (-c.doc_frequency, c.word)
        )
        return ranked[:MAX_CANDIDATES]


def _longest_contracted(token: str) -> int:
    """The longest word a contraction plausibly stands for: three letters keep most of a short
    word ("hnd" hand, "rng" ring), longer ones about a third of any word ("encntr", "fbrgl")."""
    return len(token) + 4 if len(token) == MIN_CONTRACTION else 3 * len(token)


def _subsequence_pattern(short: str) -> re.Pattern[str]:
    """Matches the words that start with the first letter of `short` and hold the others in
    order ("encntr": e…n…c…n…t…r)."""
    return re.compile(re.escape(short[0]) + "".join(f".*?{re.escape(letter)}" for letter in short[1:]))


def allowed_edits(word: str) -> int:
    if len(word) >= TWO_EDITS_FROM:
        return 2
    return 1 if len(word) >= ONE_EDIT_FROM else 0


def within_edits(a: str, b: str, limit: int) -> bool:
    """True when `a` becomes `b` by at most `limit` insertions, deletions, substitutions or
    swaps of neighbouring letters (optimal string alignment). Only the diagonal band of
    cells within `limit` of it is computed: a cell off the band costs more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    if a == b:
        return True
    over = limit + 1  # any cost above the limit: the value of every cell off the band
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        first, last = max(1, i - limit), min(width, i + limit)
        current = [over] * (width + 1)
        if i <= limit:
            current[0] = i
        low = current[0]
        for j in range(first, last + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = min(value, over)
            low = min(low, current[j])
        if low > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit
