"""Read the CMS HCPCS Level II quarterly file, flattened to CSV (one row per code or modifier).

Columns used: code, kind (procedure/modifier), active (0 = terminated), long_description,
add_dt, act_eff_dt, term_dt (YYYYMMDD) and action_cd; the payment columns are not kept.
A modifier is billable=False: it qualifies a procedure code on a claim line and is never a line
by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from medcodes.pipeline.codes import HCPCS, normalize_code
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.formats import CodeSetFormat, csv_header, csv_records
from medcodes.pipeline.codesets.problems import BadRow, OnBadRow

COLUMNS = ("code", "kind", "active", "long_description", "add_dt", "act_eff_dt", "term_dt", "action_cd")
KINDS = ("procedure", "modifier")
# A HCPCS Level II code (letter and four digits) or a two-character modifier.
_PROCEDURE = re.compile(r"[A-Z]\d{4}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")


def matches(head: str) -> bool:
    """A CSV whose header has every column this reader needs."""
    return set(COLUMNS) <= set(csv_header(head))


def parse_date(value: str) -> date | None:
    """A CMS YYYYMMDD date; None when empty. Raises ValueError on anything else."""
    if not value:
        return None
    if not re.fullmatch(r"\d{8}", value):
        raise ValueError(f"date {value!r} is not YYYYMMDD")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


def read_entries(text: str, release: CodeSetRelease, on_bad_row: OnBadRow) -> Iterator[CodeSetEntry]:
    """Every code and modifier of the file; a bad row is reported and skipped."""
    for line, row in csv_records(text, release.file, on_bad_row):
        try:
            yield _entry(row, release)
        except ValueError as error:
            on_bad_row(BadRow(release.file, line, str(error)))


def _entry(row: dict[str, str], release: CodeSetRelease) -> CodeSetEntry:
    code = normalize_code(row["code"], HCPCS)
    kind = row["kind"].lower()
    if kind not in KINDS:
        raise ValueError(f"kind {row['kind']!r} is not procedure or modifier")
    shape = _PROCEDURE if kind == "procedure" else _MODIFIER
    if not shape.fullmatch(code):
        raise ValueError(f"{kind} code {row['code']!r} has not the shape of one")
    if row["active"] not in ("0", "1"):
        raise ValueError(f"active {row['active']!r} is not 0 or 1")
    if not row["long_description"]:
        raise ValueError(f"code {code} has no description")
    terminated = parse_date(row["term_dt"])
    return CodeSetEntry(
        system=HCPCS,
        code=code,
        descriptor=row["long_description"],
        billable=kind == "procedure",
        kind=kind,
        # CMS keeps a terminated code in the file, with active 0 and its termination date.
        active=row["active"] == "1",
        added=parse_date(row["add_dt"]),
        effective=parse_date(row["act_eff_dt"]),
        terminated=terminated,
        action=row["action_cd"].upper(),
        release=release.name,
    )


FORMAT = CodeSetFormat("HCPCS quarterly CSV", HCPCS, matches, read_entries)
