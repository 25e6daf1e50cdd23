"""The 7th character a query asks for: it selects among sibling codes before anything else.

ICD-10-CM injury, poisoning, external-cause and some obstetric and musculoskeletal categories
take a 7th character: the encounter (A initial, D subsequent, S sequela; for fractures B, C
initial for open fractures, E-R subsequent by healing) or the fetus (1-5, 9 other, 0 not
applicable). Siblings differ only in it, and their titles share every other word, so words alone
cannot tell them apart: a query that says "7thG", "fts2", "init" or "subsequent encounter" asks
for the codes with that 7th character, and the parent or a sibling with another one is wrong
however well its title fits. Read from what was typed and its known equivalents, never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcodes.queries.expand.concepts import SEVENTH_CHARACTER, Concept
from medcodes.queries.icd10cm.axes import STATED

# The 7th characters an encounter word allows (Official Guidelines, chapter 19 and 20 notes).
INITIAL = frozenset("abc")
SUBSEQUENT = frozenset("defghjkmnpqr")
SEQUELA = frozenset("s")
# An encounter is stated by an encounter word with "encounter" (as the abbreviations "init" and
# "subs" expand), or by "sequela" alone, by analyzed term.
_ENCOUNTER = "encount"
ENCOUNTER_TERMS = (("initi", INITIAL), ("subsequ", SUBSEQUENT))
SEQUELA_TERM = "sequela"


def stated_seventh(concepts: Iterable[Concept]) -> frozenset[str] | None:
    """The 7th characters a query allows (lower case), or None when it states none."""
    concepts = list(concepts)
    for concept in concepts:
        for alt in concept.alternatives:
            if alt.kind == SEVENTH_CHARACTER:
                return frozenset(alt.terms)
    terms = {t for c in concepts for a in c.alternatives if a.kind in STATED for t in a.terms}
    if _ENCOUNTER in terms:
        for term, allowed in ENCOUNTER_TERMS:
            if term in terms:
                return allowed
    return SEQUELA if SEQUELA_TERM in terms else None


def seventh_agreement(allowed: frozenset[str] | None, sevenths: list[str | None]) -> list[float]:
    """Per candidate: -1 when the query states a 7th character that the candidate lacks while
    another candidate has it (the wanted code is among the siblings), else 0."""
    if allowed is None or not any(s in allowed for s in sevenths):
        return [0.0] * len(sevenths)
    return [0.0 if s in allowed else -1.0 for s in sevenths]
