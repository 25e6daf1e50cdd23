"""`validate`: one verdict per typed code, with the format repairs and suggestions a biller needs.

>>> validate(table, "e119", on=date(2026, 1, 1)).notes
('read as E11.9',)

A repair of format only — case, dots, spaces, dashes — is applied and said ("read as E11.9"):
it cannot change which code is meant. Anything that changes a character (a missing placeholder
X, a missing 7th character, a typo) is never applied: the verdict is `unknown` and the listed
codes it may have meant are suggested, ranked billable first, then of the system the input's
shape points to, then by how likely the slip is (verdict.EDIT_KINDS; among substitutions,
look-alike or neighbouring keys first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

from medcodes.pipeline.codes import ICD10CM, SYSTEM_LABELS, SYSTEMS, infer_system
from medcodes.pipeline.codesets.entry import CodeSetEntry
from medcodes.pipeline.codesets.table import CodeTable
from medcodes.queries.validate.edits import (
    CATEGORY_LENGTH,
    PLACEHOLDER_X,
    SEVENTH_POSITION,
    bare_form,
    near_substitution,
    one_character_edits,
    padded_stem,
    placeholder_forms,
)
from medcodes.queries.validate.judge import billable_on, judge, seventh_definitions
from medcodes.queries.validate.verdict import (
    EDIT_KINDS,
    PLACEHOLDER,
    SEVENTH,
    SUBSTITUTION,
    UNKNOWN,
    Suggestion,
    Verdict,
)

# Suggestions given for an unknown code; the rest are dropped (the best come first).
SHOWN_SUGGESTIONS = 10
NOT_A_CODE = "not a code: 2 to 8 letters and digits (dots, spaces and dashes aside) were expected"


def today() -> date:
    return datetime.now(UTC).date()


def validate(
    table: CodeTable,
    text: str,
    on: date | None = None,
    systems: Iterable[str] = (),
    max_suggestions: int = SHOWN_SUGGESTIONS,
) -> Verdict:
    """The verdict for the code typed as `text` on the date `on` (default: today, UTC).

    `systems` narrows the code sets consulted. A code several systems list (HCPCS S5012 and
    ICD-10-CM S50.12 are both typed S5012) gets the verdict of the system its shape points to,
    the others in `Verdict.also`.
    """
    on = on or today()
    wanted = tuple(systems)
    typed = text.strip()
    bare = bare_form(typed)
    if bare is None:
        return Verdict(typed, UNKNOWN, on, notes=(NOT_A_CODE,))
    shape = _shape_system(typed, bare)
    listed = _in_systems(table.find_bare(bare), wanted)
    if listed:
        listed.sort(key=lambda entry: (entry.system != shape, _system_rank(entry.system)))
        first, *others = (judge(table, entry, typed, on) for entry in listed)
        seen = [f"also {SYSTEM_LABELS.get(o.system or '', o.system)} {o.code}: {o.verdict}" for o in others]
        return replace(first, notes=first.notes + tuple(seen), also=tuple(others))
    return _unknown(table, typed, bare, shape, wanted, on, max_suggestions)


def validate_many(
    table: CodeTable, texts: Iterable[str], on: date | None = None, systems: Iterable[str] = ()
) -> Iterator[Verdict]:
    """`validate` over each of `texts`, in order, on one date."""
    on = on or today()
    wanted = tuple(systems)
    for text in texts:
        yield validate(table, text, on, wanted)


def _shape_system(typed: str, bare: str) -> str | None:
    """The system the code as typed looks like: its dot tells ICD-10-CM (E11.9), else the bare
    form's shape (J9229 HCPCS, E119 ICD-10-CM, 0DTJ4ZZ ICD-10-PCS)."""
    spaced = re.sub(r"[\s\-]+", "", typed)
    return infer_system(spaced) or infer_system(bare)


def _system_rank(system: str) -> int:
    return SYSTEMS.index(system) if system in SYSTEMS else len(SYSTEMS)


def _in_systems(entries: list[CodeSetEntry], wanted: tuple[str, ...]) -> list[CodeSetEntry]:
    return [entry for entry in entries if not wanted or entry.system in wanted]


def _unknown(
    table: CodeTable,
    typed: str,
    bare: str,
    shape: str | None,
    wanted: tuple[str, ...],
    on: date,
    limit: int,
) -> Verdict:
    """Not listed: the listed codes it may have meant, and what is missing when it is a format slip."""
    found: dict[tuple[str, str], Suggestion] = {}
    if shape is not None and shape not in table.systems() and not wanted:
        # A whole code of a system not loaded (a CPT code): what is one slip from it in other
        # systems is no likelier meant than any other code.
        return Verdict(
            typed, UNKNOWN, on, system=shape, notes=tuple(_unknown_notes(table, [], shape, wanted))
        )
    for candidate, kind, meaning in _candidates(table, bare):
        for entry in _in_systems(table.find_bare(candidate), wanted):
            key = (entry.system, entry.code)
            if key not in found:
                billable = billable_on(entry, on)
                found[key] = Suggestion(entry.code, entry.system, entry.descriptor, billable, kind, meaning)

    def rank(suggestion: Suggestion) -> tuple[bool, bool, int, bool, str]:
        near = suggestion.kind == SUBSTITUTION and near_substitution(bare, suggestion.code.replace(".", ""))
        return (
            not suggestion.billable,
            suggestion.system != shape,
            EDIT_KINDS.index(suggestion.kind),
            not near,
            suggestion.code,
        )

    ranked = sorted(found.values(), key=rank)
    return Verdict(
        typed,
        UNKNOWN,
        on,
        system=shape if shape in wanted or not wanted else None,
        notes=tuple(_unknown_notes(table, ranked, shape, wanted)),
        suggestions=tuple(ranked[:limit]),
    )


def _candidates(table: CodeTable, bare: str) -> Iterator[tuple[str, str, str]]:
    """(bare candidate, slip, 7th-character meaning) in the order of EDIT_KINDS."""
    for form in sorted(placeholder_forms(bare)):
        yield form, PLACEHOLDER, ""
    for char, meaning in _missing_seventh(table, bare):
        yield padded_stem(bare) + char, SEVENTH, meaning
    for candidate, kind in one_character_edits(bare):
        yield candidate, kind, ""


def _missing_seventh(table: CodeTable, bare: str) -> tuple[tuple[str, str], ...]:
    """When `bare` is a listed ICD-10-CM code followed by placeholder Xs only (W2189X), the 7th
    characters defined for it; the listed code itself (S72001) is a header, judged elsewhere."""
    if len(bare) >= SEVENTH_POSITION:
        return ()
    for end in range(len(bare), CATEGORY_LENGTH - 1, -1):
        if bare[end:].strip(PLACEHOLDER_X):
            break
        stem = next((e for e in table.find_bare(bare[:end]) if e.system == ICD10CM), None)
        if stem is not None:
            return seventh_definitions(table, stem)
    return ()


def _unknown_notes(
    table: CodeTable, ranked: list[Suggestion], shape: str | None, wanted: tuple[str, ...]
) -> Iterator[str]:
    loaded = table.systems()
    asked = wanted or ((shape,) if shape else ())
    missing = [SYSTEM_LABELS.get(s, s) for s in asked if s not in loaded]
    if missing:
        yield f"no {' or '.join(missing)} code set is loaded: it cannot be checked"
    elif shape is None and not wanted:
        yield "not shaped like a code of any system"
    else:
        listed = [SYSTEM_LABELS.get(s, s) for s in sorted(wanted or loaded, key=_system_rank)]
        yield f"not listed in the {', '.join(listed)} code set{'s' if len(listed) > 1 else ''} loaded"
    kinds = {s.kind for s in ranked}
    if PLACEHOLDER in kinds:
        codes = ", ".join(s.code for s in ranked if s.kind == PLACEHOLDER)
        yield f"a placeholder X is missing: {codes}"
    if SEVENTH in kinds:
        choices = ", ".join(f"{s.code[-1]} {s.meaning}" for s in ranked if s.kind == SEVENTH)
        yield f"a 7th character is missing: {choices}"
    if ranked:
        yield f"did you mean {ranked[0].code}?"


__all__ = ["SHOWN_SUGGESTIONS", "validate", "validate_many"]
