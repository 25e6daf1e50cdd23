"""A code's status on a date, from the code sets loaded into the index.

One of STATUSES for every page: `active` (in force, may be billed if `billable`), `header` (an
ICD-10-CM category to extend, never billed), `terminated` (HCPCS termination date passed, or
inactive in its release), `not yet effective` (added after the date), `unknown code` (its
system's code set is loaded and does not list it) and `no code set` (none loaded for its system,
e.g. CPT, which no public release covers). ICD-10 entries carry no dates: a code listed in the
loaded release is in force on any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.table import CodeTable
from medcodes.queries.validate.judge import first_day, is_terminated

ACTIVE = "active"
HEADER = "header"
TERMINATED = "terminated"
NOT_YET = "not yet effective"
UNKNOWN_CODE = "unknown code"
NO_CODE_SET = "no code set"
STATUSES = (ACTIVE, HEADER, TERMINATED, NOT_YET, UNKNOWN_CODE, NO_CODE_SET)
# In force on the date: what `search --active-on` keeps.
IN_FORCE = frozenset({ACTIVE, HEADER})


@dataclass(frozen=True)
class CodeStatus:
    """A code's status on a date; `billable` is None when no code set says (no entry)."""

    status: str
    billable: bool | None
    entry: CodeSetEntry | None = None


def status_on(entry: CodeSetEntry, day: date) -> str:
    """The status of a listed code on `day`."""
    if is_terminated(entry, day):  # one reading of a termination for statuses and verdicts
        return TERMINATED
    start = first_day(entry)  # the same first day as validate's "not yet effective"
    if start is not None and start > day:
        return NOT_YET
    return HEADER if entry.header else ACTIVE


class CodeStatuses:
    """Statuses of codes against one code table (an empty one when nothing was loaded)."""

    def __init__(self, table: CodeTable, releases: dict[str, CodeSetRelease] | None = None) -> None:
        self.table = table
        self.systems = table.systems()
        self.releases = releases or {}

    def release(self, system: str) -> CodeSetRelease | None:
        """The loaded release of a system, None when none is."""
        return self.releases.get(system)

    def __bool__(self) -> bool:
        return bool(self.systems)

    def of(self, system: str, code: str, day: date | None = None) -> CodeStatus:
        """The status of a code (normalized, as pages and the code sets hold it) on `day` (today)."""
        entry = self.table.get(system, code) if system in self.systems else None
        if entry is None:
            return CodeStatus(UNKNOWN_CODE if system in self.systems else NO_CODE_SET, None)
        status = status_on(entry, day or date.today())
        return CodeStatus(status, entry.billable and status == ACTIVE, entry)

    def of_key(self, key: str, day: date | None = None) -> CodeStatus:
        """The status of a page key ("icd10cm:E11.9")."""
        system, _, code = key.partition(":")
        return self.of(system, code, day)
