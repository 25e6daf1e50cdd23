"""Code systems and code shapes: normalize a code, infer its system, find codes in text.

Stdlib only: the query side uses the same rules, so that `E119`, `e11.9` and `E11.9` meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medcodes.errors import MedcodesError

HCPCS = "hcpcs"
CPT = "cpt"
ICD10CM = "icd10cm"
ICD10PCS = "icd10pcs"
SYSTEMS = (HCPCS, CPT, ICD10CM, ICD10PCS)

# Every spelling of a system seen in URLs, file names and system lines, folded to lower case
# with spaces, dots and dashes removed ("ICD-10-CM code" -> "icd10cm").
_SYSTEM_ALIASES = {
    "hcpcs": HCPCS,
    "hcpcslevelii": HCPCS,
    "hcpcsii": HCPCS,
    "cpt": CPT,
    "cpt4": CPT,
    "icd10cm": ICD10CM,
    "icd10": ICD10CM,
    "icd10pcs": ICD10PCS,
}

SYSTEM_LABELS = {
    HCPCS: "HCPCS",
    CPT: "CPT",
    ICD10CM: "ICD-10-CM",
    ICD10PCS: "ICD-10-PCS",
}

_SHAPES = {
    # HCPCS Level II: one letter then four digits (A0427, J9229).
    HCPCS: re.compile(r"[A-V]\d{4}"),
    # CPT: five digits, or four digits and F/T/U (category II, III and PLA codes).
    CPT: re.compile(r"\d{4}[0-9FTU]"),
    # ICD-10-CM: letter, digit, alphanumeric, then up to four more after an optional dot.
    ICD10CM: re.compile(r"[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?"),
    # ICD-10-PCS: seven characters from digits and letters other than I and O.
    ICD10PCS: re.compile(r"(?=[0-9A-HJ-NP-Z]*\d)[0-9A-HJ-NP-Z]{7}"),
}

# A word with a code's shape in page text, of any system: 3 to 7 letters and digits, then up
# to 4 more after a dot ("J9229", "E11.9", "0DTJ4ZZ"). Embedded in the parser's patterns of
# titles, breadcrumbs and "(HCPCS Code: J9229)" labels, so that every one reads the same codes.
CODE_TOKEN = r"[A-Z0-9]{3,7}(?:\.[A-Z0-9]{1,4})?"
# A whole string that is a code-shaped token (upper-cased first), and such tokens in text.
WHOLE_CODE_TOKEN = re.compile(rf"^{CODE_TOKEN}$")
CODE_TOKENS_IN_TEXT = re.compile(rf"\b{CODE_TOKEN}\b")
# What a user types for codes in a query (queries/parse/syntax.py): a prefix ending in "*"
# ("J92*", "E11.*", "J*"); a stem, a letter and a digit then a few more code characters ("J9",
# "E11.", "A04"); a range, two codes or stems of one shape joined by a dash ("J9000-J9999",
# "E08-E13", "99201-99215").
CODE_PREFIX = re.compile(r"^[A-Za-z]?\d[0-9A-Za-z.]*\*$|^[A-Za-z]\*$")
CODE_STEM = re.compile(r"^[A-Za-z]\d[0-9A-Za-z]{0,5}$|^[A-Za-z]\d[0-9A-Za-z]\.[0-9A-Za-z]{0,4}$")
_RANGE_END = r"[A-Za-z]\d[0-9A-Za-z.]{1,6}|\d{5}"
CODE_RANGE = re.compile(rf"^(?P<low>{_RANGE_END})-(?P<high>{_RANGE_END})$")

# Order matters when a shape fits several systems: J9271 is HCPCS, not ICD J92.71.
_INFERENCE_ORDER = (HCPCS, CPT, ICD10CM, ICD10PCS)


def system_from_text(text: str) -> str | None:
    """Map a system's name as written anywhere ("CPT4 code", "ICD-10-CM") to its canonical id."""
    folded = re.sub(r"[\s.\-_]", "", text.lower())
    folded = folded.removesuffix("codes").removesuffix("code")
    return _SYSTEM_ALIASES.get(folded)


class UnknownSystemError(MedcodesError, ValueError):
    """A code system name that is none of SYSTEMS nor another name of one."""


def parse_systems(names: str | Iterable[str]) -> tuple[str, ...]:
    """The canonical systems `names` asks for, in order, once each: every name may list several,
    comma-separated, under any of their spellings ("hcpcs,CPT4" or ["ICD-10-CM"]).

    >>> parse_systems(["hcpcs,cpt4", "cpt"])
    ('hcpcs', 'cpt')
    """
    found: list[str] = []
    for name in [names] if isinstance(names, str) else names:
        for part in filter(None, (p.strip() for p in name.split(","))):
            system = system_from_text(part)
            if system is None:
                known = ", ".join(SYSTEMS)
                raise UnknownSystemError(f"unknown code system {part!r} (one of {known}; cpt4 is cpt)")
            if system not in found:
                found.append(system)
    return tuple(found)


def fits_system(code: str, system: str) -> bool:
    """True when `code` has the shape of a code of `system` (unknown systems accept any)."""
    shape = _SHAPES.get(system)
    return shape is None or shape.fullmatch(code.upper()) is not None


def infer_system(code: str) -> str | None:
    """Guess the system from the code's shape alone; None when nothing fits."""
    upper = code.upper()
    if "." in upper:
        return ICD10CM if _SHAPES[ICD10CM].fullmatch(upper) else None
    for system in _INFERENCE_ORDER:
        if _SHAPES[system].fullmatch(upper):
            return system
    return None


def normalize_code(code: str, system: str | None = None) -> str:
    """Upper-case a code; ICD-10-CM codes take their dotted form (E119 -> E11.9)."""
    upper = code.strip().upper()
    if (system or infer_system(upper)) == ICD10CM:
        bare = upper.replace(".", "")
        return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"
    return upper


def code_forms(code: str) -> tuple[str, ...]:
    """Every form a user may type for a normalized code, lower case: dotted and undotted."""
    lower = code.lower()
    bare = lower.replace(".", "")
    return (lower,) if bare == lower else (lower, bare)


def looks_like_code(token: str) -> bool:
    """True when a token has the shape of a code of some system."""
    return infer_system(token) is not None
