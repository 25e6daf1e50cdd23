"""The verdict for a listed code on a date: billable, header, terminated, not yet effective."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from medcodes.pipeline.codes import HCPCS, SYSTEM_LABELS, normalize_code
from medcodes.pipeline.codesets.entry import CodeSetEntry
from medcodes.pipeline.codesets.table import CodeTable
from medcodes.queries.validate.edits import SEVENTH_POSITION, padded_stem
from medcodes.queries.validate.verdict import (
    BILLABLE,
    HEADER,
    NOT_BILLABLE,
    NOT_YET_EFFECTIVE,
    TERMINATED,
    Child,
    Verdict,
)

# Billable codes below a header listed by name; the rest are counted.
SHOWN_CHILDREN = 5
# Systems whose release files have no replacement column: a terminated code's note says so,
# rather than leaving a biller to wonder whether a replacement was looked for.
_NO_REPLACEMENT_COLUMN = {HCPCS: "the CMS HCPCS file has no replacement column"}


def first_day(entry: CodeSetEntry) -> date | None:
    """The first day `entry` may be billed: its add date (HCPCS `add_dt`), else its effective
    date. Not the action's effective date alone: for a code changed or terminated later, that is
    the date of the change, long after the code was added."""
    return entry.added or entry.effective


def is_terminated(entry: CodeSetEntry, on: date) -> bool:
    """Terminated on `on`: after its termination date (the last day it may be billed), or
    marked inactive by a release that gives no date."""
    if entry.terminated is not None:
        return entry.terminated < on
    return not entry.active


def billable_on(entry: CodeSetEntry, on: date) -> bool:
    start = first_day(entry)
    return entry.billable and not is_terminated(entry, on) and (start is None or start <= on)


def judge(table: CodeTable, entry: CodeSetEntry, typed: str, on: date) -> Verdict:
    """The verdict for `entry`, which `typed` was read as, on the date `on`."""
    start = first_day(entry)
    notes = [f"read as {entry.code}"] if entry.code != typed else []
    listed = Verdict(
        input=typed,
        verdict=BILLABLE,
        on=on,
        code=entry.code,
        system=entry.system,
        descriptor=entry.descriptor,
        effective=start,
        terminated=entry.terminated,
        release=entry.release,
    )
    if start is not None and start > on:
        notes.append(f"effective from {start.isoformat()}")
        return replace(listed, verdict=NOT_YET_EFFECTIVE, notes=tuple(notes))
    if is_terminated(entry, on):
        since = f"after {entry.terminated.isoformat()}" if entry.terminated else "(no date given)"
        why = _NO_REPLACEMENT_COLUMN.get(entry.system, "the release names none")
        notes += [f"terminated {since}", f"no replacement given: {why}"]
        return replace(listed, verdict=TERMINATED, notes=tuple(notes))
    if entry.billable:
        return replace(listed, notes=tuple(notes))
    below = [child for child in table.descendants(entry.system, entry.code) if billable_on(child, on)]
    if not below:
        notes.append(_not_billable_reason(entry))
        return replace(listed, verdict=NOT_BILLABLE, notes=tuple(notes))
    seventh = seventh_characters(table, entry)
    if seventh:
        stem = normalize_code(padded_stem(entry.code.replace(".", "")), entry.system)
        choices = ", ".join(f"{char} {meaning}" for char, meaning in seventh)
        notes.append(f"a 7th character is missing ({stem}_): {choices}")
    else:
        notes.append(f"a category: bill one of the {len(below)} billable codes below it")
    return replace(
        listed,
        verdict=HEADER,
        notes=tuple(notes),
        children=tuple(Child(child.code, child.descriptor) for child in below[:SHOWN_CHILDREN]),
        children_count=len(below),
        seventh=seventh,
    )


def seventh_definitions(table: CodeTable, entry: CodeSetEntry) -> tuple[tuple[str, str], ...]:
    """The 7th characters defined on `entry` or its nearest ancestor that defines any."""
    if entry.seventh:
        return entry.seventh
    return next((a.seventh for a in table.ancestors(entry.system, entry.code) if a.seventh), ())


def seventh_characters(table: CodeTable, entry: CodeSetEntry) -> tuple[tuple[str, str], ...]:
    """The 7th characters that complete `entry` itself (padded with X to six characters) into a
    listed code, with their meaning; empty when it needs more than a 7th character."""
    bare = entry.code.replace(".", "")
    if len(bare) >= SEVENTH_POSITION:
        return ()
    stem = padded_stem(bare)
    return tuple(
        (char, meaning)
        for char, meaning in seventh_definitions(table, entry)
        if any(found.system == entry.system for found in table.find_bare(stem + char))
    )


def _not_billable_reason(entry: CodeSetEntry) -> str:
    if entry.kind == "modifier":
        return "a modifier: it goes on a claim line beside a procedure code, not on its own"
    label = SYSTEM_LABELS.get(entry.system, entry.system)
    return f"not billable in the {label} release, and nothing below it is"
