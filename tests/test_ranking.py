"""Ranking invariants: the first stage is exact, and the final order is the re-ranker's.

On indexes of <= 5,000 documents Whoosh's Or may switch to ArrayUnionMatcher, whose top 10 was
measured wrong for about a quarter of multi-field queries; queries.search pins the union-tree
matcher. These tests recompute every document's first-stage score from single-term searches
(one term matcher each, no union involved), combining them as the query tree says (sum for
OR and AND, maximum for a disjunction-max, boosts multiplied), and compare with medcodes.
"""

from __future__ import annotations

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
    "inj dexameth",  # abbreviation and truncation: disjunction-max alternatives
    "diabtes type 2 w/o complications",  # a typo and an abbreviation
]


def test_union_matcher_is_pinned() -> None:
    assert Or.matcher_type == Or.DEFAULT_MATCHER


def _exhaustive(searcher, query: wq.Query) -> dict[str, float]:
    """Every document's score under `query`, built up from one-term searches."""
    if isinstance(query, wq.Term):
        return {hit[KEY]: hit.score for hit in searcher.search(query, limit=None)}
    parts = [_exhaustive(searcher, child) for child in query.children()]
    if isinstance(query, wq.DisjunctionMax):
        scores: dict[str, float] = {}
        for part in parts:
            for key, score in part.items():
                scores[key] = max(scores.get(key, 0.0), score)
    elif isinstance(query, wq.And):
        common = set.intersection(*(set(p) for p in parts))
        scores = {key: sum(p[key] for p in parts) for key in common}
    elif isinstance(query, wq.Or):
        scores = {}
        for part in parts:
            for key, score in part.items():
                scores[key] = scores.get(key, 0.0) + score
    else:
        raise TypeError(f"no exhaustive scoring for {type(query).__name__}")
    return {key: score * query.boost for key, score in scores.items()}


@pytest.mark.parametrize("text", MULTI_FIELD_QUERIES)
def test_first_stage_equals_exhaustive_scoring(built_index: Path, text: str) -> None:
    live = open_live(built_index)
    with Searcher(built_index) as searcher:
        plan = plan_query(parse_query(text), (), searcher.vocabulary)
        with live.ix.searcher() as raw:
            expected = sorted(_exhaustive(raw, plan.query).items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        got = searcher.candidates(text, limit=10)
    live.ix.close()
    assert expected, "the query should match something"
    assert [key for key, _ in got] == [key for key, _ in expected]
    for (_, score), (_, want) in zip(got, expected, strict=True):
        assert score == pytest.approx(want, rel=1e-4)


@pytest.mark.parametrize("text", MULTI_FIELD_QUERIES)
def test_hits_are_reranked_candidates_in_score_order(built_index: Path, text: str) -> None:
    with Searcher(built_index) as searcher:
        candidates = {key for key, _ in searcher.candidates(text)}
        hits = searcher.search(text, limit=10).hits
    assert hits
    assert {f"{hit.system}:{hit.code}" for hit in hits} <= candidates
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_every_text_field_is_searched(built_index: Path) -> None:
    plan = plan_query(parse_query("fever"))
    leaves = (
        [q for q in plan.query.leaves() if isinstance(q, wq.Term)] if plan.query.is_leaf() is False else []
    )
    assert {term.fieldname for term in leaves} == set(TEXT_FIELDS)
