"""Parser behaviour beyond the golden pages: renderings agree, codes are found, bad pages rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcodes.pipeline.codes import code_forms, infer_system, normalize_code, system_from_text
from medcodes.pipeline.parse import PageParseError, parse_page

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "pages" / "hcpcs-C9028.txt"
PAGES = Path(__file__).resolve().parent / "pages"

MINIMAL = """Search all medical codes
Walker, folding (pickup), adjustable or fixed height
HCPCS code
Name of the Procedure:
A folding walker (E0135).
Summary
A frame that helps people walk.
Risks and Complications
- Common Risks: Falls.
"""


def test_text_and_html_renderings_give_the_same_record() -> None:
    text_page = parse_page(SEED.read_bytes(), "hcpcs-C9028.txt")
    html_page = parse_page((PAGES / "seed-rendered.html").read_bytes(), "seed-rendered.html")
    assert html_page.key == text_page.key == "hcpcs:C9028"
    assert html_page.title == text_page.title
    assert html_page.sections == text_page.sections
    assert html_page.content_hash == text_page.content_hash
    assert html_page.url == "https://medcodes.example/code/hcpcs/C9028-injection-inotuzumab-ozogamicin-0-1-mg"


def test_html_furniture_is_not_content() -> None:
    page = parse_page((PAGES / "seed-rendered.html").read_bytes(), "seed-rendered.html")
    text = "\n".join(s.text for s in page.sections)
    assert "cookies" not in text
    assert "analytics" not in text
    assert "Search all medical codes" not in text


def test_sections_keep_page_order_and_list_items_one_per_line() -> None:
    page = parse_page(SEED.read_bytes(), "hcpcs-C9028.txt")
    assert [s.name for s in page.sections] == [
        "name", "summary", "purpose", "indications", "preparation", "procedure", "duration",
        "setting", "personnel", "risks", "benefits", "recovery", "alternatives", "experience",
    ]  # fmt: skip
    risks = page.section("risks")
    assert risks is not None
    assert risks.text.split("\n") == [
        "Common Risks: Fever, nausea, fatigue, low blood cell counts.",
        "Rare Risks: Severe allergic reactions, liver damage, infusion-related reactions, and infections.",
    ]
    assert {label.name for label in risks.labels} == {"common_risks", "rare_risks"}


def test_unknown_heading_is_kept_as_its_own_section() -> None:
    text = MINIMAL.replace(
        "Risks and Complications", "## Cost & Coverage\nMedicare rents it monthly.\nRisks and Complications"
    )
    page = parse_page(text.encode(), "page.md")
    assert page.section("cost_coverage") is not None
    assert page.section("cost_coverage").text == "Medicare rents it monthly."
    assert page.section("risks") is not None


@pytest.mark.parametrize(
    ("source", "url", "text", "expected"),
    [
        ("anything.txt", "https://medcodes.example/code/hcpcs/E0143-walker?ref=1", MINIMAL, "hcpcs:E0143"),
        (
            "site/code/cpt4/99213-office-visit.txt",
            None,
            MINIMAL.replace("HCPCS code", "CPT4 code").replace(" (E0135)", ""),
            "cpt:99213",
        ),
        ("icd10cm-E119.txt", None, MINIMAL.replace("HCPCS code", "ICD-10-CM code"), "icd10cm:E11.9"),
        ("hcpcs-E0135.txt", None, MINIMAL, "hcpcs:E0135"),
        ("page1.txt", None, MINIMAL, "hcpcs:E0135"),
        ("page1.txt", None, MINIMAL.replace("(E0135)", "(HCPCS Code: J9229)"), "hcpcs:J9229"),
    ],
    ids=[
        "url-beats-file-name",
        "crawler-path",
        "icd-undotted-file-name",
        "file-name",
        "paren-in-text",
        "labelled-paren",
    ],
)
def test_code_identification(source: str, url: str | None, text: str, expected: str) -> None:
    assert parse_page(text.encode(), source, url).key == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary content"),
        (MINIMAL.replace(" (E0135)", "").encode(), "no code found"),
        (b"<html><body><h1>Page not found</h1></body></html>", "not a code page"),
    ],
    ids=["empty", "blank", "binary", "no-code", "not-a-code-page"],
)
def test_bad_pages_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PageParseError, match=reason):
        parse_page(data, "page.txt")


def test_content_hash_ignores_where_the_page_came_from() -> None:
    first = parse_page(SEED.read_bytes(), "a/hcpcs-C9028.txt")
    second = parse_page(SEED.read_bytes(), "b/hcpcs-C9028.txt")
    assert first.content_hash == second.content_hash
    changed = parse_page(SEED.read_bytes().replace(b"Fever", b"Chills"), "a/hcpcs-C9028.txt")
    assert changed.content_hash != first.content_hash


@pytest.mark.parametrize(
    ("raw", "system", "normalized"),
    [("e119", "icd10cm", "E11.9"), ("E11.9", "icd10cm", "E11.9"), ("i10", "icd10cm", "I10"),
     ("c9028", "hcpcs", "C9028"), ("99213", "cpt", "99213"), ("0016070", "icd10pcs", "0016070")],
)  # fmt: skip
def test_code_normalization(raw: str, system: str, normalized: str) -> None:
    assert infer_system(raw) == system
    assert normalize_code(raw) == normalized


def test_code_forms_and_system_names() -> None:
    assert code_forms("E11.9") == ("e11.9", "e119")
    assert code_forms("C9028") == ("c9028",)
    names = ("HCPCS code", "CPT4 code", "ICD-10-CM code", "cpt4", "ICD-10-PCS")
    assert [system_from_text(s) for s in names] == ["hcpcs", "cpt", "icd10cm", "cpt", "icd10pcs"]
    assert system_from_text("Search all medical codes") is None
