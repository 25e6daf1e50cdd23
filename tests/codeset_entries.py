"""A small code table built from entries in code, for validation tests that need no reader.

Rows restate public-domain CMS HCPCS (October 2025) and CDC ICD-10-CM (FY2026) / ICD-10-PCS
entries, with their descriptors and dates. Simplified: S50.12 is listed without its children (so
it stands for a code listed, not billable, with nothing below it), S50.1 without its parent, and
HCPCS add dates the tests do not look at are a placeholder 2005-01-01.
"""

from __future__ import annotations

from datetime import date

from medcodes.pipeline.codesets.entry import CodeSetEntry
from medcodes.pipeline.codesets.table import CodeTable

STRUCK = "Striking against or struck by other sports equipment"
ENCOUNTER = (("A", "initial encounter"), ("D", "subsequent encounter"), ("S", "sequela"))
FRACTURE = (
    ("A", "initial encounter for closed fracture"),
    ("B", "initial encounter for open fracture type I or II"),
    ("D", "subsequent encounter for closed fracture with routine healing"),
    ("S", "sequela"),
)


def icd(code: str, descriptor: str, billable: bool, parent: str | None, **more: object) -> CodeSetEntry:
    return CodeSetEntry(
        "icd10cm",
        code,
        descriptor,
        billable,
        header=not billable,
        parent=parent,
        release="icd10cm-fy2026",
        **more,  # type: ignore[arg-type]
    )


def hcpcs(code: str, descriptor: str, **more: object) -> CodeSetEntry:
    fields: dict[str, object] = {"kind": "procedure", "added": date(2005, 1, 1), **more}
    return CodeSetEntry(
        "hcpcs",
        code,
        descriptor,
        fields["kind"] == "procedure",
        release="hcpcs-2025-oct",
        **{k: v for k, v in fields.items()},  # type: ignore[arg-type]
    )


ENTRIES = [
    icd("E11", "Type 2 diabetes mellitus", False, None),
    icd("E11.6", "Type 2 diabetes mellitus with other specified complications", False, "E11"),
    icd("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True, "E11.6"),
    icd("E11.69", "Type 2 diabetes mellitus with other specified complication", True, "E11.6"),
    icd("E11.8", "Type 2 diabetes mellitus with unspecified complications", True, "E11"),
    icd("E11.9", "Type 2 diabetes mellitus without complications", True, "E11"),
    icd("W21", "Striking against or struck by sports equipment", False, None, seventh=ENCOUNTER),
    icd("W21.8", "Striking against or struck by other sports equipment", False, "W21"),
    icd("W21.89", "Striking against or struck by other sports equipment", False, "W21.8"),
    icd("W21.89XA", f"{STRUCK}, initial encounter", True, "W21.89"),
    icd(
        "W21.89XD",
        f"{STRUCK}, subsequent encounter",
        True,
        "W21.89",
    ),
    icd("W21.89XS", f"{STRUCK}, sequela", True, "W21.89"),
    icd("S72", "Fracture of femur", False, None, seventh=FRACTURE),
    icd("S72.0", "Fracture of head and neck of femur", False, "S72"),
    icd("S72.00", "Fracture of unspecified part of neck of femur", False, "S72.0"),
    icd("S72.001", "Fracture of unspecified part of neck of right femur", False, "S72.00"),
    *(
        icd(f"S72.001{c}", f"Fracture of unspecified part of neck of right femur, {m}", True, "S72.001")
        for c, m in FRACTURE
    ),
    icd("S50.1", "Contusion of forearm", False, None),
    icd("S50.12", "Contusion of left forearm", False, "S50.1"),
    hcpcs("J9229", "Injection, inotuzumab ozogamicin, 0.1 mg"),
    hcpcs("J9228", "Injection, ipilimumab, 1 mg"),
    hcpcs("S5012", "5% dextrose with potassium chloride, 1000 ml", added=date(2001, 1, 1)),
    hcpcs("A4253", "Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips"),
    hcpcs(
        "J1940",
        "Injection, furosemide, up to 20 mg",
        active=False,
        added=date(1982, 1, 1),
        effective=date(2025, 4, 1),
        terminated=date(2025, 3, 31),
        action="N",
    ),
    hcpcs(
        "A2036",
        "Cohealyx collagen dermal matrix, per square centimeter",
        added=date(2025, 10, 1),
        effective=date(2025, 10, 1),
        action="A",
    ),
    hcpcs("A1", "Dressing for one wound", kind="modifier", added=date(2002, 7, 1)),
    CodeSetEntry("icd10pcs", "0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach", True),
]


def code_table() -> CodeTable:
    return CodeTable(ENTRIES)
