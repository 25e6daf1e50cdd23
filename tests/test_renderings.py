"""Every rendering of a page gives the same record (issue 3): not only each golden, but equality.

Containers hold renderings too, read through the same batch API as ingest.
"""

from __future__ import annotations

import pytest
from fixture_pages import (
    BASES,
    CHANGED_IN_CONTAINER,
    EXTRA_SAME,
    PAGES,
    SAME,
    content,
    parse,
    reference,
    renderings,
)

from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.parse import parse_page


def test_the_reference_renderings_are_the_five_pages() -> None:
    assert {reference(key).key for key in BASES} == set(BASES)


@pytest.mark.parametrize("folder", SAME)
def test_renderings_give_the_reference_record(folder: str) -> None:
    pages = [parse(path) for path in renderings(folder)]
    assert sorted(page.key for page in pages) == sorted(BASES)
    for page in pages:
        expected = reference(page.key)
        if "title truncated" in page.notes:
            # The site cut the title: all else is the page, the title is marked and the URL
            # slug's words kept searchable.
            assert page.title.endswith("…")
            assert expected.title.startswith(page.title.rstrip("…"))
            assert page.sections == expected.sections
            continue
        assert content(page) == content(expected), page.source
        assert page.content_hash == expected.content_hash


@pytest.mark.parametrize("path", EXTRA_SAME)
def test_other_renderings_give_the_reference_record(path: str) -> None:
    page = parse(PAGES / path)
    assert content(page) == content(reference(page.key))


def test_headless_pages_recover_every_section_from_order_and_labels() -> None:
    for path in renderings("headless"):
        if path.parent.name == "unplaced":
            continue
        page = parse(path)
        expected = reference(page.key)
        assert content(page, headings=False) == content(expected, headings=False), path.name
        assert page.content_hash == expected.content_hash
        # Only the headings that survived are kept as written.
        kept = {s.name for s in page.sections if s.heading}
        assert kept <= {"name", "procedure", "risks"}
        assert any(note.startswith("sections placed without headings: summary") for note in page.notes)


def test_a_part_with_two_free_sections_is_placed_by_its_words() -> None:
    # Setting lost its heading and its text: the Duration paragraph alone stands between
    # Procedure Description and Personnel, and its words (minutes, days) say which it is.
    page = parse(PAGES / "headless" / "unplaced" / "icd10cm-J06.9.txt")
    expected = reference("icd10cm:J06.9")
    assert page.section("unplaced") is None and page.section("setting") is None
    placed = {s.name: s.text for s in page.sections}
    assert placed == {s.name: s.text for s in expected.sections if s.name != "setting"}


def test_text_that_cannot_be_placed_is_kept_and_reported() -> None:
    # The risks part sits where only Summary to Preparation can be: its labels forbid them all.
    text = (
        "Walker, folding\nHCPCS code\nName of the Procedure:\nA folding walker (E0135)\n\n\n"
        "A light frame that folds flat.\n\n\n- Common Risks: Sore wrists.\n- Rare Risks: A fall.\n"
        "Procedure Description\n- Fitting: The handles are set at wrist height.\n"
    )
    page = parse_page(text.encode(), "hcpcs-E0135.txt")
    assert page.section("summary").text == "A light frame that folds flat."
    assert page.section("unplaced").text == "Common Risks: Sore wrists.\nRare Risks: A fall."
    assert "unplaced text: 1 block(s) kept in section 'unplaced'" in page.notes


def test_nested_lists_and_their_flattened_siblings_give_one_label() -> None:
    nested = parse(PAGES / "blank-lines" / "hcpcs-E0100.txt").section("procedure")
    flattened = parse(PAGES / "single-newline" / "hcpcs-E0100.txt").section("procedure")
    assert nested == flattened
    labels = {label.name: label.text for label in nested.labels}
    assert labels["usage_instructions"].split("\n") == [
        "Hold the cane in the hand opposite the weaker leg.",
        "Move the cane and the weaker leg forward together.",
        "Step through with the stronger leg.",
    ]
    assert labels["stair_training"].startswith("The person practices")


def test_an_item_and_the_next_label_on_one_line_are_split() -> None:
    text = (PAGES / "single-newline" / "hcpcs-C9028.txt").read_text(encoding="utf-8")
    assert "(ALL). Goals:" in text
    purpose = parse(PAGES / "single-newline" / "hcpcs-C9028.txt").section("purpose")
    assert [label.name for label in purpose.labels] == ["medical_conditions", "goals"]
    assert purpose.text.split("\n")[1].startswith("Goals: The main goal")


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("header-quirks/icd10cm-J06.9.txt", "Acute upper respiratory infection, unspe…"),
        (
            "header-quirks/code/cpt4/45380-colonoscopy-flexible-with-biopsy-single-or-multiple.txt",
            "Colonoscopy, flexible; with biopsy, sin…",
        ),
    ],
    ids=["ellipsis", "mid-word-against-url-slug"],
)
def test_truncated_titles_are_marked(path: str, title: str) -> None:
    page = parse(PAGES / path)
    assert page.title == title
    assert "title truncated" in page.notes


def test_a_truncated_title_keeps_the_url_slug_searchable() -> None:
    path = "header-quirks/code/cpt4/45380-colonoscopy-flexible-with-biopsy-single-or-multiple.txt"
    assert "colonoscopy flexible with biopsy single or multiple" in parse(PAGES / path).alt_names


def test_label_wordings_are_normalized_and_names_kept_searchable() -> None:
    page = parse(PAGES / "labels" / "icd10cm-J06.9.txt")
    name = {label.name: label.text for label in page.section("name").labels}
    assert set(name) == {"common_names", "also_known_as", "technical_terms"}
    assert page.alt_names == (
        "Common cold",
        "head cold",
        "URI",
        "Acute coryza, nasopharyngitis",
        "Acute viral upper respiratory tract infection",
    )
    goals = {label.name: label.text for label in page.section("purpose").labels}["goals"]
    assert goals.split("\n")[0] == "Ease congestion, sore throat and cough"
    for path in ("labels/hcpcs-E0100.txt", "labels/cpt4-45380.txt"):
        page = parse(PAGES / path)
        reference_page = reference(page.key)
        for section in reference_page.sections:
            keys = [label.name for label in page.section(section.name).labels]
            assert keys == [label.name for label in section.labels], (path, section.name)
        assert page.alt_names == reference_page.alt_names


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("systems/saved-page-0007.txt", "hcpcs:C9028"),  # "(HCPCS Code: C9028)" before "(J9229)"
        ("systems/saved-page-0008.txt", "hcpcs:E0100"),  # fits the system line, unlike "(97116)"
        ("systems/code/cpt4/45380.txt", "cpt:45380"),  # CPT: only the crawler path names it
        ("breadcrumb/saved-page-0412.txt", "cpt:45380"),  # only the breadcrumb names it
        ("html-structures/saved-page-0413.html", "cpt:45380"),  # only the HTML breadcrumb
    ],
)
def test_the_page_own_code_wins_over_codes_it_mentions(path: str, key: str) -> None:
    assert parse(PAGES / path).key == key


def test_a_page_about_something_else_is_kept_but_flagged() -> None:
    page = parse(PAGES / "mismatch" / "hcpcs-E0110.txt")
    assert page.key == "hcpcs:E0110"
    assert "content may not match the title" in page.notes
    for folder in SAME:
        assert not any("content may not match" in n for p in renderings(folder) for n in parse(p).notes)


def test_pages_in_containers_are_the_same_records() -> None:
    for container in sorted((PAGES / "containers").iterdir()):
        source = str(container.relative_to(PAGES))
        pages = [o.page for o in parse_input(source, container.read_bytes()) if o.page is not None]
        assert pages, container.name
        for page in pages:
            if page.source.endswith(CHANGED_IN_CONTAINER):
                # Windows-1252 bytes whose charset only the HTTP header names (dashes added).
                assert "upper airway – nose, throat –" in page.section("summary").text
                continue
            assert content(page, headings=False) == content(reference(page.key), headings=False), page.source


def test_section_text_is_kept_line_by_line() -> None:
    page = reference("cpt:45380")
    assert page.section("procedure").text.split("\n")[3:7] == [
        "Inspection and Biopsy:",
        "The lining is inspected carefully while the scope is withdrawn.",
        "Forceps take samples from each area of concern.",
        "Samples from different segments go into separate labeled jars.",
    ]
