"""Where the title documents of codes with no page go among the pages a search ranked.

A title-only hit (a code-set entry's official descriptor, index/titles.py) is never ranked
above a page that names the query as well: it goes after the last page whose naming fields
(title, other names, name block) hold at least as many distinct query terms as its descriptor.
Pages keep the order the ranking gave them; title-only hits keep theirs (most terms, then BM25F).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from medcodes.index.fields import NAMING_FIELDS

T = TypeVar("T")


def naming_strength(matched: Iterable[tuple[str, Any]]) -> int:
    """How many distinct query terms a page (or a title) holds in the fields that name it."""
    return len({term for field, term in matched if field in NAMING_FIELDS})


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
