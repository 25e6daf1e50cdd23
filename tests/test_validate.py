"""Validation verdicts and format repairs over a small code table (tests/codeset_entries.py)."""

from __future__ import annotations

from datetime import date

import pytest
from codeset_entries import code_table

from medcodes.pipeline.codesets.table import CodeTable
from medcodes.queries.validate.edits import near_substitution, one_character_edits, placeholder_forms
from medcodes.queries.validate.judge import SHOWN_CHILDREN
from medcodes.queries.validate.validate import validate, validate_many
from medcodes.queries.validate.verdict import (
    BILLABLE,
    DELETION,
    HEADER,
    INSERTION,
    NOT_BILLABLE,
    NOT_YET_EFFECTIVE,
    PLACEHOLDER,
    SEVENTH,
    SUBSTITUTION,
    TERMINATED,
    TRANSPOSITION,
    UNKNOWN,
)

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def table() -> CodeTable:
    return code_table()


def suggested(table: CodeTable, text: str) -> list[tuple[str, str]]:
    return [(s.code, s.kind) for s in validate(table, text, ON).suggestions]


# --- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "code"),
    [
        ("E11.9", BILLABLE, "E11.9"),
        ("J9229", BILLABLE, "J9229"),
        ("0DTJ4ZZ", BILLABLE, "0DTJ4ZZ"),
        ("W21.89XA", BILLABLE, "W21.89XA"),
        ("E11", HEADER, "E11"),
        ("S72.001", HEADER, "S72.001"),
        ("J1940", TERMINATED, "J1940"),
        ("A2036", NOT_YET_EFFECTIVE, "A2036"),
        ("A1", NOT_BILLABLE, "A1"),
        ("J9292", UNKNOWN, None),
    ],
    ids=lambda value: str(value),
)
def test_one_verdict_per_code(table: CodeTable, text: str, verdict: str, code: str | None) -> None:
    answer = validate(table, text, ON)
    assert (answer.verdict, answer.code, answer.input) == (verdict, code, text)
    assert answer.billable is (verdict == BILLABLE)


def test_a_listed_code_as_typed_has_no_notes(table: CodeTable) -> None:
    answer = validate(table, "E11.9", ON)
    assert answer.notes == () and answer.suggestions == ()
    assert answer.descriptor == "Type 2 diabetes mellitus without complications"
    assert answer.release == "icd10cm-fy2026"


def test_a_header_lists_its_billable_descendants(table: CodeTable) -> None:
    answer = validate(table, "E11", ON)
    assert [c.code for c in answer.children] == ["E11.65", "E11.69", "E11.8", "E11.9"]
    assert answer.children_count == 4  # E11.6, not billable itself, is not listed
    assert answer.notes == ("a category: bill one of the 4 billable codes below it",)


def test_a_header_lists_the_first_few_and_counts_them_all() -> None:
    from codeset_entries import icd

    many = [icd("R10", "Abdominal and pelvic pain", False, None)]
    many += [icd(f"R10.{n}", f"Pain {n}", True, "R10") for n in range(SHOWN_CHILDREN + 3)]
    answer = validate(CodeTable(many), "R10", ON)
    assert answer.verdict == HEADER
    assert len(answer.children) == SHOWN_CHILDREN and answer.children_count == SHOWN_CHILDREN + 3


def test_terminated_says_since_when_and_that_no_replacement_is_given(table: CodeTable) -> None:
    answer = validate(table, "J1940", ON)
    assert answer.terminated == date(2025, 3, 31)
    assert answer.notes == (
        "terminated after 2025-03-31",
        "no replacement given: the CMS HCPCS file has no replacement column",
    )
    assert answer.replacement is None and answer.suggestions == ()


def test_terminated_depends_on_the_date(table: CodeTable) -> None:
    assert validate(table, "J1940", date(2025, 3, 31)).verdict == BILLABLE  # its last day
    assert validate(table, "J1940", date(2025, 4, 1)).verdict == TERMINATED


def test_not_yet_effective_depends_on_the_date(table: CodeTable) -> None:
    before = validate(table, "A2036", date(2025, 9, 30))
    assert before.verdict == NOT_YET_EFFECTIVE and before.notes == ("effective from 2025-10-01",)
    assert validate(table, "A2036", date(2025, 10, 1)).verdict == BILLABLE


def test_a_modifier_is_not_billable_on_its_own(table: CodeTable) -> None:
    answer = validate(table, "a1", ON)
    assert answer.verdict == NOT_BILLABLE and answer.code == "A1"
    assert "a modifier" in answer.notes[-1]


def test_a_code_of_a_system_not_loaded_says_so(table: CodeTable) -> None:
    answer = validate(table, "99213", ON)
    assert answer.verdict == UNKNOWN and answer.system == "cpt"
    assert answer.notes == ("no CPT code set is loaded: it cannot be checked",)
    assert answer.suggestions == ()  # HCPCS codes one slip away are no likelier meant


def test_what_is_not_a_code(table: CodeTable) -> None:
    for text in ("", "  ", "E11/9", "walker!", "E11.9.0.0.0.0.0.0"):
        answer = validate(table, text, ON)
        assert answer.verdict == UNKNOWN and answer.code is None
        assert answer.notes[0].startswith("not a code")


# --- format repairs: applied and said -----------------------------------------------------------


@pytest.mark.parametrize("text", ["e119", "E119", "e11.9", "E11 .9", "E11-9", "E1.19", " E11.9 "])
def test_case_and_dots_are_repaired_and_reported(table: CodeTable, text: str) -> None:
    answer = validate(table, text, ON)
    assert answer.verdict == BILLABLE and answer.code == "E11.9"
    assert answer.notes == (() if text.strip() == "E11.9" else ("read as E11.9",))


def test_the_tabular_lists_dash_reads_as_the_category(table: CodeTable) -> None:
    answer = validate(table, "E11.-", ON)
    assert answer.verdict == HEADER and answer.code == "E11"


# --- repairs that change a character: suggested, never applied ------------------------------------


def test_a_missing_placeholder_is_suggested_not_applied(table: CodeTable) -> None:
    answer = validate(table, "W21.89A", ON)
    assert answer.verdict == UNKNOWN and answer.code is None
    assert answer.suggestions[0].code == "W21.89XA" and answer.suggestions[0].kind == PLACEHOLDER
    assert "a placeholder X is missing: W21.89XA" in answer.notes


def test_a_header_missing_its_seventh_character_lists_the_valid_ones(table: CodeTable) -> None:
    answer = validate(table, "W21.89", ON)
    assert answer.verdict == HEADER
    assert answer.seventh == (("A", "initial encounter"), ("D", "subsequent encounter"), ("S", "sequela"))
    assert answer.notes == (
        "a 7th character is missing (W21.89X_): A initial encounter, D subsequent encounter, S sequela",
    )


def test_a_seventh_character_after_the_placeholder_is_suggested_with_its_meaning(table: CodeTable) -> None:
    answer = validate(table, "W21.89X", ON)
    assert answer.verdict == UNKNOWN
    sevenths = [(s.code, s.meaning) for s in answer.suggestions if s.kind == SEVENTH]
    assert sevenths == [
        ("W21.89XA", "initial encounter"),
        ("W21.89XD", "subsequent encounter"),
        ("W21.89XS", "sequela"),
    ]


def test_only_the_seventh_characters_listed_for_the_code_are_offered(table: CodeTable) -> None:
    from codeset_entries import ENTRIES

    fewer = CodeTable(e for e in ENTRIES if e.code != "S72.001B")
    assert [c for c, _ in validate(fewer, "S72.001", ON).seventh] == ["A", "D", "S"]


def test_a_code_that_needs_more_than_a_seventh_character_is_a_plain_header(table: CodeTable) -> None:
    answer = validate(table, "S72.0", ON)
    assert answer.verdict == HEADER and answer.seventh == ()


@pytest.mark.parametrize(
    ("text", "meant", "kind"),
    [
        ("J9292", "J9229", TRANSPOSITION),
        ("E191", "E11.9", TRANSPOSITION),
        ("J9329", "J9229", SUBSTITUTION),
        ("J929", "J9229", DELETION),
        ("J92289", "J9228", INSERTION),
    ],
)
def test_a_typo_is_unknown_with_the_code_suggested(
    table: CodeTable, text: str, meant: str, kind: str
) -> None:
    answer = validate(table, text, ON)
    assert answer.verdict == UNKNOWN and answer.code is None
    assert (meant, kind) in suggested(table, text)
    assert answer.notes[-1].startswith("did you mean ")


def test_suggestions_rank_billable_first(table: CodeTable) -> None:
    # E11.99: E11.69 (substitution) and E11.9 (one extra character) are billable, E11.6 is not.
    assert suggested(table, "E11.99")[:2] == [("E11.69", SUBSTITUTION), ("E11.9", INSERTION)]
    headers = [code for code, _ in suggested(table, "E11.99")[2:]]
    assert "E11.9" not in headers


def test_suggestions_rank_the_inputs_system_first() -> None:
    from codeset_entries import hcpcs, icd

    both = CodeTable(
        [hcpcs("S5012", "Infusion therapy"), icd("S50.12", "Contusion of left forearm", True, None)]
    )
    assert [s.system for s in validate(both, "S5013", ON).suggestions] == ["hcpcs", "icd10cm"]
    assert [s.system for s in validate(both, "S50.13", ON).suggestions] == ["icd10cm", "hcpcs"]


def test_look_alike_substitutions_come_first() -> None:
    assert near_substitution("E1O9", "E109") and near_substitution("J9228", "J9229")
    assert not near_substitution("J9220", "J9225")


def test_suggestions_are_bounded(table: CodeTable) -> None:
    assert len(validate(table, "J9220", ON, max_suggestions=1).suggestions) == 1


# --- systems ----------------------------------------------------------------------------------


def test_a_code_listed_in_two_systems_follows_its_shape(table: CodeTable) -> None:
    hcpcs = validate(table, "S5012", ON)
    assert (hcpcs.system, hcpcs.code, hcpcs.verdict) == ("hcpcs", "S5012", BILLABLE)
    assert [(o.system, o.code) for o in hcpcs.also] == [("icd10cm", "S50.12")]
    assert hcpcs.notes == ("also ICD-10-CM S50.12: not billable",)
    icd = validate(table, "S50.12", ON)  # the dot says ICD-10-CM
    assert (icd.system, icd.code) == ("icd10cm", "S50.12") and icd.also[0].code == "S5012"


def test_system_narrows(table: CodeTable) -> None:
    answer = validate(table, "S5012", ON, systems=("icd10cm",))
    assert (answer.code, answer.also, answer.notes[0]) == ("S50.12", (), "read as S50.12")
    narrowed = validate(table, "J9229", ON, systems=("icd10cm",))
    assert narrowed.verdict == UNKNOWN
    assert narrowed.notes[0] == "not listed in the ICD-10-CM code set loaded"


def test_many_keeps_the_order(table: CodeTable) -> None:
    texts = ["J9292", "E11.9", "e119", "J1940"]
    answers = list(validate_many(table, texts, ON))
    assert [a.input for a in answers] == texts
    assert [a.verdict for a in answers] == [UNKNOWN, BILLABLE, BILLABLE, TERMINATED]


def test_the_json_shape(table: CodeTable) -> None:
    shape = validate(table, "W21.89A", ON).to_dict()
    assert list(shape)[:5] == ["input", "code", "system", "verdict", "billable"]
    assert shape["suggestions"][0] == {
        "code": "W21.89XA",
        "system": "icd10cm",
        "descriptor": "Striking against or struck by other sports equipment, initial encounter",
        "billable": True,
        "kind": "placeholder",
    }
    assert shape["date"] == "2025-06-01"


# --- the string work --------------------------------------------------------------------------


def test_placeholder_forms() -> None:
    assert placeholder_forms("W2189A") == {"W21X89A", "W218X9A", "W2189XA"}  # one is listed
    assert placeholder_forms("T3601A") == {"T36X01A", "T360X1A", "T3601XA"}
    assert placeholder_forms("W2189XA") == set() and placeholder_forms("E11") == set()


def test_one_character_edits_cover_every_slip() -> None:
    edits = set(one_character_edits("E119"))
    assert ("1E19", TRANSPOSITION) in edits and ("E129", SUBSTITUTION) in edits
    assert ("E1169", DELETION) in edits and ("E19", INSERTION) in edits
    assert all(len(edit) in (3, 4, 5) for edit, _ in edits)
