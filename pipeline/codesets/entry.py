"""One code of an official release, with the attributes a claim needs and a page does not give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CodeSetRelease:
    """Where a set of entries came from, so that a verdict can name its release."""

    name: str  # e.g. "hcpcs-2025-oct", "icd10cm-fy2026"
    system: str  # medcodes.pipeline.codes system name (hcpcs, icd10cm, icd10pcs)
    file: str  # the file name it was read from
    version: str  # fiscal year or quarter as the release names it ("FY2026", "2025-Q4")
    loaded: str  # ISO date-time it was loaded


@dataclass(frozen=True)
class CodeSetEntry:
    """A code as the official release lists it.

    `code` is normalized as pages and queries normalize it (medcodes.pipeline.codes.normalize_code:
    upper case, ICD-10-CM dotted), so that a page, a query and a code set meet on one key.
    """

    system: str
    code: str
    descriptor: str  # the official long descriptor
    billable: bool  # may go on a claim as it is (ICD-10-CM leaf, HCPCS procedure code, PCS code)
    header: bool = False  # a category with children (ICD-10-CM): not billable itself
    kind: str = ""  # HCPCS: "procedure" or "modifier"
    active: bool = True  # False once terminated (HCPCS active = 0)
    added: date | None = None
    effective: date | None = None
    terminated: date | None = None
    action: str = ""  # HCPCS action code (A added, D discontinued, C changed, N no change, …)
    parent: str | None = None  # ICD: the code one level up, normalized
    chapter: str | None = None
    block: str | None = None  # ICD-10-CM block, e.g. "E08-E13"
    # ICD-10-CM: 7th characters defined on this code for its descendants, as (character, meaning).
    seventh: tuple[tuple[str, str], ...] = ()
    release: str = ""  # CodeSetRelease.name
