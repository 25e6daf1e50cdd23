"""Titles and header lines: codes written into titles, truncation, breadcrumbs, category lines."""

from __future__ import annotations

import pytest

from pipeline.header import is_category_line, read_breadcrumb
from pipeline.titles import Title, read_title, restates_title


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
    ],
    ids=["markdown-code", "labelled-code", "breadcrumb-code", "short-icd-breadcrumb", "a1c-is-a-word",
         "ellipsis", "mid-word-against-slug", "whole-word-cut", "whole-slug", "unrelated-slug"],
)  # fmt: skip
def test_read_title(raw: str, slug: str | None, known: str | None, expected: Title) -> None:
    assert read_title(raw, slug, known) == expected


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
