"""Read an ICD-10-PCS code list as CSV: code and long_description (the CMS order file flattened).

Every code listed is a complete seven-character procedure code, so every one is billable; the
tables' partial codes (axes) are not in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from medcodes.pipeline.codes import ICD10PCS, normalize_code
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.formats import CodeSetFormat, csv_header, csv_records
from medcodes.pipeline.codesets.problems import BadRow, OnBadRow

COLUMNS = ("code", "long_description")
# Seven characters, digits and letters but I and O. Wider than the shape queries recognize
# (medcodes.pipeline.codes wants a digit): some official codes have none (DHYBFZZ, section D).
_CODE = re.compile(r"[0-9A-HJ-NP-Z]{7}")


def matches(head: str) -> bool:
    """A CSV with code and long_description columns whose first code is a PCS code.

    The HCPCS file has the same two columns among others: the first code decides."""
    if not set(COLUMNS) <= set(csv_header(head)):
        return False
    records = csv_records(head, "", lambda row: None)
    first = next(records, None)
    return first is not None and _CODE.fullmatch(first[1]["code"].upper()) is not None


def read_entries(text: str, release: CodeSetRelease, on_bad_row: OnBadRow) -> Iterator[CodeSetEntry]:
    """Every code of the file; a bad row is reported and skipped."""
    for line, row in csv_records(text, release.file, on_bad_row):
        code = normalize_code(row["code"], ICD10PCS)
        if not _CODE.fullmatch(code):
            on_bad_row(BadRow(release.file, line, f"code {row['code']!r} is not an ICD-10-PCS code"))
        elif not row["long_description"]:
            on_bad_row(BadRow(release.file, line, f"code {code} has no description"))
        else:
            yield CodeSetEntry(
                system=ICD10PCS,
                code=code,
                descriptor=row["long_description"],
                billable=True,
                release=release.name,
            )


FORMAT = CodeSetFormat("ICD-10-PCS CSV", ICD10PCS, matches, read_entries)
