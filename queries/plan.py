"""Query tree -> Whoosh query: which fields each part searches, and with what weight."""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq

from index.schema import CODE, FIELD_WEIGHTS, SYSTEM, TEXT_ANALYZER, TEXT_FIELDS
from pipeline.codes import code_forms, normalize_code
from queries.parse import All, Any_, Code, CodePrefix, Node, Not, ParsedQuery, Phrase, QuerySyntaxError, Word

# An exact code match outranks any text match: BM25 scores of text stay far below this.
CODE_BOOST = 1000.0


@dataclass(frozen=True)
class Plan:
    """The Whoosh query to run, its filter, and how to order the results."""

    query: wq.Query
    filter: wq.Query | None
    code_order: bool  # only code stems/prefixes: list in code order, not by score


def plan_query(parsed: ParsedQuery, systems: tuple[str, ...] = ()) -> Plan:
    """Compile a parsed query; `systems` (from --system) narrows like a system: scope."""
    query = _compile(parsed.root)
    wanted = tuple(dict.fromkeys((*parsed.systems, *systems)))
    flt = wq.Or([wq.Term(SYSTEM, s) for s in wanted]) if wanted else None
    if query is None:
        if flt is None:
            raise QuerySyntaxError("nothing to search for: the query has only common words")
        query = wq.Every()
    return Plan(query, flt, _only_prefixes(parsed.root))


def analyze(text: str) -> list[str]:
    """The index terms of `text` (lower-cased, stop words dropped, stemmed)."""
    return [token.text for token in TEXT_ANALYZER(text)]


def _compile(node: Node) -> wq.Query | None:
    if isinstance(node, Word):
        return _words(node.text, node.field)
    if isinstance(node, Phrase):
        return _phrase(node.words, node.field)
    if isinstance(node, Code):
        return _code(node.code)
    if isinstance(node, CodePrefix):
        return wq.Prefix(CODE, node.prefix.lower())
    if isinstance(node, Not):
        child = _compile(node.child)
        return wq.Not(child) if child is not None else None
    if isinstance(node, All):
        parts = [q for child in node.children if (q := _compile(child)) is not None]
        return _combine(wq.And, parts)
    if isinstance(node, Any_):
        return _ranked_or(node.children)
    raise TypeError(f"unknown query node {node!r}")


def _ranked_or(children: tuple[Node, ...]) -> wq.Query | None:
    """Words side by side: any may match, scores add up, NOT-ed ones exclude.

    Whoosh's own coordination (`Or(scale=…)`) counts every field's term matcher, which makes
    its bonus vanish on a multi-field query, so the sum of BM25 scores does the ranking.
    """
    positive = [q for c in children if not isinstance(c, Not) and (q := _compile(c)) is not None]
    negative = [q for c in children if isinstance(c, Not) and (q := _compile(c.child)) is not None]
    query = _combine(wq.Or, positive)
    if negative:
        excluded = _combine(wq.Or, negative)
        query = wq.AndNot(query, excluded) if query is not None else wq.Not(excluded)
    return query


def _words(text: str, fieldname: str | None) -> wq.Query | None:
    terms = analyze(text)
    if not terms:
        return None
    fields = _fields(fieldname)
    per_term = [_across(fields, lambda f, t=term: wq.Term(f, t)) for term in terms]
    return per_term[0] if len(per_term) == 1 else wq.And(per_term)


def _phrase(words: tuple[str, ...], fieldname: str | None) -> wq.Query | None:
    terms = analyze(" ".join(words))
    if not terms:
        return None
    if len(terms) == 1:
        return _across(_fields(fieldname), lambda f: wq.Term(f, terms[0]))
    return _across(_fields(fieldname), lambda f: wq.Phrase(f, terms))


def _code(raw: str) -> wq.Query:
    """An exact code in any form; also searched as a word, for pages that mention it."""
    forms = code_forms(normalize_code(raw))
    exact = wq.Or([wq.Term(CODE, form) for form in forms], boost=CODE_BOOST)
    mention = _words(raw, None)
    return wq.Or([exact, mention]) if mention is not None else exact


def _fields(fieldname: str | None) -> tuple[str, ...]:
    if fieldname is None:
        return TEXT_FIELDS
    if fieldname == CODE:
        return (CODE,)
    return (fieldname,)


def _across(fields: tuple[str, ...], make) -> wq.Query:
    queries = [_weighted(make(f), f) for f in fields]
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _weighted(query: wq.Query, fieldname: str) -> wq.Query:
    query.boost = FIELD_WEIGHTS.get(fieldname, 1.0)
    return query


def _combine(kind, parts: list[wq.Query]) -> wq.Query | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else kind(parts)


def _only_prefixes(node: Node) -> bool:
    if isinstance(node, CodePrefix):
        return True
    if isinstance(node, Any_):
        return bool(node.children) and all(_only_prefixes(c) for c in node.children)
    return False
