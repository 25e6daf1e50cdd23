"""Ranking invariants: the first stage is exact, and the final order is the re-ranker's.

These tests recompute every document's first-stage score from single-term searches (one term
matcher each, no union involved), combining them as the query tree says (sum for OR and AND,
maximum for a disjunction-max, boosts multiplied; a code range or stem is the OR of the code
terms it covers), and compare with medcodes.

Every plan is scored term at a time (medcodes.index.engine.scoring), a code range or stem as the
sum of the code terms it covers. Whoosh's own matcher for such a span, an Or of its code terms,
picks ArrayUnionMatcher on indexes of <= 5,000 documents, which scores a constant-score range 0
unless `Or.matcher_type` is pinned to the union tree; medcodes no longer runs that matcher nor
pins it, and test_a_code_span_scores_as_the_union_of_its_codes checks that a page in the span
scores its code term (on the example index, where Whoosh would pick the array matcher).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import query as wq

from medcodes.index.engine.compile import to_whoosh
from medcodes.index.fields import KEY, TEXT_FIELDS
from medcodes.index.reader import open_live
from medcodes.queries.parse.syntax import parse_query
from medcodes.queries.plan.query_plan import plan_query
from medcodes.queries.search import Searcher

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
# Code ranges and stems with words; each span covers more than two code terms of the example
# index (with two, Whoosh's Or uses the union tree whatever its matcher_type).
CODE_SPAN_QUERIES = [
    "J0000-J9999 injection",
    "A0000-K9999 injection",
    "E0100-E9999 wheels",
    "A0000-A9999 ambulance",
    "J* injection",
]


def _exhaustive(searcher, query: wq.Query) -> dict[str, float]:
    """Every document's score under `query`, built up from one-term searches."""
    if isinstance(query, wq.Term):
        return {hit[KEY]: hit.score for hit in searcher.search(query, limit=None)}
    if isinstance(query, wq.TermRange | wq.Prefix):
        covered = [wq.Term(field, text) for field, text in query.expanded_terms(searcher.reader())]
        return _exhaustive(searcher, wq.Or(covered, boost=query.boost))
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
    assert_first_stage_is_exhaustive(built_index, text)


@pytest.mark.parametrize("text", CODE_SPAN_QUERIES)
def test_a_code_span_scores_as_the_union_of_its_codes(built_index: Path, text: str) -> None:
    """A page inside a code range or under a code stem typed with words scores, for the span,
    what its code term scores, however many code terms the span covers."""
    with Searcher(built_index) as searcher:
        plan = plan_query(parse_query(text), (), searcher.vocabulary)
    spans = [q for q in _nodes(to_whoosh(plan.query)) if isinstance(q, wq.TermRange | wq.Prefix)]
    live = open_live(built_index)
    with live.ix.reader() as reader:
        assert spans and all(len(list(span.expanded_terms(reader))) > 2 for span in spans)
    live.ix.close()
    assert_first_stage_is_exhaustive(built_index, text)


@pytest.mark.parametrize("text", CODE_SPAN_QUERIES)
def test_facets_count_every_page_a_code_span_query_matches(built_index: Path, text: str) -> None:
    """Facets and the total count the same pages (both from the term-at-a-time scorer, which
    scores the code span's pages like the words' and filters nothing by score)."""
    with Searcher(built_index) as searcher:
        result = searcher.search(text, facets=True, limit=1)
    assert result.total > 0 and result.facets is not None
    assert sum(result.facets.values()) == result.total


def _nodes(query: wq.Query) -> list[wq.Query]:
    return [query, *(node for child in query.children() for node in _nodes(child))]


def assert_first_stage_is_exhaustive(built_index: Path, text: str) -> None:
    live = open_live(built_index)
    with Searcher(built_index) as searcher:
        plan = plan_query(parse_query(text), (), searcher.vocabulary)
        with live.ix.searcher() as raw:
            expected = sorted(
                _exhaustive(raw, to_whoosh(plan.query)).items(), key=lambda kv: (-kv[1], kv[0])
            )[:10]
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
    query = to_whoosh(plan.query)
    leaves = [q for q in query.leaves() if isinstance(q, wq.Term)] if query.is_leaf() is False else []
    assert {term.fieldname for term in leaves} == set(TEXT_FIELDS)
