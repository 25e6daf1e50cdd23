"""Code-set status on hits, `search --billable` / `--active-on`, status facets, and `show`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from fastapi.testclient import TestClient

import medcodes
from medcodes.cli import cli
from medcodes.queries.search import Searcher
from medcodes.server.app import ServerSettings, create_app

# Code sets written for the example pages (descriptors in our own words, dates invented):
# A0429 terminated at the end of 2020, J9271 added in 2030, K21 a header over K21.9 (made a
# header here by listing a child), J2405 and J45.909 listed in no loaded code set, I10 with a
# descriptor unlike its page's title.
HCPCS_CSV = """code,kind,active,long_description,betos,cov,price1,mult_pi,tos1,add_dt,act_eff_dt,term_dt,\
action_cd
A0427,procedure,1,"Ambulance service, advanced life support, emergency",,,,,,20010101,20010101,,N
A0429,procedure,0,"Ambulance service, basic life support, emergency",,,,,,20010101,20210101,20201231,D
J1100,procedure,1,"Injection, dexamethasone sodium phosphate, 1 mg",,,,,,19820101,19820101,,N
J9229,procedure,1,"Injection, inotuzumab ozogamicin, 0.1 mg",,,,,,20190101,20190101,,N
J9271,procedure,1,"Injection, pembrolizumab, 1 mg",,,,,,20300101,20300101,,A
E0601,procedure,1,Continuous positive airway pressure device zebrafishword,,,,,,19850101,19850101,,N
GA,modifier,1,Waiver of liability statement issued,,,,,,19950101,19950101,,N
"""
ICD_JSONL = "".join(
    json.dumps(row) + "\n"
    for row in [
        {  # another code's descriptor, as the real site has on some pages: the report flags it
            "code": "I10",
            "description": "Struck by sports equipment",
            "parent": None,
            "billable": True,
            "chapter": "9",
            "block": "I10-I1A",
        },
        {"code": "E11", "description": "Type 2 diabetes mellitus", "parent": None, "billable": False},
        {
            "code": "E119",
            "description": "Type 2 diabetes mellitus without complications",
            "parent": "E11",
            "billable": True,
        },
        {
            "code": "K219",
            "description": "Reflux disease without esophagitis",
            "parent": None,
            "billable": False,
        },
        {
            "code": "K2190",
            "description": "Reflux disease, a child listed for the test",
            "parent": "K219",
            "billable": True,
        },
        {
            "code": "C9100",
            "description": "Acute lymphoblastic leukemia not in remission",
            "parent": None,
            "billable": True,
        },
        {"code": "M5450", "description": "Low back pain, unspecified", "parent": None, "billable": True},
    ]
)
DAY = date(2026, 1, 15)  # a date given is also a filter: codes in force that day


@pytest.fixture(scope="module")
def loaded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("codeset-search")
    root = folder / "ix"
    medcodes.ingest([str(EXAMPLES)], root, workers=1)
    (folder / "hcpcs_2025_oct.csv").write_text(HCPCS_CSV)
    (folder / "icd10cm_2026.jsonl").write_text(ICD_JSONL)
    medcodes.load_code_sets(root, [folder / "hcpcs_2025_oct.csv", folder / "icd10cm_2026.jsonl"])
    return root


@pytest.fixture(scope="module")
def searcher(loaded_index: Path) -> Iterator[Searcher]:
    with Searcher(loaded_index) as opened:
        yield opened


def statuses(result: medcodes.SearchResult) -> dict[str, tuple[str, bool | None]]:
    return {hit.code: (hit.status, hit.billable) for hit in result.hits}


def test_each_hit_carries_status_and_billable(searcher: Searcher) -> None:
    result = searcher.search("J*", limit=20)  # statuses as of today
    assert statuses(result) == {
        "J1100": ("active", True),
        "J2405": ("unknown code", None),  # HCPCS is loaded and does not list it
        "J9229": ("active", True),
        "J9271": ("not yet effective", False),
        "J45.909": ("unknown code", None),
    }
    cpt = searcher.search("knee arthroscopy meniscus", limit=1)
    assert (cpt.hits[0].system, cpt.hits[0].status, cpt.hits[0].billable) == ("cpt", "no code set", None)
    assert cpt.hits[0].to_dict()["status"] == "no code set" and cpt.hits[0].to_dict()["billable"] is None


def test_status_depends_on_the_date(searcher: Searcher) -> None:
    before = searcher.search("A04*", active_on=date(2020, 6, 1))
    today = searcher.search("A04*")
    assert statuses(before) == {"A0427": ("active", True), "A0429": ("active", True)}
    assert statuses(today) == {"A0427": ("active", True), "A0429": ("terminated", False)}
    assert searcher.code_status("hcpcs", "A0429", date(2020, 12, 31)).status == "active"  # its last day
    assert searcher.code_status("hcpcs", "A0429", date(2021, 1, 1)).status == "terminated"


def test_billable_keeps_codes_billable_on_the_date(searcher: Searcher) -> None:
    listing = searcher.search("J*", billable=True, active_on=DAY, facets=True)
    assert [hit.code for hit in listing.hits] == ["J1100", "J9229"]
    assert (listing.total, listing.facets, listing.status_facets) == (2, {"hcpcs": 2}, {"active": 2})
    words = searcher.search("ambulance", billable=True, active_on=DAY, facets=True)
    assert [hit.code for hit in words.hits] == ["A0427"]
    assert (words.total, words.facets) == (1, {"hcpcs": 1})
    later = searcher.search("pembrolizumab", billable=True, active_on=date(2031, 1, 1))
    assert [hit.code for hit in later.hits] == ["J9271"]


def test_active_on_keeps_headers_and_drops_terminated(searcher: Searcher) -> None:
    reflux = searcher.search("reflux", active_on=DAY)
    assert statuses(reflux)["K21.9"] == ("header", False)
    billable = searcher.search("reflux", billable=True, active_on=DAY)  # the header's page is out
    assert [(hit.code, hit.no_page) for hit in billable.hits] == [("K21.90", True)]  # its child has none
    ambulance = searcher.search("ambulance", active_on=DAY)
    assert "A0429" not in statuses(ambulance) and "A0427" in statuses(ambulance)
    assert "A0429" in statuses(searcher.search("ambulance", active_on=date(2019, 1, 1)))


def test_status_facets_count_every_match(searcher: Searcher) -> None:
    result = searcher.search("ambulance", facets=True)
    assert result.status_facets == {"active": 1, "terminated": 1}
    assert result.to_dict()["status_facets"] == {"active": 1, "terminated": 1}
    codes = searcher.search("J*", facets=True)
    assert codes.status_facets == {"active": 2, "not yet effective": 1, "unknown code": 2}


def test_code_set_words_of_a_code_with_a_page_are_not_searchable(searcher: Searcher) -> None:
    # Only in E0601's official descriptor, and E0601 has a page: its page's words find it, not
    # the descriptor (a code with no page is found by its descriptor: test_codeset_titles.py).
    assert searcher.search("zebrafishword").total == 0


def test_cli_search_options(loaded_index: Path, built_index: Path) -> None:
    runner = CliRunner()
    args = ["search", "ambulance", "--index", str(loaded_index), "--facets", "--active-on", "2026-01-15"]
    text = runner.invoke(cli, args).output
    assert "pages per code status: active 1" in text and "A0429" not in text
    everything = runner.invoke(cli, [*args[:4], "--facets"]).output
    assert "[terminated]" in everything and "pages per code status: active 1, terminated 1" in everything
    billable = runner.invoke(cli, ["search", "J*", "--billable", "--json", "--index", str(loaded_index)])
    assert {hit["code"] for hit in json.loads(billable.stdout)["hits"]} == {"J1100", "J9229"}
    bad = runner.invoke(cli, ["search", "x", "--active-on", "2026-13-01", "--index", str(loaded_index)])
    assert bad.exit_code == 2 and "Invalid value for '--active-on'" in bad.output
    none = runner.invoke(cli, ["search", "walker", "--billable", "--index", str(built_index)])
    assert none.exit_code == 1
    assert none.stderr.strip().startswith("Error: --billable and --active-on need a code set")


def test_show_prints_code_set_attributes_above_the_sections(loaded_index: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["show", "J9229", "--index", str(loaded_index)]).output
    assert "Code set: HCPCS 2025-Q4: active, billable, procedure" in text
    assert text.index("Code set:") < text.index("official descriptor:") < text.index("Name of the Procedure")
    assert "added 2019-01-01, effective 2019-01-01, action N" in text
    assert (
        "Code set: unknown code (not in hcpcs-2025-oct)"
        in runner.invoke(cli, ["show", "J2405", "--index", str(loaded_index)]).output
    )
    assert (
        "Code set: none loaded for CPT"
        in runner.invoke(cli, ["show", "29881", "--index", str(loaded_index)]).output
    )
    record = json.loads(runner.invoke(cli, ["show", "E11.9", "--json", "--index", str(loaded_index)]).output)
    assert record["code_set"] == {
        "status": "active",
        "billable": True,
        "descriptor": "Type 2 diabetes mellitus without complications",
        "header": False,
        "release": "icd10cm-fy2026",
        "version": "FY2026",
        "parent": "E11",
    }
    assert record["sections"]  # the page itself is unchanged


def test_server_search_and_code_page(loaded_index: Path) -> None:
    with TestClient(create_app(ServerSettings(loaded_index))) as client:
        answer = client.get(
            "/search", params={"q": "J*", "billable": "true", "active_on": "2026-01-15"}
        ).json()
        assert [hit["code"] for hit in answer["hits"]] == ["J1100", "J9229"]
        assert all(hit["status"] == "active" and hit["billable"] for hit in answer["hits"])
        posted = client.post("/search", json={"q": "J*", "facets": True}).json()
        assert posted["status_facets"] == {"active": 2, "not yet effective": 1, "unknown code": 2}
        page = client.get("/codes/hcpcs/A0429").json()
        assert page["code_set"]["terminated"] == "2020-12-31" and page["code_set"]["action"] == "D"
        assert client.get("/search", params={"q": "x", "active_on": "soon"}).status_code in (400, 422)


# --- codesets report ----------------------------------------------------------------------------

UNLISTED = ["A4206", "A4253", "A6216", "C9028", "E0135", "E0143", "J2405", "K0001", "J45.909"]


def test_report_findings(loaded_index: Path) -> None:
    result = CliRunner().invoke(cli, ["codesets", "report", "--json", "--index", str(loaded_index)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["pages"], report["codes"], report["threshold"]) == (26, 14, 0.5)
    assert [(f["code"], f["detail"]) for f in report["terminated"]] == [("A0429", "2020-12-31")]
    assert [(f["code"], f["overlap"]) for f in report["title_disagrees"]] == [("I10", 0.0)]
    assert report["title_disagrees"][0]["detail"] == "Struck by sports equipment"
    assert (
        report["no_page"] == {"hcpcs": {"G": 1}, "icd10cm": {"E": 1, "K": 1}} and report["no_page_total"] == 3
    )
    assert sorted(f["code"] for f in report["unknown_codes"]) == sorted(UNLISTED)
    assert report["no_code_set"] == {"cpt": 6}
    earlier = CliRunner().invoke(
        cli, ["codesets", "report", "--json", "--date", "2020-06-01", "--index", str(loaded_index)]
    )
    assert json.loads(earlier.stdout)["terminated"] == []


def test_report_text(loaded_index: Path, built_index: Path) -> None:
    text = (
        CliRunner().invoke(cli, ["codesets", "report", "--shown", "2", "--index", str(loaded_index)]).output
    )
    assert "Pages for terminated codes: 1\n  HCPCS      A0429" in text
    assert "(official: Struck by sports equipment)" in text
    assert "Codes with no page: 3\n  HCPCS      1 (G 1)\n  ICD-10-CM  2 (E 1, K 1)" in text
    assert "Page codes in no code set: 9" in text and "… 7 more (--json lists all)" in text
    assert "Pages of systems with no code set loaded: CPT 6" in text
    none = CliRunner().invoke(cli, ["codesets", "report", "--index", str(built_index)])
    assert none.exit_code == 1 and none.stderr.startswith("Error: no code set loaded in the index at ")


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("Injection, furosemide, up to 20 mg", "Injection, furosemide (furoscix), 20 mg", True),
        ("Walker, folding (pickup), adjustable", "Walker, folding, pickup, adjustable or fixed height", True),
        ("Essential (primary) hypertension", "Struck by sports equipment", False),
        ("Fracture of femur", "Fracture of unspecified part of neck of right femur", True),
        ("Other specified disorders", "Other specified injuries", False),
    ],
    ids=["reworded", "more-words", "other-code", "shorter", "stop-words-only-shared"],
)
def test_word_overlap_tells_another_meaning(first: str, second: str, agree: bool) -> None:
    from medcodes.pipeline.codesets.overlap import disagree

    assert disagree(first, second) is not agree


# --- codes with no page, pages with no code ------------------------------------------------------


def test_a_code_with_no_page_is_found_by_its_code(searcher: Searcher) -> None:
    result = searcher.search("e11", facets=True)  # the header E11 has no page; E11.9 has one
    no_page = [hit for hit in result.hits if hit.no_page]
    assert [(h.code, h.title, h.status, h.billable) for h in no_page] == [
        ("E11", "Type 2 diabetes mellitus", "header", False)
    ]
    assert "E11 has no page: its official descriptor is shown" in result.notices
    assert result.hits[0].no_page and result.total == len(result.hits)
    assert result.to_dict()["hits"][0]["no_page"] is True
    assert not any(hit.no_page for hit in searcher.search("e11.9").hits)  # a page: no code-set hit
    assert searcher.search("GA", systems="icd10cm").total == 0  # the modifier, out of scope
    billable = searcher.search("e11", billable=True)  # the header is not billable, its child is
    assert [(hit.code, hit.no_page) for hit in billable.hits] == [("E11.9", False)]


def test_a_code_unknown_everywhere_is_still_a_word(searcher: Searcher) -> None:
    result = searcher.search("Q9999")
    assert result.hits == () and "no code 'Q9999' in the index: searched as a word" in result.notices


def test_show_a_code_with_no_page(loaded_index: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["show", "GA", "--system", "hcpcs", "--index", str(loaded_index)])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[:3] == [
        "GA  Waiver of liability statement issued",
        "HCPCS code",
        "Code set: HCPCS 2025-Q4: active, not billable, modifier",
    ]
    assert "No page: this code is known from its code set only." in text.output
    record = json.loads(runner.invoke(cli, ["show", "E11", "--json", "--index", str(loaded_index)]).output)
    assert (record["no_page"], record["sections"], record["code_set"]["status"]) == (True, {}, "header")
    page = json.loads(runner.invoke(cli, ["show", "E11.9", "--json", "--index", str(loaded_index)]).output)
    assert page["no_page"] is False and page["sections"]
    missing = runner.invoke(cli, ["show", "Q9999", "--index", str(loaded_index)])
    assert (missing.exit_code, missing.stderr.strip()) == (1, "Error: no page for code Q9999")


def test_show_flags_a_page_whose_code_is_in_no_code_set(loaded_index: Path) -> None:
    record = json.loads(
        CliRunner().invoke(cli, ["show", "J2405", "--json", "--index", str(loaded_index)]).output
    )
    assert record["code_set"] == {"status": "unknown code", "billable": None} and record["no_page"] is False


def test_server_code_page_of_a_code_with_no_page(loaded_index: Path) -> None:
    with TestClient(create_app(ServerSettings(loaded_index))) as client:
        record = client.get("/codes/icd10cm/E11").json()
        assert (record["no_page"], record["title"], record["code_set"]["status"]) == (
            True,
            "Type 2 diabetes mellitus",
            "header",
        )
        assert client.get("/codes/icd10cm/Q99.9").status_code == 404


def test_an_index_of_code_sets_only_answers_codes(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, [Path(__file__).parent / "data" / "codesets" / "icd10cm_2026_codes.jsonl"])
    with Searcher(root) as only_codes:
        result = only_codes.search("W21.89XA")
    assert [(hit.code, hit.no_page, hit.status) for hit in result.hits] == [("W21.89XA", True, "active")]
    assert "the index holds 0 pages: medcodes ingest adds them" in result.notices


def test_status_filters_without_a_code_set_are_an_error_everywhere(built_index: Path) -> None:
    """Only the CLI said so: the API and the server answered "no pages match" (every page is of
    no code set, so none is billable), which reads as if the index lacked the code."""
    with Searcher(built_index) as searcher:
        with pytest.raises(medcodes.MedcodesError, match="need a code set"):
            searcher.search("walker", billable=True)
        with pytest.raises(medcodes.MedcodesError, match="need a code set"):
            searcher.search("walker", active_on=date(2026, 1, 15))
        assert searcher.search("walker").hits  # without a filter, pages are found as ever
    with TestClient(create_app(ServerSettings(built_index))) as client:
        answer = client.get("/search", params={"q": "walker", "billable": "true"})
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "no_code_set"
