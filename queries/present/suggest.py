""" "Did you mean …": the query as medcodes read it, when it corrected words or found little."""

from __future__ import annotations

from medcodes.queries.expand.concepts import CONTRACTION, TRUNCATION, TYPO, Concept
from medcodes.queries.expand.vocabulary import Vocabulary

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


def unmatched_notices(concepts: tuple[Concept, ...], vocabulary: Vocabulary | None) -> tuple[str, ...]:
    """A notice for each query word that no page holds in any of its readings, so that a user
    knows the hits rest on the other words ("poisoning by <a substance the index lacks>")."""
    if vocabulary is None:
        return ()
    missing = [
        concept.typed
        for concept in concepts
        if not any(
            alt.field is not None or all(vocabulary.known_term(term) for term in alt.terms)
            for alt in concept.alternatives
        )
    ]
    return tuple(f"no page has the word {word!r}: the hits rest on the other words" for word in missing)
