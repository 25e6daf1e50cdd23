"""Read the ICD-10-CM tabular list flattened to JSON lines (one object per code, CDC FY release).

Fields used: code, description, parent, chapter, block, billable and sevenChrDef. A code is a
header when it is not billable and other codes name it as parent (a category or subcategory that
must be extended on a claim); the file is read whole first to know which codes have children.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from medcodes.pipeline.codes import ICD10CM, normalize_code
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.formats import CodeSetFormat
from medcodes.pipeline.codesets.problems import BadRow, OnBadRow

REQUIRED = ("code", "description", "billable")
# Wider than the shape queries recognize (medcodes.pipeline.codes): the FY2026 release has
# codes whose second character is a letter (chapter 17, QA0-QA0.xx), so trust the file.
_CODE = re.compile(r"[A-Z][0-9A-Z]{2}(?:\.?[0-9A-Z]{1,4})?")


def matches(head: str) -> bool:
    """JSON lines whose first object has an ICD-10-CM code, a description and `billable`."""
    first = head.lstrip().split("\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return (
        isinstance(record, dict)
        and all(key in record for key in REQUIRED)
        and isinstance(record["code"], str)
        and _CODE.fullmatch(record["code"].upper()) is not None
    )


def read_entries(text: str, release: CodeSetRelease, on_bad_row: OnBadRow) -> Iterator[CodeSetEntry]:
    """Every code of the file, in file order; a bad line is reported and skipped."""
    records: list[tuple[int, dict[str, Any]]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            records.append((line, _checked(json.loads(raw))))
        except ValueError as error:
            on_bad_row(BadRow(release.file, line, str(error)))
    parents = {normalize_code(record["parent"], ICD10CM) for _, record in records if record.get("parent")}
    for line, record in records:
        try:
            yield _entry(record, parents, release)
        except (ValueError, TypeError, AttributeError) as error:
            on_bad_row(BadRow(release.file, line, str(error)))


def _checked(record: object) -> dict[str, Any]:
    """The record if it is an object with an ICD-10-CM code, a description and a boolean billable."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    code = record["code"]
    if not isinstance(code, str) or not _CODE.fullmatch(code.upper()):
        raise ValueError(f"code {code!r} is not an ICD-10-CM code")
    if not isinstance(record["billable"], bool):
        raise ValueError(f"billable {record['billable']!r} is not true or false")
    if not isinstance(record["description"], str) or not record["description"].strip():
        raise ValueError(f"code {code} has no description")
    return record


def _entry(record: dict[str, Any], parents: set[str], release: CodeSetRelease) -> CodeSetEntry:
    code = normalize_code(record["code"], ICD10CM)
    parent = record.get("parent")
    seventh = record.get("sevenChrDef") or {}
    return CodeSetEntry(
        system=ICD10CM,
        code=code,
        descriptor=record["description"].strip(),
        billable=record["billable"],
        header=not record["billable"] and code in parents,
        parent=normalize_code(parent, ICD10CM) if parent else None,
        chapter=_text(record.get("chapter")),
        block=_text(record.get("block")),
        seventh=tuple(sorted((str(char), str(meaning)) for char, meaning in seventh.items())),
        release=release.name,
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


FORMAT = CodeSetFormat("ICD-10-CM JSON lines", ICD10CM, matches, read_entries)
