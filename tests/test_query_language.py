"""The query language of issue 4 on the example index: codes, stems, ranges, abbreviations,
brands, typos, natural-language scopes, and queries a user gets wrong."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import hit_codes as codes
from hypothesis import given
from hypothesis import strategies as st

from medcodes.index.build import ingest
from medcodes.pipeline.codes import SYSTEMS
from medcodes.queries.expand.concepts import (
    ABBREVIATION,
    BRAND,
    CONTRACTION,
    EXACT,
    TRUNCATION,
    TYPO,
    concepts_for,
)
from medcodes.queries.expand.vocabulary import allowed_edits, within_edits
from medcodes.queries.parse.scopes import route_scope
from medcodes.queries.parse.syntax import CodeRange, QuerySyntaxError, parse_query
from medcodes.queries.plan.query_plan import in_capitals, plan_query
from medcodes.queries.search import DEFAULT_LIMIT, Searcher, SearchResult


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("J9000-J9999", ["J9229", "J9271"]),
        ("J1100-J2405", ["J1100", "J2405"]),
        ("E08-E13", ["E11.9"]),
        ("99201-99215", ["99213"]),
        ("J92", ["J9229", "J9271"]),  # a bare stem lists what it begins, in code order
        ("j9*", ["J9229", "J9271"]),  # shorter than a category: only with the star (a bare "j9" is a word)
        ("E11", ["E11.9"]),
    ],
    ids=["hcpcs-range", "range-ends-included", "icd-range", "cpt-range", "stem", "short-stem", "icd-stem"],
)
def test_code_stems_and_ranges_list_codes_in_order(
    searcher: Searcher, query: str, expected: list[str]
) -> None:
    assert codes(searcher.search(query, limit=50)) == expected


def test_range_stays_within_its_system(searcher: Searcher) -> None:
    # E0100-E9999 spans HCPCS walkers; ICD's E11.9 sorts inside it as text but is another system.
    assert codes(searcher.search("E0100-E9999", limit=50)) == ["E0135", "E0143", "E0601"]


def test_exact_code_comes_before_the_codes_it_begins(searcher: Searcher) -> None:
    assert codes(searcher.search("C9028"))[0] == "C9028"
    assert parse_query("J9000-J9999").root == CodeRange("J9000", "J9999")


def test_codes_are_never_stemmed_or_fuzzed(searcher: Searcher) -> None:
    assert codes(searcher.search("J9228")) == []  # one digit off J9229: not a typo of it
    assert codes(searcher.search("C9029")) == []


@pytest.mark.parametrize(
    ("typed", "kind", "means"),
    [
        ("Inj", ABBREVIATION, "injection"),
        ("unsp", ABBREVIATION, "unspecified"),
        ("w/o", ABBREVIATION, "without"),
        ("ozogam", TRUNCATION, "ozogamicin"),
        ("dexameth", TRUNCATION, "dexamethasone"),
        ("whlchr", CONTRACTION, "wheelchair"),
        ("injeciton", TYPO, "injection"),
        ("bloodglucose", TYPO, "blood glucose"),  # a missing space
        ("Keytruda", BRAND, "pembrolizumab"),
    ],
)
def test_words_are_read_as_coders_write_them(searcher: Searcher, typed: str, kind: str, means: str) -> None:
    (concept,) = concepts_for(typed, searcher.vocabulary)
    assert any(a.kind == kind and a.words == means for a in concept.alternatives), concept


def test_abbreviations_of_common_words_are_dropped_like_them() -> None:
    assert concepts_for("w", None) == concepts_for("with", None) == []


def test_guessed_meanings_weigh_less_than_exact_words(searcher: Searcher) -> None:
    (concept,) = concepts_for("ozogam", searcher.vocabulary)
    (exact,) = concepts_for("ozogamicin", searcher.vocabulary)
    assert exact.alternatives[0].kind == EXACT
    assert max(a.weight for a in concept.alternatives) < exact.alternatives[0].weight


def test_all_in_capitals_is_a_leukemia_but_all_is_a_word() -> None:
    (capital,) = concepts_for("ALL", None)
    assert any(a.words == "acute lymphoblastic leukemia" for a in capital.alternatives)
    assert concepts_for("all", None) == [] or all(
        a.kind == EXACT for c in concepts_for("all", None) for a in c.alternatives
    )


@pytest.mark.parametrize(
    ("word", "edits"), [("pain", 0), ("fever", 1), ("diabetes", 1), ("injection", 2), ("hypertension", 2)]
)
def test_typo_tolerance_grows_with_word_length(word: str, edits: int) -> None:
    assert allowed_edits(word) == edits


def test_edit_distance_counts_swaps_as_one() -> None:
    assert within_edits("injeciton", "injection", 1)
    assert within_edits("diabtes", "diabetes", 1)
    assert not within_edits("diabtes", "diabetes", 0)
    assert not within_edits("fever", "liver", 1)


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance over the whole table: what within_edits bounds."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


@given(st.text("abcdeo", max_size=11), st.text("abcdeo", max_size=11), st.integers(0, 3))
def test_edit_bound_computed_on_a_band_agrees_with_the_whole_table(a: str, b: str, limit: int) -> None:
    assert within_edits(a, b, limit) == (_edits(a, b) <= limit)


def test_typos_rank_below_exact_matches_and_are_suggested(searcher: Searcher) -> None:
    result = searcher.search("ondansetron hydrochlorid injeciton")
    assert codes(result)[0] == "J2405"
    assert result.suggestion == "ondansetron hydrochlorid injection"
    assert searcher.search("ondansetron injection").suggestion is None


def test_unknown_word_finds_nothing_without_an_error(searcher: Searcher) -> None:
    assert codes(searcher.search("xylophonist")) == []


def test_natural_language_scope_is_routed_to_the_section(searcher: Searcher) -> None:
    assert route_scope("codes whose risks include liver damage")[0] == "risks:(liver damage)"
    assert route_scope("liver damage risks")[1] is None
    result = searcher.search("codes whose risks include liver damage")
    assert "read as risks:(liver damage)" in result.notices
    assert result.hits and all(hit.section == "risks" for hit in result.hits)
    assert codes(result) == codes(searcher.search("risks:(liver damage)"))


def test_facets_count_pages_per_system(searcher: Searcher) -> None:
    result = searcher.search("injection", facets=True, limit=1)
    assert result.facets is not None and result.facets["hcpcs"] >= 5
    assert sum(result.facets.values()) >= len(result.hits)


def test_explain_names_matched_fields_and_score_parts(searcher: Searcher) -> None:
    hit = searcher.search("inj ondansetron", explain=True).hits[0]
    assert hit.code == "J2405" and hit.explanation is not None
    assert "ondansetron" in hit.explanation["matched"]["title"]
    assert {"bm25f", "coverage", "precision"} <= set(hit.explanation["score_parts"])
    assert {
        "typed": "inj",
        "means": ["injection (abbreviation)", "injury (abbreviation)"],
    } in hit.explanation["words"]


# Queries a user gets wrong that are repaired: what each is read as, and the notice that says
# so (None: read as it stands, with nothing to say).
REPAIRED = [
    ('"liver damage', '"liver damage"', "unbalanced quote: read as if closed at the end"),
    ("(fever OR nausea", "(fever OR nausea)", "unbalanced parenthesis: read as if closed at the end"),
    ("fever)", "fever", "unbalanced parenthesis ignored"),
    ("colour:red fever", "colour red fever", "unknown field 'colour': searched as words"),
    ("fe\x00ver \x1b[31m nausea\x7f", "fe ver  [31m nausea ", "control characters in the query"),
    ("fever " * 400, "fever " * 64, "query cut to its first 1000 characters"),
    ("x" * 2000, "x" * 1000, "query cut to its first 1000 characters"),
    ("*:* fever", "fever", None),
    ("J9000-", "J9000", None),
    ("-J9229", "NOT J9229", None),
]
REPAIRED_IDS = [
    "open-quote",
    "open-parenthesis",
    "stray-parenthesis",
    "unknown-field",
    "control-characters",
    "too-many-terms",
    "too-long",
    "match-all",
    "open-range",
    "minus-code",
]


def assert_well_formed(result: SearchResult, query: str) -> None:
    """Hits a caller can print: distinct codes of a known system, titled, with finite scores
    and highlights inside their snippet; no more than asked for or found."""
    assert result.query == query
    assert len(result.hits) <= DEFAULT_LIMIT and len(result.hits) <= result.total
    assert len({(hit.system, hit.code) for hit in result.hits}) == len(result.hits)
    for hit in result.hits:
        assert hit.code and hit.system in SYSTEMS and hit.title
        assert math.isfinite(hit.score)
        assert all(0 <= start < end <= len(hit.snippet) for start, end in hit.highlights)


def _found(result: SearchResult) -> tuple[int, list[tuple[object, ...]]]:
    return result.total, [
        (h.system, h.code, h.score, h.section, h.snippet, h.highlights) for h in result.hits
    ]


@pytest.mark.parametrize(("query", "meant", "notice"), REPAIRED, ids=REPAIRED_IDS)
def test_bad_queries_are_repaired_with_a_notice(
    searcher: Searcher, query: str, meant: str, notice: str | None
) -> None:
    """A repaired query finds what the query it is read as finds, and says what was repaired."""
    result = searcher.search(query)
    assert_well_formed(result, query)
    intended = searcher.search(meant)
    assert _found(result) == _found(intended)
    # What the intended query says of its own words ("no page has the word 'colour'") is said
    # of the repaired one too; the repair adds its own notice, or none.
    assert set(intended.notices) <= set(result.notices)
    repairs = [line for line in result.notices if line not in intended.notices]
    if notice is None:
        assert repairs == []
    else:
        assert any(line.startswith(notice) for line in repairs), result.notices
    assert all("\n" not in line for line in result.notices)


@pytest.mark.parametrize("query", ["risks:", "NOT", "AND OR", "code:", "title:("])
def test_bad_queries_with_nothing_left_are_refused_in_one_line(searcher: Searcher, query: str) -> None:
    with pytest.raises(QuerySyntaxError, match=r"^nothing to search for") as refused:
        searcher.search(query)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("query", ["*", "the of and", "   "])
def test_queries_with_nothing_to_search_are_explained(searcher: Searcher, query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nothing to search for"):
        searcher.search(query)


def test_explain_on_a_code_listing_has_no_text_score(searcher: Searcher) -> None:
    hits = searcher.search("J92", explain=True).hits
    assert [h.code for h in hits] == ["J9229", "J9271"]
    assert all(h.explanation is not None and "bm25f" not in h.explanation["score_parts"] for h in hits)


def test_listing_skips_replaced_pages(pages_dir: Path, tmp_path: Path) -> None:
    """Re-ingesting replaces pages: the old copies are deleted, not listed twice or counted."""
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    ingest([str(pages_dir / "hcpcs-J9229.txt"), str(pages_dir / "hcpcs-J9271.html")], root, workers=1)
    with Searcher(root) as fresh:
        result = fresh.search("J*", limit=50, facets=True)
    assert codes(result) == ["J1100", "J2405", "J9229", "J9271", "J45.909"]
    assert result.total == 5 and result.facets == {"hcpcs": 4, "icd10cm": 1}


def _meanings(text: str, word: str) -> list[str]:
    plan = plan_query(parse_query(text))
    return [a.words for c in plan.concepts if c.typed == word for a in c.alternatives]


def test_a_query_all_in_capitals_reads_capitals_only_abbreviations_as_words() -> None:
    """Remittance lines come in capitals: there "ALL" and "US" are words, not a leukemia and an
    ultrasound; typed in capitals among lower-case words, or alone, they are abbreviations."""
    assert in_capitals(parse_query("EMERGENCY TRANSPORT, ALL INCLUSIVE").root)
    assert "acute lymphoblastic leukemia" not in _meanings("EMERGENCY TRANSPORT, ALL INCLUSIVE", "ALL")
    assert "acute lymphoblastic leukemia" in _meanings("Emergency transport, ALL inclusive", "ALL")
    assert "acute lymphoblastic leukemia" in _meanings("ALL", "ALL")
    assert "ultrasound" not in _meanings("SUPPLIES SENT TO US", "US")
    assert "ultrasound" in _meanings("US of the abdomen", "US")
