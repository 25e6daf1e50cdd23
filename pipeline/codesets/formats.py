"""The shape every code-set reader has, so that read_code_set picks one by the file's first lines.

A new release format (the CMS fixed-width HCPCS file, the CDC tabular XML) is one more module
exporting a `CodeSetFormat`, listed in medcodes.pipeline.codesets.read.FORMATS.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.problems import BadRow, OnBadRow

# How much of a file `matches` sees: the header and a few rows.
HEAD_CHARS = 8192


@dataclass(frozen=True)
class CodeSetFormat:
    """One release format: its system, a test on the file's head, and a reader of its text."""

    name: str  # shown in messages, e.g. "HCPCS quarterly CSV"
    system: str
    matches: Callable[[str], bool]  # the first HEAD_CHARS characters -> is it this format?
    read: Callable[[str, CodeSetRelease, OnBadRow], Iterator[CodeSetEntry]]


def csv_header(head: str) -> list[str]:
    """The column names of a CSV file's first line, stripped and lower-cased ([] if none)."""
    first = head.splitlines()[0] if head else ""
    try:
        row = next(csv.reader([first]), [])
    except csv.Error:
        return []
    return [column.strip().lower() for column in row]


def csv_records(text: str, file: str, on_bad_row: OnBadRow) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row of a CSV text as (line number, {column: stripped value}).

    A row with the wrong number of fields is reported and skipped. The line number is the row's
    first line (a quoted field may span several).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            on_bad_row(BadRow(file, line, f"unreadable CSV row ({error})"))
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not row or not any(field.strip() for field in row):
            continue
        if len(row) != len(columns):
            on_bad_row(BadRow(file, start, f"{len(row)} fields where the header has {len(columns)}"))
            continue
        yield start, {column: value.strip() for column, value in zip(columns, row, strict=True)}
