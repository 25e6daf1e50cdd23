"""The layouts real pages of the site use (issue 12), one test per pattern.

The fixtures (tests/pages/site) are our own words written the way the site renders its pages:
each page has a reference rendering with every heading (site/reference) and renderings that
reproduce one pattern each. tests/test_section_accuracy.py measures their sections; these tests
hold what each pattern is about.
"""

from __future__ import annotations

import pytest
from fixture_pages import PAGES, SITE, parse, site_reference

from medcodes.pipeline.identify import url_from_path
from medcodes.pipeline.labels import is_sentence, read_label, split_inline_labels
from medcodes.pipeline.parse import parse_page
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sections import label_key, section_for_heading

WALKER = "hcpcs:E0149"
A1C_MIRROR = SITE / "mirror" / "genhealth.example" / "code" / "cpt4" / "83036-hemoglobin-glycosylated-a1c.txt"
CAPPED_NAME = (
    "B4150-enteral-formula-nutritionally-complete-with-intact-nutrients-includes-proteins-fats-carbohydrates-"
    "vitamins-and-min.txt"
)


def _labels(page: CodePage, section: str) -> dict[str, str]:
    found = page.section(section)
    assert found is not None, section
    return {label.name: label.text for label in found.labels}


# 1. Blank-line pages whose lists are single-newline.


def test_a_blank_line_page_with_single_newline_lists_keeps_its_headed_sections() -> None:
    # List items follow each other without blank lines, so most lines have no blank line
    # before them; the blank line before each heading says a blank line is a paragraph break.
    page = parse(SITE / "blank-line-lists" / "hcpcs-E0149.txt")
    expected = site_reference(WALKER)
    assert [s.name for s in page.sections] == [
        "name",
        "summary",
        "purpose",
        "indications",
        "preparation",
        "procedure",
    ]
    assert all(s.heading for s in page.sections)  # read under their headings, none recovered
    procedure = page.section("procedure")
    assert procedure is not None
    assert expected.section("procedure").text.startswith(procedure.text)  # the page is cut there
    assert "A short walk in a corridor" in procedure.text
    assert page.notes == ()


# 2. Headless pages.


def test_a_headless_page_places_every_part_by_order_and_labels() -> None:
    page = parse(SITE / "headless" / "hcpcs-E0149.txt")
    expected = site_reference(WALKER)
    for section in page.sections:
        assert section.text == expected.section(section.name).text, section.name
    assert [s.name for s in page.sections] == [s.name for s in expected.sections][:8]
    assert {s.name for s in page.sections if s.heading} == {"name", "procedure"}
    assert page.notes == (
        "sections placed without headings: summary, purpose, indications, preparation, duration, setting",
    )


def test_a_page_with_a_code_and_text_but_no_heading_is_a_code_page() -> None:
    page = parse(SITE / "no-headings" / "hcpcs-E0149.txt")
    expected = site_reference(WALKER)
    assert page.key == WALKER
    assert page.section("name").text == expected.section("name").text
    assert page.alt_names == expected.alt_names
    assert [s.name for s in page.sections] == [s.name for s in expected.sections][:7]


def test_a_page_that_lost_only_its_name_heading_keeps_its_name_block() -> None:
    page = parse(SITE / "lost-name-heading" / "hcpcs-E0149.txt")
    expected = site_reference(WALKER)
    assert page.section("intro") is None
    assert page.section("name").text == expected.section("name").text
    assert page.alt_names == expected.alt_names


def test_text_without_a_code_or_a_heading_is_not_a_code_page() -> None:
    text = b"Shopping list\n\nMilk and bread.\n\n\nCall the plumber about the sink.\n"
    with pytest.raises(ValueError, match="none of the code page's sections found"):
        parse_page(text, "notes/todo.txt")


# 3. Label wording folded by head words.


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Medical Conditions or Problems Addressed", "medical_conditions"),
        ("Medical Condition/Problem", "medical_conditions"),
        ("Specific Symptoms or Conditions", "symptoms_conditions"),
        ("Symptoms/Conditions Warranting the Procedure", "symptoms_conditions"),
        ("Diagnostic Tests or Assessments", "diagnostic_tests"),
        ("Patient Criteria or Factors", "patient_criteria"),
        ("Goals/Expected Outcomes", "goals"),
        ("Technical or Medical Terms", "technical_terms"),
        ("Healthcare Professionals Involved", "healthcare_professionals"),
        ("Tools and Equipment", "tools_equipment"),
        ("Common risks include", "common_risks"),
        ("Pre-procedure instructions for the patient", "pre_procedure_instructions"),
        # Step labels of a procedure stay themselves: no head word of the template's labels.
        ("Usage Instructions", "usage_instructions"),
        ("Visual Acuity Test", "visual_acuity_test"),
        ("Anesthesia Administration", "anesthesia_administration"),
        ("Follow-up plan", "follow_up_plan"),
        ("Conditions", "conditions"),
    ],
)
def test_label_wordings_fold_by_their_head_words(label: str, key: str) -> None:
    assert label_key(label) == key


def test_long_label_wordings_place_a_headless_page() -> None:
    page = parse(SITE / "headless" / "hcpcs-E0149.txt")
    assert set(_labels(page, "purpose")) == {"medical_conditions", "goals"}
    assert set(_labels(page, "indications")) == {"symptoms_conditions", "patient_criteria"}
    assert set(_labels(page, "procedure")) >= {"tools_equipment", "anesthesia_sedation"}


# 4. Labels inside lines.


def test_labels_run_into_lines_give_the_reference_record() -> None:
    page = parse(SITE / "run-on-labels" / "hcpcs-E0149.txt")
    expected = site_reference(WALKER)
    assert page.sections == expected.sections
    assert _labels(page, "purpose")["goals"].startswith("Let the person walk safely")
    lines = page.section("procedure").text.split("\n")
    assert any(line.startswith("Tools and Equipment: Heavy duty wheeled walker") for line in lines)


@pytest.mark.parametrize(
    ("line", "pieces"),
    [
        ("Tools and Equipment: Walker, glide caps.", ["Tools and Equipment: Walker, glide caps."]),
        ("Technical or Medical Terms: Gait frame", ["Technical or Medical Terms: Gait frame"]),
        ("Lung Function Testing: The patient blows.", ["Lung Function Testing: The patient blows."]),
        ("Foam Dressing Care Common name(s): Pad", ["Foam Dressing Care", "Common name(s): Pad"]),
        ("Asthma and dust allergy Goals:", ["Asthma and dust allergy", "Goals:"]),
        ("Walks well. Tools and Equipment: A frame.", ["Walks well.", "Tools and Equipment: A frame."]),
        ("Common name: Rollator Technical term: Frame", ["Common name: Rollator", "Technical term: Frame"]),
        ("A (Common names: rollator; Medical term: x)", ["A (Common names: rollator; Medical term: x)"]),
    ],
    ids=["tools-and-equipment", "technical-or-medical", "own-label", "name-run-into-label", "label-at-end",
         "label-inside",
         "two-name-labels", "inside-parentheses"],
)  # fmt: skip
def test_labels_inside_lines(line: str, pieces: list[str]) -> None:
    assert split_inline_labels(line) == pieces


@pytest.mark.parametrize(
    "phrase",
    ["Patients may need to", "This procedure addresses", "The frame is used to", "Walkers are suited for"],
)
def test_a_sentence_with_a_colon_is_not_a_label(phrase: str) -> None:
    assert is_sentence(phrase)
    assert read_label(f"{phrase}: rest, fluids") is None


def test_a_sentence_before_a_list_is_text_and_the_list_stays_in_its_section() -> None:
    page = parse(SITE / "reference" / "hcpcs-E0149.txt")
    assert set(_labels(page, "preparation")) == {"diagnostic_tests"}
    assert page.section("preparation").text.startswith("Patients may need to:\nMeasure the width")


# 5. The name block.


def test_names_in_parentheses_are_alternative_names_and_the_code_is_a_mention() -> None:
    page = parse(SITE / "reference" / "hcpcs-E0149.txt")
    assert _labels(page, "name") == {
        "common_names": "bariatric rolling walker, wide wheeled walker",
        "technical_terms": "reinforced front-wheeled ambulation frame",
    }
    assert page.alt_names == (
        "bariatric rolling walker, wide wheeled walker",
        "reinforced front-wheeled ambulation frame",
    )
    assert page.key == WALKER


@pytest.mark.parametrize(
    "line", ["Walker, folding (HCPCS Code: E0135)", "Red cells, washed (CPT code: 86999)"]
)
def test_a_code_mention_is_not_a_label(line: str) -> None:
    assert read_label(line) is None


def test_a_value_is_never_a_code_fragment() -> None:
    text = (
        "Walker, folding\nHCPCS code\nName of the Procedure:\nWalker, folding (HCPCS Code: E0135)\n"
        "Technical Term: Folding frame (HCPCS Code: E0135)\nSummary\nA frame that folds flat.\n"
    )
    page = parse_page(text.encode(), "notes/walker.txt")
    assert page.key == "hcpcs:E0135"
    assert _labels(page, "name") == {"technical_terms": "Folding frame (HCPCS Code: E0135)"}
    assert page.alt_names == ("Folding frame",)


@pytest.mark.parametrize(
    "term",
    ["HCPCS Code E0135 - Folding frame", "Folding frame – HCPCS Code E0135", "E0135 - Folding frame"],
)
def test_the_pages_code_beside_a_name_is_not_part_of_it(term: str) -> None:
    text = f"Walker, folding\nHCPCS code\nName of the Procedure:\nTechnical Term: {term}\nSummary\nA frame.\n"
    assert parse_page(text.encode(), "hcpcs-E0135.txt").alt_names == ("Folding frame",)


# 6. Titles.


def test_a_parenthesised_abbreviation_is_part_of_the_title() -> None:
    for path in (A1C_MIRROR, SITE / "reference" / "cpt4-83036.txt"):
        page = parse(path)
        assert page.title == "Hemoglobin; glycosylated (A1C)"
        assert page.key == "cpt:83036"
        assert "title truncated" not in page.notes


@pytest.mark.parametrize(
    "host", ["genhealth.example", "www.genhealth.example"], ids=["cut-title", "no-title"]
)
def test_a_title_cut_where_the_crawler_capped_the_file_name_is_marked_truncated(host: str) -> None:
    page = parse(SITE / "mirror" / host / "code" / "hcpcs" / CAPPED_NAME)
    assert page.key == "hcpcs:B4150"
    assert page.title.endswith("vitamins and min…")
    assert "title truncated" in page.notes
    assert page.sections == site_reference("hcpcs:B4150").sections


def test_lines_restating_the_title_are_header_not_an_intro() -> None:
    text = (SITE / "reference" / "hcpcs-E0149.txt").read_text(encoding="utf-8")
    assert "(Bariatric), Rigid or Folding, Any Type (E0149)\nName of the Procedure:" in text
    for folder in ("reference", "blank-line-lists", "headless", "no-headings", "run-on-labels"):
        page = parse(SITE / folder / "hcpcs-E0149.txt")
        assert page.section("intro") is None, folder
        assert "Bariatric" not in page.section("name").text


def test_stray_markdown_never_reaches_section_text() -> None:
    assert "##### Goals" in A1C_MIRROR.read_text(encoding="utf-8")
    page = parse(A1C_MIRROR)
    assert all("#" not in s.text for s in page.sections)
    assert page.sections == site_reference("cpt:83036").sections


# 7. URL.


def test_a_page_saved_under_the_sites_address_gets_that_url() -> None:
    page = parse(A1C_MIRROR)
    assert page.url == "https://genhealth.example/code/cpt4/83036-hemoglobin-glycosylated-a1c"
    assert parse(SITE / "reference" / "cpt4-83036.txt").url is None
    assert parse(PAGES / "systems" / "code" / "cpt4" / "45380.txt").url is None  # no host in the path


@pytest.mark.parametrize(
    ("path", "url"),
    [
        (
            "mirror/genhealth.ai/code/hcpcs/A0304-ambulance.txt",
            "https://genhealth.ai/code/hcpcs/A0304-ambulance",
        ),
        ("pages.zip#www.site.example/code/cpt4/83036.html", "https://www.site.example/code/cpt4/83036"),
        ("tests/pages/systems/code/cpt4/45380.txt", None),
        ("saves/v1.2/code/cpt4/45380.txt", None),
    ],
    ids=["mirror", "archive-member", "no-host", "version-folder"],
)
def test_a_mirrored_path_gives_the_address(path: str, url: str | None) -> None:
    assert url_from_path(path) == url


# The condition template of ICD-10-CM pages.


def test_condition_pages_give_their_own_sections() -> None:
    for folder in ("reference", "blank-line"):
        page = parse(SITE / folder / "icd10cm-I48.91.txt")
        assert [s.name for s in page.sections] == [
            "name", "summary", "causes", "risk_factors", "symptoms", "diagnosis",
            "treatment_options", "prognosis_and_follow_up", "risks",
        ]  # fmt: skip
        assert all(s.text and s.heading for s in page.sections)
        assert page.alt_names == ("AFib or an irregular heartbeat",)


def test_condition_headings_are_headings_only_on_condition_pages() -> None:
    assert section_for_heading("Causes") is None and section_for_heading("Causes", condition=True) == "causes"
    assert section_for_heading("Name of the Condition") == "name"
    page = parse(SITE / "reference" / "hcpcs-E0149.txt")
    assert page.section("symptoms") is None and page.section("diagnosis") is None
