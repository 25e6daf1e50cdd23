"""Codes with no page are found by the words of their official descriptor (issue 15): title
documents written at `codesets load`, hidden while a page has the code, back when it leaves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from fastapi.testclient import TestClient

import medcodes
from medcodes.cli import cli
from medcodes.index.engine.title_index import KEYS_FILE
from medcodes.index.store import current_generation
from medcodes.queries.codesets.titles import naming_strength, place_titles
from medcodes.queries.expand.concepts import Alternative, Concept
from medcodes.queries.search import Searcher
from medcodes.server.app import ServerSettings, create_app

# Descriptors in our own words. E0143 and A0428 have no page; A0427's page is in the folder.
HEADER = (
    "code,kind,active,long_description,betos,cov,price1,mult_pi,tos1,add_dt,act_eff_dt,term_dt,action_cd\n"
)
RELEASE_1 = HEADER + (
    'A0427,procedure,1,"Ambulance service, advanced life support, emergency",,,,,,20010101,20010101,,N\n'
    'A0428,procedure,1,"Ambulance service, basic life support, non-emergency",,,,,,20010101,20010101,,N\n'
    'E0143,procedure,1,"Walker, folding, wheeled, adjustable height",,,,,,19900101,19900101,,N\n'
    'E0144,procedure,1,"Walker, enclosed frame, rigid quokkaframe",,,,,,19900101,19900101,,N\n'
)
# The next quarter: E0143 reworded, E0144 terminated.
RELEASE_2 = HEADER + (
    'A0427,procedure,1,"Ambulance service, advanced life support, emergency",,,,,,20010101,20010101,,N\n'
    'A0428,procedure,1,"Ambulance service, basic life support, non-emergency",,,,,,20010101,20010101,,N\n'
    'E0143,procedure,1,"Walker, folding, wheeled, with a wombatseat",,,,,,19900101,19900101,,C\n'
    'E0144,procedure,0,"Walker, enclosed frame, rigid quokkaframe",,,,,,19900101,20200101,20191231,D\n'
)
# A page for E0143, written for this test.
WALKER_PAGE = """Search all medical codes
Walker, folding, wheeled, adjustable height
HCPCS code
Name of the Procedure:
A lightweight walking frame that folds flat and rolls on two front wheels (E0143).
Summary
A frame the user pushes ahead while walking; it folds for the car and its legs set the height.
"""


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """An index of one example page (A0427) with the first release loaded."""
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(EXAMPLES / "hcpcs-A0427.txt", pages)
    root = tmp_path / "ix"
    medcodes.ingest([str(pages)], root, workers=1)
    load(tmp_path, "hcpcs_2025_oct.csv", RELEASE_1)
    return root


def load(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)
    medcodes.load_code_sets(folder / "ix", [folder / name])


def found(root: Path, query: str) -> list[tuple[str, bool]]:
    with Searcher(root) as searcher:
        return [(hit.code, hit.no_page) for hit in searcher.search(query, limit=20).hits]


def test_a_code_with_no_page_is_found_by_its_descriptor(index: Path) -> None:
    with Searcher(index) as searcher:
        result = searcher.search("folding walker")
    assert [(h.code, h.no_page, h.title, h.status, h.billable) for h in result.hits] == [
        ("E0143", True, "Walker, folding, wheeled, adjustable height", "active", True),
        ("E0144", True, "Walker, enclosed frame, rigid quokkaframe", "active", True),
    ]
    assert result.total == 2
    assert found(index, "folding walker") == [("E0143", True), ("E0144", True)]
    runner = CliRunner()
    cli_json = json.loads(runner.invoke(cli, ["search", "folding", "--json", "--index", str(index)]).stdout)
    assert [(hit["code"], hit["no_page"]) for hit in cli_json["hits"]] == [("E0143", True)]
    text = runner.invoke(cli, ["search", "folding walker", "--index", str(index)]).output
    assert "E0143" in text and "Walker, folding, wheeled" in text
    with TestClient(create_app(ServerSettings(index))) as client:
        answer = client.get("/search", params={"q": "quokkaframe"}).json()
    hits = [(hit["code"], hit["no_page"], hit["status"]) for hit in answer["hits"]]
    assert hits == [("E0144", True, "active")]
    assert answer["notices"] == []  # no "no page has the word": a title holds it


def test_a_page_that_names_the_query_as_well_comes_first(index: Path) -> None:
    # A0427's page and A0428's descriptor both name an ambulance service: the page leads.
    assert found(index, "ambulance service") == [("A0427", False), ("A0428", True)]
    # The descriptor names "basic" and "non-emergency"; the page does not: the title leads.
    assert found(index, "basic life support ambulance")[0] == ("A0428", True)


def test_titles_obey_system_scopes_and_status_filters(index: Path) -> None:
    assert found(index, "walker") and not found(index, "walker system:icd10cm")
    with Searcher(index) as searcher:
        facets = searcher.search("walker", facets=True)
        assert (facets.facets, facets.status_facets) == ({"hcpcs": 2}, {"active": 2})
        assert searcher.search("walker", billable=True).total == 2


def test_a_page_ingested_for_the_code_replaces_its_title(index: Path, tmp_path: Path) -> None:
    page = tmp_path / "pages" / "hcpcs-E0143.txt"
    page.write_text(WALKER_PAGE)
    medcodes.ingest([str(page.parent)], index, workers=1)
    assert found(index, "folding walker") == [("E0143", False), ("E0144", True)]  # once, as a page
    with Searcher(index) as searcher:
        assert searcher.search("folding").total == 1
    page.unlink()
    medcodes.reindex(index, workers=1)  # the page leaves with its file: the title is back
    assert found(index, "folding walker") == [("E0143", True), ("E0144", True)]


def test_a_full_rebuild_keeps_the_titles(index: Path) -> None:
    medcodes.reindex(index, full=True, workers=1)
    assert (current_generation(index).path / KEYS_FILE).is_file()
    assert found(index, "quokkaframe") == [("E0144", True)]
    medcodes.check_index(index)  # the title files are checksummed with the others


def test_a_newer_release_rewrites_the_titles(index: Path, tmp_path: Path) -> None:
    load(tmp_path, "hcpcs_2026_jan.csv", RELEASE_2)
    assert found(index, "wombatseat") == [("E0143", True)]
    assert found(index, "adjustable height walker") == [("E0143", True), ("E0144", True)]  # on walker only
    with Searcher(index) as searcher:
        assert searcher.search("adjustable").total == 0
        terminated = searcher.search("quokkaframe").hits[0]
        assert (terminated.code, terminated.status, terminated.billable) == ("E0144", "terminated", False)
        assert searcher.search("quokkaframe", billable=True).total == 0


@pytest.mark.parametrize(
    ("pages", "titles", "expected"),
    [
        ([2, 1, 0], [1], ["p2", "p1", "t1", "p0"]),
        ([1, 1], [2, 1], ["t2", "p1", "p1", "t1"]),
        ([0, 2], [1], ["p0", "p2", "t1"]),  # never above a stronger page, even one ranked lower
        ([], [1, 0], ["t1", "t0"]),
    ],
    ids=["after-equal", "stronger-first", "after-a-lower-ranked-stronger-page", "no-pages"],
)
def test_place_titles(pages: list[int], titles: list[int], expected: list[str]) -> None:
    merged = place_titles([f"p{s}" for s in pages], [f"t{s}" for s in titles], lambda name: int(name[1]))
    assert merged == expected


def test_naming_strength_counts_words_held_in_naming_fields() -> None:
    femur = Concept(
        "femur",
        (
            Alternative(("femur",), 1.0, "exact", "femur"),
            Alternative(("thigh", "bone"), 0.5, "synonym", "thigh bone"),
        ),
    )
    fracture = Concept("fracture", (Alternative(("fractur",), 1.0, "exact", "fracture"),))
    concepts = (femur, fracture)
    assert naming_strength([("title", "thigh"), ("title", "bone")], concepts) == 1  # one word, two terms
    assert naming_strength([("title", "femur"), ("names", "fractur")], concepts) == 2
    assert (
        naming_strength([("title", "thigh"), ("summary", "fractur")], concepts) == 0
    )  # part of a reading; a section
    matched = [("title", "walker"), ("names", "walker"), ("summary", "fold"), ("name", "fold")]
    assert naming_strength(matched, ()) == 2  # no free words: the terms held


def test_titles_page_with_the_pages(index: Path) -> None:
    with Searcher(index) as searcher:
        first, second = searcher.search("walker", limit=1), searcher.search("walker", limit=1, offset=1)
    assert [(hit.code, hit.no_page) for hit in (*first.hits, *second.hits)] == [
        ("E0143", True),
        ("E0144", True),
    ]
    assert first.total == second.total == 2
