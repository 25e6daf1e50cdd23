"""Titles and header lines: codes written into titles, truncation, breadcrumbs, category lines."""

from __future__ import annotations

import pytest

from medcodes.pipeline.header import is_category_line, read_breadcrumb
from medcodes.pipeline.titles import Title, read_title, restates_title


@pytest.mark.parametrize(
    ("raw", "slug", "known", "expected"),
    [
        ("# Walker, folding (E0135)", None, None, Title("Walker, folding", "E0135")),
        ("Injection, inotuzumab (HCPCS Code: J9229)", None, None, Title("Injection, inotuzumab", "J9229")),
        ("A4253 Blood glucose test strips", None, "A4253", Title("Blood glucose test strips", "A4253")),
        ("I10 Essential hypertension", None, "I10", Title("Essential hypertension", "I10")),
        ("A1C test kit", None, None, Title("A1C test kit")),  # a short code shape is a word here
        ("Acute infection, unspe...", None, None, Title("Acute infection, unspe…", truncated=True)),
        ("Colonoscopy, bio", "colonoscopy-biopsy-single", None, Title("Colonoscopy, bio…", truncated=True)),
        ("Colon, biopsy", "colon-biopsy-single", None, Title("Colon, biopsy…", truncated=True)),
        ("Colonoscopy, flexible", "colonoscopy-flexible", None, Title("Colonoscopy, flexible")),
        ("Colonoscopy, flexible", "something-else-entirely", None, Title("Colonoscopy, flexible")),
        ("Hemoglobin; glycosylated (A1C)", None, "83036", Title("Hemoglobin; glycosylated (A1C)")),
        ("Dextrose in water (D5W)", None, None, Title("Dextrose in water (D5W)")),
        ("Walker, folding (E0135)", None, "E0135", Title("Walker, folding", "E0135")),
        ("Ambulance, life support (ALS)", None, "A0426", Title("Ambulance, life support (ALS)")),
    ],
    ids=["markdown-code", "labelled-code", "breadcrumb-code", "short-icd-breadcrumb", "a1c-is-a-word",
         "ellipsis", "mid-word-against-slug", "whole-word-cut", "whole-slug", "unrelated-slug",
         "abbreviation-in-parentheses", "short-code-shape-in-parentheses", "own-code-in-parentheses",
         "als"],
)  # fmt: skip
def test_read_title(raw: str, slug: str | None, known: str | None, expected: Title) -> None:
    assert read_title(raw, slug, known) == expected


@pytest.mark.parametrize(
    ("raw", "capped", "truncated"),
    [
        ("Enteral formula, nutritionally complete with intact nutri", True, True),
        ("Enteral formula, nutritionally complete with intact nutri", False, False),
        ("Enteral formula, nutritionally complete with intact nutrients, per 100 calories", True, False),
    ],
    ids=["ends-where-the-capped-name-ends", "name-not-capped", "runs-on-past-the-capped-name"],
)
def test_a_title_ending_where_a_capped_file_name_ends_is_truncated(
    raw: str, capped: bool, truncated: bool
) -> None:
    slug = "enteral-formula-nutritionally-complete-with-intact-nutri"
    assert read_title(raw, slug, "B4150", capped).truncated is truncated


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Codes / HCPCS / A4253", ("hcpcs", "A4253")),
        ("Home › ICD-10-CM › J06.9", ("icd10cm", "J06.9")),
        ("Codes / CPT4 / 45380", ("cpt", "45380")),
        ("Risks / benefits / alternatives", None),
        ("Take 1 / 2 tablet", None),
    ],
)
def test_read_breadcrumb(line: str, expected: tuple[str, str] | None) -> None:
    assert read_breadcrumb(line) == expected


def test_header_lines() -> None:
    assert is_category_line("HCPCSDMEPOS") and is_category_line("CPT4SURGERY")
    assert not is_category_line("HCPCS code") and not is_category_line("Summary")
    assert restates_title(
        "Cane, includes canes of all materials (E0100)", "Cane, includes canes of all materials"
    )
    assert not restates_title("Supply and fitting of a cane", "Cane, includes canes of all materials")
    # Restated with an abbreviation added and the code: still the title (issue 12).
    assert restates_title(
        "Ankle Foot Orthosis (AFO), Plastic, Prefabricated (L1930)",
        "Ankle foot orthosis, plastic, prefabricated",
    )
    assert not restates_title(
        "Ankle brace fitted by an orthotist", "Ankle foot orthosis, plastic, prefabricated"
    )
