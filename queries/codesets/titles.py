"""Where the title documents of codes with no page go among the pages a search ranked.

A title-only hit (a code-set entry's official descriptor, index/titles.py) is never ranked
above a page that names the query as well: it goes after the last page whose naming fields
(title, other names, name block) hold at least as many of the query's words as its descriptor.
A word counts once, by any of its readings ("femur" held as "thigh bone" is one word, not two
terms). Pages keep the order the ranking gave them; title-only hits keep theirs (most words,
then BM25F).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, TypeVar

from medcodes.index.fields import NAMING_FIELDS
from medcodes.queries.expand.concepts import Concept

T = TypeVar("T")


def naming_strength(matched: Iterable[tuple[str, Any]], concepts: tuple[Concept, ...]) -> int:
    """How many of the query's words a page (or a title) holds, by any reading, in the fields
    that name it; the distinct terms held when the query has no free words (a field scope)."""
    terms = {
        term.decode("utf-8") if isinstance(term, bytes) else term
        for field, term in matched
        if field in NAMING_FIELDS
    }
    if not concepts:
        return len(terms)
    return sum(1 for concept in concepts if held(concept, terms))


def held(concept: Concept, terms: Collection[str]) -> bool:
    """Whether `terms` hold a reading of the concept (every term of one of its alternatives)."""
    return any(alt.terms and all(term in terms for term in alt.terms) for alt in concept.alternatives)


def place_titles(pages: Sequence[T], titles: Sequence[T], strength: Callable[[T], int]) -> list[T]:
    """Pages and titles in one order: each title after every page at least as strong.

    >>> place_titles(["p2", "p1", "p0"], ["t1"], lambda s: int(s[1]))
    ['p2', 'p1', 't1', 'p0']
    """
    ordered = sorted(titles, key=strength, reverse=True)  # stable: ties keep their BM25F order
    page_strengths = [strength(page) for page in pages]
    merged: list[T] = []
    at = 0
    for title in ordered:
        needed = strength(title)
        last = max((i for i, s in enumerate(page_strengths) if s >= needed), default=-1)
        if last + 1 > at:
            merged.extend(pages[at : last + 1])
            at = last + 1
        merged.append(title)
    merged.extend(pages[at:])
    return merged
