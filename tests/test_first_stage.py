"""Term-at-a-time scoring gives Whoosh's own BM25F scores, ties and totals, on an index of
several segments with deleted pages, for every shape of query the planner writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as wq

from medcodes.index import search_plan as sp
from medcodes.index.engine.compile import to_whoosh
from medcodes.index.engine.scoring import TermAtATime, _in_a_row, _in_a_row_each, term_docs
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.engine.text_fields import CompactPositions
from medcodes.index.fields import CODE, SYSTEM
from medcodes.index.reader import LiveIndex, open_live
from medcodes.queries.expand.vocabulary import Vocabulary
from medcodes.queries.parse.syntax import parse_query
from medcodes.queries.plan.query_plan import is_code_listing, plan_query

QUERIES = [
    "leukemia antibody infusion",
    "inj dexameth",
    "walker",
    "diabetes without complications",
    "risks:fever indications:relapsed",
    '"blood test"',
    '"allergic reaction" infusion',
    '"continuous glucose monitor"',
    '"glucose glucose"',  # a word twice: the positions must follow each other
    'risks:"allergic reactions"',
    "fracture OR asthma",
    "infusion -leukemia",
    "asthma AND inhaler",
    "C9028 infusion",
    "wheelchair NOT lightweight",
    "-leukemia",  # NOT alone: every other live page
    "-fracture -infusion",
    "title:knee",
    "ecg",
    "pemfigus",  # a typo: alternatives on the naming fields
    "hypertension heart failure kidney",
]


def _vocabulary(live: LiveIndex) -> Vocabulary:
    engine = IndexSearcher(live.ix)
    return Vocabulary(engine, lambda: engine.naming_words(live.generation.path))


def test_the_index_under_test_has_segments_and_deletions(segmented_index: Path) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) >= 2
        assert searcher.reader().has_deletions()
    live.ix.close()


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("systems", [(), ("hcpcs",)])
def test_scores_ties_and_totals_are_whooshs(
    segmented_index: Path, text: str, systems: tuple[str, ...]
) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        parsed = parse_query(text)
        assert not is_code_listing(parsed)
        plan = plan_query(parsed, systems, _vocabulary(live))
        flt = to_whoosh(plan.filter) if plan.filter is not None else None
        expected = searcher.search(to_whoosh(plan.query), filter=flt, limit=None)
        got = TermAtATime(searcher).run(plan.query, plan.filter, 10)
        assert got.total == len(expected)
        assert [doc for doc, _ in got.top] == [hit.docnum for hit in expected[:10]]
        wanted = [hit.score for hit in expected[:10]]
        assert [score for _, score in got.top] == pytest.approx(wanted, rel=1e-9)
    live.ix.close()


def test_compound_boosts_nesting_and_one_child_compounds(segmented_index: Path) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        term = sp.Term("summary", "inject", boost=2.0)
        risks = sp.AnyOf((sp.Term("risks", "fever"), sp.Term("risks", "pain")))
        queries = [
            sp.AnyOf((term, sp.Term("title", "inject")), boost=3.0),
            sp.AnyOf((term,), boost=5.0),  # Whoosh ignores a one-child compound's boost
            sp.BestOf((sp.Term("summary", "inject"), sp.Term("title", "inject", boost=4.0)), boost=0.5),
            sp.AllOf((sp.Term("summary", "inject"), risks)),
            sp.Excluding(sp.Term("summary", "inject"), sp.Term(SYSTEM, "icd10cm")),
            sp.Fixed(sp.AnyOf((sp.Term(CODE, "c9028"), sp.Term(CODE, "j9229"))), 1000.0),
            sp.AnyOf((sp.Term("title", "inject"), sp.Fixed(sp.Term(CODE, "c9028"), 1000.0))),
            sp.AnyOf((sp.Term("title", "inject"), sp.Prefix(CODE, "j92"))),  # two code terms
            sp.Everything(),
        ]
        scorer = TermAtATime(searcher)
        for query in queries:
            expected = searcher.search(to_whoosh(query), limit=None)
            assert len(expected) > 0, query
            got = scorer.run(query, None, 5)
            assert got.total == len(expected), query
            assert [doc for doc, _ in got.top] == [hit.docnum for hit in expected[:5]], query
            assert [s for _, s in got.top] == pytest.approx([hit.score for hit in expected[:5]], rel=1e-9)
    live.ix.close()


def test_matched_terms_name_the_fields_a_shown_page_matched(segmented_index: Path) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        phrase = sp.Phrase("summary", ("blood", "pressur"))
        query = sp.AnyOf((sp.Term("title", "inject"), sp.Term("risks", "fever"), phrase))
        expected = searcher.search(to_whoosh(query), limit=None, terms=True)
        assert any(("summary", b"pressur") in hit.matched_terms() for hit in expected)
        got = TermAtATime(searcher).run(query, None, len(expected))
        matched = got.matched_terms([hit.docnum for hit in expected])
        for hit, terms in zip(expected, matched, strict=True):
            assert set(terms) == set(hit.matched_terms())
    live.ix.close()


def test_one_scorer_scores_each_query_as_a_fresh_one(segmented_index: Path) -> None:
    """Arrays reused between disjunction-max nodes and queries carry nothing over."""
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        plans = [plan_query(parse_query(text), (), _vocabulary(live)) for text in QUERIES]
        shared = TermAtATime(searcher)
        for _ in range(2):
            for plan in plans:
                fresh = TermAtATime(searcher).run(plan.query, plan.filter, 10)
                got = shared.run(plan.query, plan.filter, 10)
                assert (got.top, got.total) == (fresh.top, fresh.total)
    live.ix.close()


def test_matched_terms_asked_again_or_in_parts_are_the_same(segmented_index: Path) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        query = sp.AnyOf((sp.Term("title", "inject"), sp.Term("risks", "fever"), sp.Term("summary", "blood")))
        docs = [doc for doc, _ in TermAtATime(searcher).run(query, None, 20).top]
        assert len(docs) > 3
        whole = TermAtATime(searcher).run(query, None, 20).matched_terms(docs)
        stage = TermAtATime(searcher).run(query, None, 20)
        first = stage.matched_terms(docs[:2])
        assert stage.matched_terms(docs[::-1]) == whole[::-1]
        assert first == whole[:2]
        assert all(terms for terms in whole)
    live.ix.close()


@pytest.mark.parametrize(
    ("fieldname", "text"),
    [("title", "diabet"), ("summary", "blood"), (SYSTEM, "hcpcs"), (SYSTEM, "icd10cm"), ("title", "zzz")],
)
def test_term_docs_are_the_searchers_docs_for_query(segmented_index: Path, fieldname: str, text: str) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        expected = list(searcher.docs_for_query(wq.Term(fieldname, text)))
        assert term_docs(searcher, fieldname, text).tolist() == expected
        assert text == "zzz" or expected
    live.ix.close()


_POSITIONS = st.lists(st.integers(0, 300), min_size=1, max_size=6, unique=True).map(sorted)


_PAGES = st.integers(1, 3).flatmap(lambda n: st.lists(st.lists(_POSITIONS, min_size=n, max_size=n)))


@given(_PAGES)
def test_all_pages_at_once_decide_as_one_page_at_a_time(pages: list[list[list[int]]]) -> None:
    """The vectorized check of encoded positions (one-byte deltas, longer deltas, a word
    at several positions, a word twice) agrees with checking each page's decoded positions."""
    if not pages:
        return
    fmt = CompactPositions()
    values = [[fmt.encode(page[i]) for page in pages] for i in range(len(pages[0]))]
    expected = [_in_a_row(page) for page in pages]
    assert _in_a_row_each(values, fmt.decode_positions, compact=True).tolist() == expected
    # a positions format decoded one posting at a time (an older field format)
    assert _in_a_row_each(values, fmt.decode_positions, compact=False).tolist() == expected
