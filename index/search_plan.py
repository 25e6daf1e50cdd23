"""The plan of a search, engine-neutral: what medcodes.queries builds and the engine runs.

Plain frozen dataclasses: terms in fields with boosts, phrases, code prefixes and ranges, and
the ways to combine them. queries/ decides which terms go in which fields with what weight;
medcodes.index.engine compiles the plan for the index and scores it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Term:
    """A term (already analyzed) in one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Analyzed terms standing one after another in one field; scores its terms' sum."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Every term of a field that begins with `text`, each scoring the same (code stems)."""

    field: str
    text: str


@dataclass(frozen=True)
class TermRange:
    """Every term of a field from `low` to `high` (both included), each scoring the same."""

    field: str
    low: str
    high: str


@dataclass(frozen=True)
class AnyOf:
    """Matches what any part matches; a page scores its matching parts' sum."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AllOf:
    """Matches what every part matches; a page scores its parts' sum."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class BestOf:
    """Matches what any part matches; a page scores its best part's score (a word counts once
    however many of its meanings match)."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Fixed:
    """What `part` matches, every page scoring `score` (a code typed in full)."""

    part: Node
    score: float


@dataclass(frozen=True)
class Excluding:
    """What `part` matches and `excluded` does not."""

    part: Node
    excluded: Node


@dataclass(frozen=True)
class NoneOf:
    """Every page `part` does not match, each scoring 1."""

    part: Node


@dataclass(frozen=True)
class Everything:
    """Every page."""


@dataclass(frozen=True)
class Nothing:
    """No page."""


Node = (
    Term
    | Phrase
    | Prefix
    | TermRange
    | AnyOf
    | AllOf
    | BestOf
    | Fixed
    | Excluding
    | NoneOf
    | Everything
    | Nothing
)


@dataclass(frozen=True, order=True)
class KeySpan:
    """Page keys from `low` (inclusive) to `high` (exclusive): a stretch of codes in code order."""

    low: str
    high: str


def with_boost(node: Node, boost: float) -> Node:
    """`node` weighted by `boost` (a node without a boost of its own is returned as is)."""
    if isinstance(node, Term | Phrase | AnyOf | AllOf | BestOf):
        return replace(node, boost=boost)
    return node


__all__ = [
    "AllOf",
    "AnyOf",
    "BestOf",
    "Everything",
    "Excluding",
    "Fixed",
    "KeySpan",
    "Node",
    "NoneOf",
    "Nothing",
    "Phrase",
    "Prefix",
    "Term",
    "TermRange",
    "with_boost",
]
