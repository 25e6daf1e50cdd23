"""Search behaviour on the example index: codes, fields, operators, snippets, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import hit_codes as codes

from medcodes.index.build import ingest
from medcodes.queries.parse.syntax import QuerySyntaxError
from medcodes.queries.search import Searcher


@pytest.mark.parametrize("query", ["C9028", "c9028", " C9028 "])
def test_exact_code_comes_first(searcher: Searcher, query: str) -> None:
    assert codes(searcher.search(query))[0] == "C9028"


@pytest.mark.parametrize("query", ["E11.9", "E119", "e119", "e11.9", "code:E119"])
def test_icd_dotted_and_undotted_are_the_same_code(searcher: Searcher, query: str) -> None:
    assert codes(searcher.search(query))[0] == "E11.9"


def test_code_prefix_lists_codes_in_code_order(searcher: Searcher) -> None:
    result = searcher.search("J*")
    assert codes(result) == ["J1100", "J2405", "J9229", "J9271", "J45.909"]  # by system, then code
    assert codes(searcher.search("J92*")) == ["J9229", "J9271"]
    assert codes(searcher.search("E0*")) == ["E0135", "E0143", "E0601"]


def test_lay_words_find_the_drug_codes(searcher: Searcher) -> None:
    top3 = codes(searcher.search("leukemia antibody infusion"))[:3]
    assert {"C9028", "J9229"} <= set(top3)


def test_field_scopes_restrict_where_words_match(searcher: Searcher) -> None:
    result = searcher.search("risks:fever indications:relapsed")
    assert codes(result)[0] in {"C9028", "J9229"}
    for hit in result.hits:
        assert hit.section in {"risks", "indications"}
    # Walkers are named in many sections; only pages whose risks mention one match risks:walker.
    scoped = searcher.search("risks:walker", limit=50).hits
    assert scoped
    for hit in scoped:
        page = searcher.page(f"{hit.system}:{hit.code}")
        assert page is not None and "walker" in page.section("risks").text.lower()
    assert len(scoped) < len(searcher.search("walker", limit=50).hits)


def test_alias_complications_means_risks(searcher: Searcher) -> None:
    assert codes(searcher.search("complications:falls")) == codes(searcher.search("risks:falls"))


def test_phrase_requires_adjacent_words(searcher: Searcher) -> None:
    phrase = codes(searcher.search('"liver damage"'))
    assert "C9028" in phrase
    assert len(phrase) < len(codes(searcher.search("liver damage", limit=50)))


def test_boolean_operators(searcher: Searcher) -> None:
    both = set(codes(searcher.search("ambulance AND paramedics", limit=50)))
    assert both == {"A0427", "A0429"}
    either = set(codes(searcher.search("cpap OR wheelchair", limit=50)))
    assert {"E0601", "K0001"} <= either
    without = codes(searcher.search("leukemia -inotuzumab", limit=50))
    assert "C9028" not in without and "J9229" not in without
    assert without == codes(searcher.search("leukemia NOT inotuzumab", limit=50))


def test_system_filter(searcher: Searcher) -> None:
    result = searcher.search("walker", systems=("hcpcs",), limit=5)
    assert result.hits and all(hit.system == "hcpcs" for hit in result.hits)
    assert all(hit.system == "icd10cm" for hit in searcher.search("pain", systems=("icd10cm",)).hits)
    assert codes(searcher.search("system:cpt colonoscopy"))[0] == "45378"


def test_snippet_names_its_section_and_marks_the_matches(searcher: Searcher) -> None:
    hit = searcher.search("risks:nausea").hits[0]
    assert hit.section == "risks"
    assert hit.highlights
    for start, end in hit.highlights:
        assert hit.snippet[start:end].lower().startswith("nause")


def test_offset_pages_through_results(searcher: Searcher) -> None:
    everything = codes(searcher.search("patients", limit=20))
    assert codes(searcher.search("patients", limit=5, offset=5)) == everything[5:10]


@pytest.mark.parametrize("query", ["", "   ", "the of and", "*", "risks:"])
def test_nothing_to_search_for_is_an_error(searcher: Searcher, query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        searcher.search(query)


@pytest.mark.parametrize(
    ("query", "notice"),
    [('"liver damage', "unbalanced quote"), ("(fever OR nausea", "unbalanced parenthesis"),
     ("colour:red fever", "unknown field"), ("fever " * 400, "cut to")],
)  # fmt: skip
def test_mistakes_are_read_best_effort_with_a_notice(searcher: Searcher, query: str, notice: str) -> None:
    result = searcher.search(query)
    assert any(notice in n for n in result.notices)


def test_searcher_picks_up_a_newer_generation(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir / "hcpcs-C9028.txt")], root, workers=1)
    with Searcher(root) as searcher:
        assert codes(searcher.search("walker")) == []
        ingest([str(pages_dir / "hcpcs-E0135.txt")], root, workers=1)
        assert codes(searcher.search("walker")) == []  # still the state it opened
        assert searcher.refresh()
        assert codes(searcher.search("walker")) == ["E0135"]
