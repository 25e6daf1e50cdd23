"""A search plan (medcodes.index.search_plan) as the Whoosh query it stands for.

The term-at-a-time scorer (scoring.py) reads plans itself; this is for what Whoosh still runs
(a phrase in a field without positions, every page) and for checking the scorer against
Whoosh's own scores.
"""

from __future__ import annotations

from whoosh import query as wq

from medcodes.index.engine.dismax import MaxOf
from medcodes.index.search_plan import (
    AllOf,
    AnyOf,
    BestOf,
    Everything,
    Excluding,
    Fixed,
    Node,
    NoneOf,
    Nothing,
    Phrase,
    Prefix,
    Term,
    TermRange,
)


def to_whoosh(node: Node) -> wq.Query:
    """The Whoosh query of a plan node, boosts and nesting kept as they are."""
    if isinstance(node, Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, AnyOf):
        return wq.Or([to_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, AllOf):
        return wq.And([to_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, BestOf):
        return MaxOf([to_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, Phrase):
        return wq.Phrase(node.field, list(node.words), boost=node.boost)
    if isinstance(node, Prefix):
        return wq.Prefix(node.field, node.text)
    if isinstance(node, TermRange):
        return wq.TermRange(node.field, node.low, node.high, constantscore=True)
    if isinstance(node, Fixed):
        return wq.ConstantScoreQuery(to_whoosh(node.part), node.score)
    if isinstance(node, Excluding):
        return wq.AndNot(to_whoosh(node.part), to_whoosh(node.excluded))
    if isinstance(node, NoneOf):
        return wq.Not(to_whoosh(node.part))
    if isinstance(node, Everything):
        return wq.Every()
    if isinstance(node, Nothing):
        return wq.NullQuery
    raise TypeError(f"not a plan node: {node!r}")


__all__ = ["to_whoosh"]
