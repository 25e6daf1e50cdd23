"""A disjunction-max query that scores correctly: each document gets its best sub-score.

Whoosh 2.7's DisjunctionMaxMatcher takes the max of both sub-matchers' current scores even when
they sit on different documents, and its `replace` drops the whole matcher as soon as one side
is exhausted (measured: wrong top 10 for "inj dexameth" on the example pages; see
tests/test_ranking.py). MaxOf uses a matcher with those two methods fixed.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.matching import NullMatcher
from whoosh.matching.binary import DisjunctionMaxMatcher


class _MaxMatcher(DisjunctionMaxMatcher):
    def score(self) -> float:
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        a_id, b_id = a.id(), b.id()
        if a_id != b_id:
            return a.score() if a_id < b_id else b.score()
        return max(a.score(), b.score())

    def replace(self, minquality: float = 0) -> Any:
        a, b = self.a, self.b
        a_active, b_active = a.is_active(), b.is_active()
        if not (a_active or b_active):
            return NullMatcher()
        if minquality and a_active and b_active:
            # A document scores its better side, so a side that cannot reach minquality is useless.
            a_max, b_max = a.max_quality(), b.max_quality()
            if a_max < minquality and b_max < minquality:
                return NullMatcher()
            if b_max < minquality:
                return a.replace(minquality)
            if a_max < minquality:
                return b.replace(minquality)
        if not a_active:
            return b.replace(minquality)
        if not b_active:
            return a.replace(minquality)
        a, b = a.replace(minquality), b.replace(minquality)
        a_active, b_active = a.is_active(), b.is_active()
        if not (a_active or b_active):
            return NullMatcher()
        if not a_active:
            return b
        if not b_active:
            return a
        if a is not self.a or b is not self.b:
            return self.__class__(a, b)
        return self


class MaxOf(wq.DisjunctionMax):
    """Matches what any subquery matches; a document's score is its best subquery's."""

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> Any:
        reader = searcher.reader()
        return self._tree_matcher(subs, _MaxMatcher, searcher, context, lambda q: q.estimate_size(reader))
