"""Query tree -> search plan: which fields each part searches, and with what weight.

A word becomes a concept (queries/expand/concepts.py): the disjunction-max of its alternatives, each an
OR over the text fields weighted per field, so a word counts once however many of its
meanings or fields match. Codes match the `code` field with a weight no text can reach. The
plan is engine-neutral (medcodes.index.search_plan); the engine scores it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from medcodes.index import search_plan as sp
from medcodes.index.fields import CODE, FIELD_WEIGHTS, NAMING_FIELDS, SYSTEM, TEXT_FIELDS
from medcodes.pipeline.codes import code_forms, infer_system, normalize_code
from medcodes.queries.expand.concepts import (
    ABBREVIATION,
    ALL_EXPANSIONS,
    BRAND,
    EXACT,
    SYNONYM,
    Alternative,
    Concept,
    Expansions,
    analyze,
    concepts_for,
    same_meaning,
)
from medcodes.queries.expand.vocabulary import Vocabulary
from medcodes.queries.parse.syntax import (
    All,
    Any_,
    Code,
    CodePrefix,
    CodeRange,
    Node,
    Not,
    ParsedQuery,
    Phrase,
    QuerySyntaxError,
    Word,
    is_code_stem,
)
from medcodes.queries.plan.listing import AFTER_CODES, KeySpan, prefix_spans, range_spans

# An exact code match outranks any text match: BM25 scores of text stay far below this.
CODE_BOOST = 1000.0
# A word on more than this share of the pages ("other", "unspecified", "injection") finds no
# candidates that its rarer neighbours do not; it is left to the re-ranker, which reads it in
# every candidate's names, instead of being scored over tens of thousands of pages in Python.
COMMON_SHARE = 0.04
# Below this many pages a word is never "common": small indexes are fast to score whole.
COMMON_MIN_PAGES = 2000
# When every word is that common, the rarest still picks the candidates.
KEEP_RAREST = 1
# Pages the first stage may expect to score, added up over its words: Whoosh scored about
# 20,000 postings a second through a deep query tree here, so this keeps a query well under 1 s.
FIRST_STAGE_BUDGET = 8000
# Alternatives that are written in the query or known names search every text field; guessed
# words (truncations, contractions, typos) come from the words that name codes and stay there.
_EVERYWHERE = frozenset({EXACT, ABBREVIATION, BRAND, SYNONYM})


@dataclass(frozen=True)
class Plan:
    """The query to run, its filter, and how to order the results."""

    query: sp.Node
    filter: sp.Node | None
    code_order: bool  # only codes, stems, prefixes or ranges: list in code order, not by score
    concepts: tuple[Concept, ...] = ()  # the unscoped words, for re-ranking and explaining
    exact_codes: sp.Node | None = None  # in a code listing, the codes typed in full come first
    spans: tuple[KeySpan, ...] = ()  # in a code listing, the stretches of page keys to list


def plan_query(
    parsed: ParsedQuery,
    systems: tuple[str, ...] = (),
    vocabulary: Vocabulary | None = None,
    *,
    expansions: Expansions = ALL_EXPANSIONS,
    common_share: float = COMMON_SHARE,
) -> Plan:
    """Compile a parsed query; `systems` (from --system) narrows like a system: scope.
    `expansions`: which sources may expand its words; `common_share`: words on more than this
    share of the pages are left to the re-ranker (medcodes.RankingWeights sets both)."""
    compiler = _Compiler(vocabulary, not in_capitals(parsed.root), expansions, common_share)
    wanted = tuple(dict.fromkeys((*parsed.systems, *systems)))
    flt = sp.AnyOf(tuple(sp.Term(SYSTEM, s) for s in wanted)) if wanted else None
    spans = _listing_spans(parsed.root, wanted)
    if spans is not None:
        exact = _exact_codes(parsed.root)
        return Plan(exact or sp.Nothing(), flt, True, (), exact, tuple(spans))
    compiler.find_common(parsed.root)
    query = compiler.compile(parsed.root)
    if query is None:
        if flt is None:
            raise QuerySyntaxError("nothing to search for: the query has only common words")
        query = sp.Everything()
    return Plan(query, flt, False, tuple(compiler.concepts))


def in_capitals(root: Node) -> bool:
    """True when the query's words are all in capitals and there are at least two of them: a
    claim or remittance line, whose capitals mark no abbreviation. One word in capitals ("ALL")
    is typed so to be read as one."""
    words = [w for w in _typed_words(root) if any(ch.isalpha() for ch in w)]
    return len(words) >= 2 and all(w.isupper() for w in words)


def _typed_words(node: Node) -> list[str]:
    if isinstance(node, Word):
        return node.text.split()
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Not):
        return _typed_words(node.child)
    if isinstance(node, All | Any_):
        return [w for child in node.children for w in _typed_words(child)]
    return []


def is_code_listing(parsed: ParsedQuery) -> bool:
    """True when the query is only codes, stems, prefixes and ranges (no words to read)."""
    return _listing_spans(parsed.root, ()) is not None


def concept_query(concept: Concept, fields: tuple[str, ...] = TEXT_FIELDS) -> sp.Node:
    """The disjunction-max of a concept's alternatives: a word counts once."""
    queries = [
        _alternative(alt, fields if alt.kind in _EVERYWHERE or fields != TEXT_FIELDS else NAMING_FIELDS)
        for alt in concept.alternatives
    ]
    return queries[0] if len(queries) == 1 else sp.BestOf(tuple(queries))


def concept_frequency(concept: Concept, vocabulary: Vocabulary) -> int:
    """About how many pages a concept matches: its alternatives' document counts, added up."""
    return sum(
        max(vocabulary.known_term(t) for t in alt.terms) for alt in concept.alternatives if alt.field is None
    )


class _Compiler:
    def __init__(
        self,
        vocabulary: Vocabulary | None,
        capitals_mark: bool = True,
        expansions: Expansions = ALL_EXPANSIONS,
        common_share: float = COMMON_SHARE,
    ) -> None:
        self.vocabulary = vocabulary
        self.capitals_mark = capitals_mark
        self.expansions = expansions
        self.common_share = common_share
        self.concepts: list[Concept] = []
        self._cache: dict[tuple[str, bool], list[Concept]] = {}
        self.common: set[Concept] = set()

    def find_common(self, root: Node) -> None:
        """Mark the unscoped ranked words left to the re-ranker: those on more than common_share
        of the pages, then the commonest others until the first stage's estimated work (pages
        matched, added up over words) fits FIRST_STAGE_BUDGET; the rarest KEEP_RAREST stays."""
        if self.vocabulary is None:
            return
        concepts = list(
            dict.fromkeys(c for word in _ranked_words(root) for c in self._concepts(word.text, False))
        )
        frequency = {c: concept_frequency(c, self.vocabulary) for c in concepts}
        limit = max(self.common_share * self.vocabulary.doc_count, COMMON_MIN_PAGES)
        budget = max(FIRST_STAGE_BUDGET, COMMON_MIN_PAGES)
        kept = sorted(concepts, key=lambda c: frequency[c])
        while len(kept) > KEEP_RAREST and (
            frequency[kept[-1]] > limit or sum(frequency[c] for c in kept) > budget
        ):
            kept.pop()
        self.common = set(concepts) - set(kept)

    def _concepts(self, text: str, negated: bool) -> list[Concept]:
        key = (text, negated)
        if key not in self._cache:
            self._cache[key] = concepts_for(
                text,
                None if negated else self.vocabulary,
                capitals_mark=self.capitals_mark,
                expansions=self.expansions,
            )
        return self._cache[key]

    def compile(self, node: Node, negated: bool = False, ranked: bool = True) -> sp.Node | None:
        """`ranked`: the node only adds to the score (not required by AND), so common words may
        be left to the re-ranker."""
        if isinstance(node, Word):
            return self._words(node.text, node.field, negated, ranked)
        if isinstance(node, Phrase):
            return _phrase(node.words, node.field)
        if isinstance(node, Code):
            return self._code(node.code, negated)
        if isinstance(node, CodePrefix):
            return _prefix(node.prefix)
        if isinstance(node, CodeRange):
            return _range(node.low, node.high)
        if isinstance(node, Not):
            child = self.compile(node.child, negated=True, ranked=False)
            return sp.NoneOf(child) if child is not None else None
        if isinstance(node, All):
            parts = [q for child in node.children if (q := self.compile(child, negated, False)) is not None]
            return _combine(sp.AllOf, parts)
        if isinstance(node, Any_):
            return self._ranked_or(_word_runs(node.children), negated, ranked)
        raise TypeError(f"unknown query node {node!r}")

    def _ranked_or(self, children: tuple[Node, ...], negated: bool, ranked: bool) -> sp.Node | None:
        """Words side by side: any may match, scores add up, NOT-ed ones exclude."""
        positive = [
            q
            for c in children
            if not isinstance(c, Not) and (q := self.compile(c, negated, ranked)) is not None
        ]
        negative = [
            q
            for c in children
            if isinstance(c, Not) and (q := self.compile(c.child, True, False)) is not None
        ]
        query = _combine(sp.AnyOf, positive)
        if negative:
            excluded = negative[0] if len(negative) == 1 else sp.AnyOf(tuple(negative))
            query = sp.Excluding(query, excluded) if query is not None else sp.NoneOf(excluded)
        return query

    def _words(self, text: str, fieldname: str | None, negated: bool, ranked: bool) -> sp.Node | None:
        if fieldname == CODE:
            return self._code(text, negated)
        # A negated word means just that word: guessing what else it might mean would exclude too much.
        concepts = self._concepts(text, negated)
        if fieldname is None and not negated and ranked:
            # A word typed again ("fracture fracture …") adds nothing to rank by.
            concepts = [c for c in concepts if not any(same_meaning(c, seen) for seen in self.concepts)]
            self.concepts.extend(concepts)
        elif fieldname is None and not negated:
            self.concepts.extend(concepts)
        if not concepts:
            return None
        fields = _fields(fieldname)
        kept = [c for c in concepts if not (ranked and fieldname is None and c in self.common)]
        return _combine(sp.AnyOf, [concept_query(c, fields) for c in kept])

    def _code(self, raw: str, negated: bool) -> sp.Node | None:
        """An exact code in any form; also searched as a word, for pages that mention it."""
        exact = _exact(raw) if not negated or is_code_stem(raw) else None
        mention = _combine(
            sp.AnyOf, [concept_query(c) for c in concepts_for(raw, None, expansions=self.expansions)]
        )
        return _combine(sp.AnyOf, [q for q in (exact, mention) if q is not None])


def _alternative(alt: Alternative, fields: tuple[str, ...]) -> sp.Node:
    if alt.field is not None:
        query: sp.Node = sp.Term(alt.field, alt.terms[0])
    else:
        per_term = [_across(fields, term) for term in alt.terms]
        query = per_term[0] if len(per_term) == 1 else sp.AllOf(tuple(per_term))
    return sp.with_boost(query, alt.weight)


def _across(fields: tuple[str, ...], term: str) -> sp.Node:
    queries = [sp.Term(f, term, boost=FIELD_WEIGHTS.get(f, 1.0)) for f in fields]
    return queries[0] if len(queries) == 1 else sp.AnyOf(tuple(queries))


def _phrase(words: tuple[str, ...], fieldname: str | None) -> sp.Node | None:
    terms = analyze(" ".join(words))
    if not terms:
        return None
    fields = _fields(fieldname)
    if len(terms) == 1:
        return _across(fields, terms[0])
    queries = [sp.Phrase(f, tuple(terms), boost=FIELD_WEIGHTS.get(f, 1.0)) for f in fields]
    return queries[0] if len(queries) == 1 else sp.AnyOf(tuple(queries))


def _exact(raw: str) -> sp.Node:
    """A code typed in full scores CODE_BOOST flat, whatever its forms or BM25 (a one-form Or
    would lose its boost, and a boosted BM25 score could not be told from text)."""
    forms = code_forms(normalize_code(raw))
    terms = tuple(sp.Term(CODE, form) for form in forms)
    return sp.Fixed(terms[0] if len(terms) == 1 else sp.AnyOf(terms), CODE_BOOST)


def _prefix(stem: str) -> sp.Node:
    return sp.Prefix(CODE, stem.lower())


def _range(low: str, high: str) -> sp.Node:
    """Codes from low to high in one system; high's subcodes (E13.9 under E13) included."""
    system = infer_system(low) or infer_system(high)
    low_form, high_form = (code_forms(normalize_code(c, system))[-1] for c in (low, high))
    if low_form > high_form:
        low_form, high_form = high_form, low_form
    query = sp.TermRange(CODE, low_form, high_form + AFTER_CODES)
    return sp.AllOf((query, sp.Term(SYSTEM, system))) if system else query


def _listing_spans(node: Node, systems: tuple[str, ...]) -> list[KeySpan] | None:
    """A query of codes, stems, prefixes and ranges only: the key stretches they cover."""
    if isinstance(node, Code) and is_code_stem(node.code):
        return prefix_spans(node.code, systems)
    if isinstance(node, CodePrefix):
        return prefix_spans(node.prefix, systems)
    if isinstance(node, CodeRange):
        return range_spans(node.low, node.high, systems)
    if isinstance(node, Any_) and node.children:
        parts = [_listing_spans(child, systems) for child in node.children]
        return (
            sorted({span for part in parts if part is not None for span in part})
            if all(part is not None for part in parts)
            else None
        )
    return None


def _ranked_words(node: Node) -> list[Word]:
    """Unscoped words that only rank (side by side or ORed), not required by AND nor negated."""
    if isinstance(node, Word) and node.field is None:
        return [node]
    if isinstance(node, Any_):
        return [w for child in _word_runs(node.children) for w in _ranked_words(child)]
    return []


def _word_runs(children: tuple[Node, ...]) -> tuple[Node, ...]:
    """Unscoped words side by side read as one text, so that terms of several words ("high
    blood pressure", "heart attack") meet their synonyms, brands and abbreviations."""
    merged: list[Node] = []
    for child in children:
        previous = merged[-1] if merged else None
        if _plain(child) and previous is not None and _plain(previous):
            assert isinstance(child, Word) and isinstance(previous, Word)
            merged[-1] = Word(f"{previous.text} {child.text}")
        else:
            merged.append(child)
    return tuple(merged)


def _plain(node: Node) -> bool:
    return isinstance(node, Word) and node.field is None


def _exact_codes(node: Node) -> sp.Node | None:
    if isinstance(node, Code):
        return _exact(node.code)
    if isinstance(node, Any_):
        return _combine(sp.AnyOf, [q for c in node.children if (q := _exact_codes(c)) is not None])
    return None


def _fields(fieldname: str | None) -> tuple[str, ...]:
    if fieldname is None:
        return TEXT_FIELDS
    return (fieldname,)


def _combine(kind: Callable[[tuple[sp.Node, ...]], sp.Node], parts: Sequence[sp.Node]) -> sp.Node | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


__all__ = ["CODE_BOOST", "Plan", "analyze", "concept_query", "plan_query"]
