"""Ranking invariants that Whoosh 2.7 can get wrong on small indexes.

On indexes of <= 5,000 documents Whoosh's Or may switch to ArrayUnionMatcher, whose top 10 was
measured wrong for about a quarter of multi-field queries; queries.search pins the union-tree
matcher. These tests recompute every document's score from single-term searches (one term
matcher each, no union involved) and compare with what medcodes returns.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.query import Or

from index.reader import open_live
from index.schema import KEY, TEXT_FIELDS
from queries.parse import parse_query
from queries.plan import plan_query
from queries.search import Searcher

MULTI_FIELD_QUERIES = [
    "leukemia antibody infusion",
    "walker falls mobility",
    "blood pressure heart",
    "pain relief injection",
    "ambulance paramedic transport emergency",
    "infection bleeding",
    "sleep apnea mask",
    "glucose strips diabetes",
    "knee surgery recovery",
    "nausea vomiting chemotherapy",
    "chest lungs breathing",
    "office visit doctor",
]


def test_union_matcher_is_pinned() -> None:
    assert Or.matcher_type == Or.DEFAULT_MATCHER


def _leaf_terms(query: wq.Query) -> list[wq.Term]:
    if isinstance(query, wq.Term):
        return [query]
    return [leaf for sub in query.children() for leaf in _leaf_terms(sub)]


@pytest.mark.parametrize("text", MULTI_FIELD_QUERIES)
def test_top_ten_equals_exhaustive_scoring(built_index: Path, text: str) -> None:
    plan = plan_query(parse_query(text))
    live = open_live(built_index)
    expected: dict[str, float] = defaultdict(float)
    with live.ix.searcher() as searcher:
        for term in _leaf_terms(plan.query):
            for hit in searcher.search(term, limit=None):
                expected[hit[KEY]] += hit.score
    live.ix.close()
    ranked = sorted(expected.items(), key=lambda kv: -kv[1])[:10]
    with Searcher(built_index) as searcher:
        hits = searcher.search(text, limit=10).hits
    got = [(f"{hit.system}:{hit.code}", hit.score) for hit in hits]
    assert [key for key, _ in got] == [key for key, _ in ranked]
    for (_, score), (_, want) in zip(got, ranked, strict=True):
        assert score == pytest.approx(want, rel=1e-4)


def test_every_text_field_is_searched(built_index: Path) -> None:
    plan = plan_query(parse_query("fever"))
    assert {term.fieldname for term in _leaf_terms(plan.query)} == set(TEXT_FIELDS)
