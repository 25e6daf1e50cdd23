"""What the ICD-10-CM classification axes share (queries/icd10cm/behaviour.py, queries/icd10cm/intent.py): a
code's block looked up by category range, and the value a query states, read from what was
typed and its known equivalents, never from guessed words."""

from __future__ import annotations

from collections.abc import Iterable

from medcodes.queries.expand.concepts import ABBREVIATION, EXACT, SYNONYM, Concept

# Alternatives that say what the query states (not guesses).
STATED = frozenset({EXACT, ABBREVIATION, SYNONYM})

Ranges = tuple[tuple[str, str, str], ...]  # (first category, last category, value)
StatedTerms = tuple[tuple[str, str], ...]  # (analyzed term, value), the first found deciding


def block_of(category: str, ranges: Ranges) -> str | None:
    """The value of the range that holds a three-character category, or None."""
    for low, high, value in ranges:
        if low <= category <= high:
            return value
    return None


def first_stated(concepts: Iterable[Concept], table: StatedTerms) -> str | None:
    """The value of the first term of `table` that the query states, or None."""
    terms = {t for c in concepts for a in c.alternatives if a.kind in STATED for t in a.terms}
    for term, value in table:
        if term in terms:
            return value
    return None
