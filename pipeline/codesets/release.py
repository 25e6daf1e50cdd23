"""Name a release from its file name, since the code-set files carry no version inside.

CMS names quarterly HCPCS files by year and month ("hcpcs_2025_oct_codes.csv", "HCPC2025_OCT_ANWEB"):
the month is the quarter the file takes effect. CDC/CMS name ICD-10 releases by fiscal year
("icd10cm_2026_codes.jsonl", "icd10pcs_order_2025.txt"): FY2026 runs October 2025 to September 2026.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from medcodes.pipeline.codes import HCPCS
from medcodes.pipeline.codesets.entry import CodeSetRelease

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A year and a month name, in either order, separated by nothing, "_", "-" or " ".
_MONTH = "|".join(_MONTHS)
_YEAR_MONTH = re.compile(rf"(?<!\d)(20\d\d)[_\- ]?({_MONTH})|({_MONTH})[_\- ]?(20\d\d)(?!\d)")
# A fiscal year: "fy2026", "FY 2026" or a bare 4-digit year between non-digits.
_YEAR = re.compile(r"(?:fy[_\- ]?)?(?<!\d)(20\d\d)(?!\d)")


def now_iso() -> str:
    """The load time as releases record it: UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def release_from_file(path: str | Path, system: str, loaded: str | None = None) -> CodeSetRelease:
    """The release a code-set file holds, named after its file.

    >>> release_from_file("hcpcs_2025_oct_codes.csv", "hcpcs", "t").version
    '2025-Q4'
    >>> release_from_file("icd10cm_2026_codes.jsonl", "icd10cm", "t").name
    'icd10cm-fy2026'
    """
    file = Path(path).name
    lower = file.lower()
    version = ""
    name = system
    month = _YEAR_MONTH.search(lower) if system == HCPCS else None
    if month:
        year = month.group(1) or month.group(4)
        month_name = month.group(2) or month.group(3)
        quarter = _MONTHS.index(month_name) // 3 + 1
        version = f"{year}-Q{quarter}"
        name = f"{system}-{year}-{month_name}"
    elif year_match := _YEAR.search(lower.replace(system, " ")):
        # HCPCS years are calendar years; ICD-10 releases are named by fiscal year.
        version = year_match.group(1) if system == HCPCS else f"FY{year_match.group(1)}"
        name = f"{system}-{version.lower()}"
    return CodeSetRelease(name=name, system=system, file=file, version=version, loaded=loaded or now_iso())
