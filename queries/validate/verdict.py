"""What validation answers for one typed code: a verdict, the code it was read as, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

BILLABLE = "billable"
HEADER = "header"  # not billable: a category whose billable descendants are listed
NOT_BILLABLE = "not billable"  # listed, not billable, and nothing billable below it (a modifier)
TERMINATED = "terminated"
NOT_YET_EFFECTIVE = "not yet effective"
UNKNOWN = "unknown"
VERDICTS = (BILLABLE, HEADER, NOT_BILLABLE, TERMINATED, NOT_YET_EFFECTIVE, UNKNOWN)

# What a suggestion assumes went wrong in the typed code, in the order suggestions are ranked:
# a left-out placeholder X or 7th character first (a format slip), then the one-character typos.
PLACEHOLDER = "placeholder"  # W21.89A: the X that pads a code to its 7th character is missing
SEVENTH = "seventh character"  # S72.001 or W21.89X: the 7th character is missing
TRANSPOSITION = "transposition"  # two neighbouring characters swapped (E1.19 for E11.9 is dots only)
SUBSTITUTION = "substitution"  # one character typed for another
DELETION = "deletion"  # one character left out: the suggestion adds it
INSERTION = "insertion"  # one character too many: the suggestion drops it
EDIT_KINDS = (PLACEHOLDER, SEVENTH, TRANSPOSITION, SUBSTITUTION, DELETION, INSERTION)


@dataclass(frozen=True)
class Suggestion:
    """A listed code the typed one may have meant, and the slip that would explain it."""

    code: str
    system: str
    descriptor: str
    billable: bool
    kind: str  # one of EDIT_KINDS
    meaning: str = ""  # for a 7th character: what it designates ("initial encounter")

    def to_dict(self) -> dict[str, Any]:
        found = {
            "code": self.code,
            "system": self.system,
            "descriptor": self.descriptor,
            "billable": self.billable,
            "kind": self.kind,
        }
        return {**found, "meaning": self.meaning} if self.meaning else found


@dataclass(frozen=True)
class Child:
    """A billable code below a header."""

    code: str
    descriptor: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "descriptor": self.descriptor}


@dataclass(frozen=True)
class Verdict:
    """The answer for one typed code on one date.

    `code` is the listed code it was read as (None when unknown); `notes` say, in words, what a
    biller needs: a format repair applied ("read as E11.9"), since when it is terminated, which
    7th characters are valid. A code listed in several systems gets the verdict of the system its
    shape (or --system) points to; the others are in `also`.
    """

    input: str
    verdict: str
    on: date
    code: str | None = None
    system: str | None = None
    descriptor: str = ""
    notes: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    children: tuple[Child, ...] = ()  # the first billable descendants of a header
    children_count: int = 0  # all of them
    seventh: tuple[tuple[str, str], ...] = ()  # valid 7th characters and their meaning
    effective: date | None = None
    terminated: date | None = None  # the last day the code could be billed
    replacement: str | None = None  # only when the release names one
    release: str = ""
    also: tuple[Verdict, ...] = ()  # the same code in other systems

    @property
    def billable(self) -> bool:
        return self.verdict == BILLABLE

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `validate --json` and GET /validate."""
        return {
            "input": self.input,
            "code": self.code,
            "system": self.system,
            "verdict": self.verdict,
            "billable": self.billable,
            "date": self.on.isoformat(),
            "descriptor": self.descriptor,
            "notes": list(self.notes),
            "suggestions": [s.to_dict() for s in self.suggestions],
            "children": [c.to_dict() for c in self.children],
            "children_count": self.children_count,
            "seventh": [{"character": c, "meaning": m} for c, m in self.seventh],
            "effective": self.effective.isoformat() if self.effective else None,
            "terminated": self.terminated.isoformat() if self.terminated else None,
            "replacement": self.replacement,
            "release": self.release,
            "also": [other.to_dict() for other in self.also],
        }
