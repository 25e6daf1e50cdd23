""" "Did you mean …": the query as medcodes read it, when it corrected words or found little."""

from __future__ import annotations

from queries.expand import TYPO, Concept

# Fewer matching pages than this is "little": worth offering the corrected spelling.
FEW_PAGES = 3


def suggest(text: str, concepts: tuple[Concept, ...], total: int) -> str | None:
    """The query with each mistyped word replaced by its likeliest correction, or None.

    Offered when a word was found only as a typo of an index word, or when the query matched
    fewer than FEW_PAGES pages and some word has a close spelling in the index.
    """
    corrected = text
    changed = False
    for concept in concepts:
        typos = [a for a in concept.alternatives if a.kind == TYPO]
        if not typos or (concept.exact and total >= FEW_PAGES):
            continue
        best = max(typos, key=lambda a: a.weight)
        if best.words.lower() != concept.typed.lower() and concept.typed in corrected:
            corrected = corrected.replace(concept.typed, best.words, 1)
            changed = True
    return corrected if changed else None
