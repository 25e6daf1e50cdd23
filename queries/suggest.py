""" "Did you mean …": the query as medcodes read it, when it corrected words or found little."""

from __future__ import annotations

from queries.expand import CONTRACTION, TRUNCATION, TYPO, Concept

# Fewer matching pages than this is "little": worth offering what medcodes read.
FEW_PAGES = 3
GUESSED_FROM = 5
GUESSES = (TRUNCATION, CONTRACTION)


def suggest(text: str, concepts: tuple[Concept, ...], total: int) -> str | None:
    """The query with each word that is not in the index replaced by its likeliest reading.

    Offered when a word was read as a typo of an index word, or when the query matched fewer
    than FEW_PAGES pages and a word of GUESSED_FROM letters or more was read as a truncated or
    contracted index word.
    """
    corrected = text
    changed = False
    for concept in concepts:
        if concept.exact:
            continue
        kinds = (TYPO,) if total >= FEW_PAGES or len(concept.typed) < GUESSED_FROM else (TYPO, *GUESSES)
        guesses = [a for a in concept.alternatives if a.kind in kinds]
        if not guesses:
            continue
        best = max(guesses, key=lambda a: a.weight)
        if best.words.lower() != concept.typed.lower() and concept.typed in corrected:
            corrected = corrected.replace(concept.typed, best.words, 1)
            changed = True
    return corrected if changed else None
