"""The first stage of a ranked query, scored term at a time: the same BM25F scores as Whoosh.

Whoosh scores document at a time through a tree of matchers, and in pure Python that tree costs
more than the scoring: a three-word query over 17 fields took 150 ms at 10,000 pages (issue 6,
cProfile: `replace`, `max_quality` and `is_active` of the union matchers on top). Here each
term's postings are read block by block and their BM25F scores added into one dict per
disjunction, with the field lengths read once per searcher: the same scores (up to the order
in which floats are added), the same ties (lower document number first), an exact total.

Term, Or, And, AndNot, disjunction-max and exact-phrase nodes are scored here; any other node
(prefixes, ranges, NOT alone, sloppy phrases) is scored by its own Whoosh matcher, as before.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher as WhooshSearcher
from whoosh.util.numeric import byte_to_length

from index.field_lengths import field_length_bytes
from index.text_fields import CompactPositions

Scores = dict[int, float]
MatchedTerm = tuple[str, bytes]


@dataclass
class _Leaf:
    """A term or a Whoosh-scored node: what it matched, to tell later which terms a page had."""

    terms: tuple[MatchedTerm, ...]
    blocks: list[tuple[int, Sequence[int]]] = field(default_factory=list)  # (offset, sorted docs)

    def has(self, docnum: int) -> bool:
        for offset, docs in self.blocks:
            if docs and docs[0] + offset <= docnum <= docs[-1] + offset:
                at = bisect_left(docs, docnum - offset)
                if at < len(docs) and docs[at] == docnum - offset:
                    return True
        return False


@dataclass(frozen=True)
class FirstStage:
    """The best pages of a query, best first, the number of pages it matched, and per page
    shown, the terms it matched."""

    top: list[tuple[int, float]]
    total: int
    leaves: tuple[_Leaf, ...]

    def matched_terms(self, docnum: int) -> tuple[MatchedTerm, ...]:
        """The (field, term) pairs of the query that occur in the page, for snippets."""
        return tuple(dict.fromkeys(t for leaf in self.leaves if leaf.has(docnum) for t in leaf.terms))


class TermAtATime:
    """Scores queries against one Whoosh searcher; keeps its field lengths between queries."""

    def __init__(self, searcher: WhooshSearcher) -> None:
        self._searcher = searcher
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise TypeError(f"term-at-a-time scoring needs BM25F, not {type(weighting).__name__}")
        self._weighting = weighting
        self._segments = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self._norms: dict[tuple[int, str], list[float]] = {}  # (segment, field) -> per length byte
        self._lengths: dict[tuple[int, str], bytes] = {}  # (segment, field) -> length byte per doc
        self._filters: dict[wq.Query, frozenset[int]] = {}

    def run(self, query: wq.Query, filter_query: wq.Query | None, limit: int) -> FirstStage:
        """The top `limit` pages of `query` among those `filter_query` matches."""
        leaves: list[_Leaf] = []
        scores = self._score(query, leaves)
        if filter_query is not None:
            allowed = self._allowed(filter_query)
            scores = {doc: s for doc, s in scores.items() if doc in allowed}
        return FirstStage(_best(scores, limit), len(scores), tuple(leaves))

    def _allowed(self, filter_query: wq.Query) -> frozenset[int]:
        if filter_query not in self._filters:
            if len(self._filters) > 64:
                self._filters.clear()
            self._filters[filter_query] = frozenset(self._searcher.docs_for_query(filter_query))
        return self._filters[filter_query]

    def _score(self, query: wq.Query, leaves: list[_Leaf]) -> Scores:
        scores: Scores = {}
        self._add(query, 1.0, scores, leaves)
        return scores

    def _add(self, query: wq.Query, scale: float, into: Scores, leaves: list[_Leaf]) -> None:
        """Add `scale` times the query's scores into `into` (a disjunction sums)."""
        subs = getattr(query, "subqueries", None)
        if isinstance(query, wq.Term):
            self._add_term(query, scale * query.boost, into, leaves)
        elif _is_plain_compound(query):
            assert subs is not None
            if not subs:
                return
            if len(subs) == 1:  # Whoosh drops a one-child compound's boost; so do we
                self._add(subs[0], scale, into, leaves)
                return
            scale *= query.boost
            if type(query) is wq.Or:
                for sub in subs:
                    self._add(sub, scale, into, leaves)
            elif type(query) is wq.And:
                _add_scores(into, _intersection([self._score(sub, leaves) for sub in subs]), scale)
            else:
                _add_scores(into, _maximum([self._score(sub, leaves) for sub in subs]), scale)
        elif type(query) is wq.Phrase and query.slop == 1:
            self._add_phrase(query, scale * query.boost, into, leaves)
        elif type(query) is wq.AndNot:
            excluded = set(self._score(query.b, []))
            positive = self._score(query.a, leaves)
            _add_scores(into, {d: s for d, s in positive.items() if d not in excluded}, scale * query.boost)
        else:
            self._add_matcher(query, scale, into, leaves)

    def _add_term(self, term: wq.Term, scale: float, into: Scores, leaves: list[_Leaf]) -> None:
        schema = self._searcher.schema
        if term.fieldname not in schema:
            return
        fieldtype = schema[term.fieldname]
        try:
            text = fieldtype.to_bytes(term.text)
        except ValueError:
            return
        leaf = _Leaf(((term.fieldname, text),))
        leaves.append(leaf)
        scorable = fieldtype.scorable
        if scorable:
            idf = self._searcher.idf(term.fieldname, text)
            lift = self._weighting.K1 + 1
        for number, (reader, offset) in enumerate(self._segments):
            if (term.fieldname, text) not in reader:
                continue
            get = into.get
            blocks = _posting_blocks(reader.postings(term.fieldname, text))
            if not scorable:  # an ID field (codes): a posting scores its weight
                for ids, weights in blocks:
                    for doc, tf in zip(ids, weights, strict=True):
                        into[doc + offset] = get(doc + offset, 0.0) + tf * scale
                    leaf.blocks.append((offset, ids))
                continue
            norms = self._norm_table(number, term.fieldname)
            lengths = self._length_bytes(number, term.fieldname)
            for ids, weights in blocks:
                for doc, tf in zip(ids, weights, strict=True):
                    # whoosh.scoring.bm25, with the length part looked up by length byte
                    score = idf * ((tf * lift) / (tf + norms[lengths[doc]]))
                    into[doc + offset] = get(doc + offset, 0.0) + score * scale
                leaf.blocks.append((offset, ids))

    def _add_phrase(self, phrase: wq.Phrase, scale: float, into: Scores, leaves: list[_Leaf]) -> None:
        """Pages where the words stand one after another; each scores its words' BM25F added
        up, as Whoosh's phrase matcher (an intersection of the terms, filtered by position)."""
        fieldname = phrase.fieldname
        schema = self._searcher.schema
        if fieldname not in schema or not schema[fieldname].format.supports("positions"):
            self._add_matcher(phrase, scale, into, leaves)
            return
        fieldtype = schema[fieldname]
        try:
            texts = [fieldtype.to_bytes(word) for word in phrase.words]
        except ValueError:
            return
        leaf = _Leaf(tuple((fieldname, text) for text in dict.fromkeys(texts)))
        leaves.append(leaf)
        positions_of = fieldtype.format.decoder("positions")
        if isinstance(fieldtype.format, CompactPositions):
            in_a_row = _compact_in_a_row(positions_of)
        else:
            in_a_row = lambda values: _in_a_row([positions_of(v) for v in values])  # noqa: E731
        for number, (reader, offset) in enumerate(self._segments):
            if any((fieldname, text) not in reader for text in texts):
                continue
            # The rarest word's pages first; of the others, only the blocks that may hold one
            # of the pages still in the running are read (as Whoosh's intersection skips).
            order = sorted(range(len(texts)), key=lambda i: reader.doc_frequency(fieldname, texts[i]))
            blocks: list[list[tuple[Sequence[Any], ...]]] = [[] for _ in texts]
            shared: set[int] | None = None
            for i in order:
                within = sorted(shared) if shared is not None else None
                blocks[i] = list(_posting_blocks(reader.postings(fieldname, texts[i]), True, within))
                held = set(chain.from_iterable(block[0] for block in blocks[i]))
                shared = held if shared is None else shared & held
                if not shared:
                    break
            if not shared:
                continue
            postings = [_postings_of(term, shared) for term in blocks]
            idfs = [self._searcher.idf(fieldname, text) for text in texts]
            norms = self._norm_table(number, fieldname)
            lengths = self._length_bytes(number, fieldname)
            lift = self._weighting.K1 + 1
            found = []
            for doc in sorted(shared):
                if in_a_row([p[doc][1] for p in postings]):
                    norm = norms[lengths[doc]]
                    # whoosh.scoring.bm25 of each word, as _add_term computes it
                    score = sum(
                        idf * ((p[doc][0] * lift) / (p[doc][0] + norm))
                        for idf, p in zip(idfs, postings, strict=True)
                    )
                    into[doc + offset] = into.get(doc + offset, 0.0) + score * scale
                    found.append(doc)
            leaf.blocks.append((offset, found))

    def _add_matcher(self, query: wq.Query, scale: float, into: Scores, leaves: list[_Leaf]) -> None:
        """Any other node: its own Whoosh matcher, one segment at a time (as a collector runs)."""
        leaf = _Leaf(tuple((f, _as_bytes(t)) for f, t in query.iter_all_terms()))
        leaves.append(leaf)
        context = self._searcher.context()
        for searcher, offset in self._searcher.leaf_searchers():
            matcher = query.matcher(searcher, context)
            docs = []
            while matcher.is_active():
                at = matcher.id() + offset
                into[at] = into.get(at, 0.0) + matcher.score() * scale
                docs.append(matcher.id())
                matcher.next()
            leaf.blocks.append((offset, docs))

    def _norm_table(self, segment: int, fieldname: str) -> list[float]:
        """K1 * ((1 - B) + B * length / average length), for each of the 256 length bytes."""
        key = (segment, fieldname)
        if key not in self._norms:
            w = self._weighting
            b = w._field_B.get(fieldname, w.B)
            avgfl = self._searcher.avg_field_length(fieldname) or 1
            self._norms[key] = [w.K1 * ((1 - b) + b * (byte_to_length(lb) or 0) / avgfl) for lb in range(256)]
        return self._norms[key]

    def _length_bytes(self, segment: int, fieldname: str) -> bytes:
        key = (segment, fieldname)
        if key not in self._lengths:
            perdoc = self._segments[segment][0]._perdoc  # a SegmentReader's W3PerDocReader
            found = field_length_bytes(perdoc, fieldname)
            self._lengths[key] = found if found is not None else bytes(perdoc.doc_count_all())
        return self._lengths[key]


def _posting_blocks(
    matcher: Any, values: bool = False, within: list[int] | None = None
) -> Iterable[tuple[Sequence[Any], ...]]:
    """A term's postings as (document numbers, weights[, encoded values]) per block, deleted
    documents left out; with `within` (sorted document numbers), only the blocks whose range
    of documents holds one of them (others may be left out too)."""
    deleted: frozenset[int] | set[int] = frozenset()
    if isinstance(matcher, FilterMatcher):
        deleted, matcher = matcher._ids, matcher.child
    if isinstance(matcher, W3LeafMatcher):
        blocks = _leaf_blocks(matcher, values, within)
    else:  # postings kept in the term's own entry: a handful, read one by one
        rows = []
        while matcher.is_active():
            rows.append(
                (matcher.id(), matcher.weight(), matcher.value())
                if values
                else (matcher.id(), matcher.weight())
            )
            matcher.next()
        blocks = iter([tuple(zip(*rows, strict=True))] if rows else [])
    for block in blocks:
        if deleted:
            kept = [row for row in zip(*block, strict=True) if row[0] not in deleted]
            block = tuple(zip(*kept, strict=True)) if kept else tuple(() for _ in block)
        yield block


def _leaf_blocks(
    matcher: W3LeafMatcher, values: bool, within: list[int] | None
) -> Iterable[tuple[Sequence[Any], ...]]:
    lowest = 0  # no document of this block comes before the one after the last block's
    while matcher.is_active():
        if within is not None:
            highest = matcher.block_max_id()  # from the block's header: its data is not read
            at = bisect_left(within, lowest)
            lowest = highest + 1
            if at == len(within) or within[at] > highest:
                matcher._next_block()
                continue
        if matcher._data is None:
            matcher._read_data()
        # W3LeafMatcher._read_ids, with the deltas added up in C rather than by a generator
        raw = matcher._data[0]
        matcher._ids = raw if matcher._byteids else tuple(accumulate(raw))
        matcher._read_weights()
        if values:
            matcher._read_values()
            yield matcher._ids, matcher._weights, matcher._values
        else:
            yield matcher._ids, matcher._weights
        matcher._next_block()


def _postings_of(blocks: list[tuple[Sequence[Any], ...]], docs: set[int]) -> dict[int, tuple[Any, Any]]:
    """doc -> (weight, encoded value) of the postings of `docs`; Python touches only those."""
    found = {}
    for ids, weights, values in blocks:
        wanted = docs.intersection(ids)
        if wanted:
            where = dict(zip(ids, range(len(ids)), strict=True))
            for doc in wanted:
                found[doc] = (weights[where[doc]], values[where[doc]])
    return found


def _compact_in_a_row(positions_of: Any) -> Any:
    """_in_a_row over CompactPositions values; a word at one position below 128 is stored as
    that one byte, so most pages are decided by comparing bytes, without decoding."""

    def check(values: list[bytes]) -> bool:
        if all(len(v) == 1 and v[0] < 0x80 for v in values):
            first = values[0][0]
            return all(v[0] == first + i for i, v in enumerate(values))
        return _in_a_row([positions_of(v) for v in values])

    return check


def _in_a_row(positions: list[list[int]]) -> bool:
    """True when some position p of the first word has the i-th word at p + i."""
    rest = [set(where) for where in positions[1:]]
    return any(all(p + i in where for i, where in enumerate(rest, start=1)) for p in positions[0])


def _best(scores: Scores, limit: int) -> list[tuple[int, float]]:
    """The `limit` best (page, score) pairs, best first, ties to the lower page number (as
    Whoosh's collector); the cut-off score is found on the bare floats first."""
    items: Iterable[tuple[int, float]] = scores.items()
    if 0 < limit < len(scores):
        threshold = heapq.nlargest(limit, scores.values())[-1]
        items = [(doc, score) for doc, score in items if score >= threshold]
    return sorted(items, key=lambda item: (-item[1], item[0]))[:limit]


def _as_bytes(text: object) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


def _is_plain_compound(query: wq.Query) -> bool:
    """An Or, And or disjunction-max without the options this module does not score."""
    if type(query) is wq.Or:
        return not query.minmatch and not query.scale
    if type(query) is wq.And:
        return True
    return isinstance(query, wq.DisjunctionMax) and not query.tiebreak


def _add_scores(into: Scores, scores: Scores, scale: float) -> None:
    get = into.get
    for doc, score in scores.items():
        into[doc] = get(doc, 0.0) + score * scale


def _intersection(parts: list[Scores]) -> Scores:
    parts.sort(key=len)
    first, rest = parts[0], parts[1:]
    return {d: s + sum(p[d] for p in rest) for d, s in first.items() if all(d in p for p in rest)}


def _maximum(parts: list[Scores]) -> Scores:
    best: Scores = {}
    for part in parts:
        for doc, score in part.items():
            if score > best.get(doc, -1.0):
                best[doc] = score
    return best


__all__ = ["FirstStage", "TermAtATime"]
