"""The first stage of a ranked query, scored term at a time: the same BM25F scores as Whoosh.

Whoosh scores document at a time through a tree of matchers, and in pure Python that tree costs
more than the scoring: a three-word query over 17 fields took 150 ms at 10,000 pages (issue 6,
cProfile: `replace`, `max_quality` and `is_active` of the union matchers on top). Here each
term's postings are read block by block and their BM25F scores added, for all of a term's
postings at once with numpy, into one array per disjunction holding a score for every page of
the searcher (a word query at 100,000 pages touches ~60,000 postings; a Python loop over them
was 40% of its time). The field lengths are read once per searcher; a long list, once decoded,
is kept for the process's next queries (index/engine/posting_cache.py), with a phrase word's
positions as sorted (page, position) keys. The result is Whoosh's:
the same scores (the floats are added in the same order as one at a time), the same ties
(lower document number first), an exact total.

Every node of a plan (medcodes.index.search_plan) is scored here: a code prefix or range as the
sum of the code terms it covers (as Whoosh's union of their term matchers), a code typed in
full as its constant; only `Everything` and a phrase in a field without positions are left to a
Whoosh matcher. So no Whoosh union or disjunction matcher scores a plan, and the choice
Whoosh's `Or` makes between them (`Or.matcher_type`) does not matter here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate, chain, compress, islice
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher as WhooshSearcher
from whoosh.util.numeric import byte_to_length

from medcodes.index.engine.block_codec import BLOCK_POSTINGS
from medcodes.index.engine.compile import to_whoosh
from medcodes.index.engine.field_lengths import field_length_bytes
from medcodes.index.engine.posting_cache import POSTINGS, DecodedPostings
from medcodes.index.engine.text_fields import CompactPositions
from medcodes.index.search_plan import (
    AllOf,
    AnyOf,
    BestOf,
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

MatchedTerm = tuple[str, bytes]
_IDF_CACHE = 100_000  # terms whose idf (and per segment, document frequency) a searcher keeps


class _Scores:
    """A score for every page of the searcher, and which pages matched at all."""

    __slots__ = ("hit", "score")

    def __init__(self, size: int) -> None:
        self.score = np.zeros(size)
        self.hit = np.zeros(size, dtype=bool)

    def add(self, docs: np.ndarray, scores: np.ndarray, scale: float) -> None:
        """Add `scale` times `scores` to the pages `docs` (no page twice)."""
        self.score[docs] += scores * scale
        self.hit[docs] = True

    def add_all(self, other: _Scores, scale: float) -> None:
        self.add(np.flatnonzero(other.hit), other.score[other.hit], scale)


@dataclass
class _Leaf:
    """A term or a Whoosh-scored node: what it matched, to tell later which terms a page had."""

    terms: tuple[MatchedTerm, ...]
    blocks: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (offset, sorted docs)


@dataclass(frozen=True)
class FirstStage:
    """The best pages of a query, best first, the number of pages it matched, and per page
    shown, the terms it matched."""

    top: list[tuple[int, float]]
    total: int
    leaves: tuple[_Leaf, ...]
    # Per page asked about, the terms it matched: re-ranking asks for the top pages, snippets
    # for the shown ones, which are mostly the same.
    _known: dict[int, tuple[MatchedTerm, ...]] = field(default_factory=dict, repr=False, compare=False)

    def matched_terms(self, docnums: list[int]) -> list[tuple[MatchedTerm, ...]]:
        """Per page, the (field, term) pairs of the query that occur in it, in query order."""
        missing = [docnum for docnum in dict.fromkeys(docnums) if docnum not in self._known]
        if missing:
            self._known.update(zip(missing, self._find(missing), strict=True))
        return [self._known[docnum] for docnum in docnums]

    def _find(self, docnums: list[int]) -> list[tuple[MatchedTerm, ...]]:
        """One look-up of every leaf's pages at once: each leaf's postings, tagged with the
        leaf, are looked up among `docnums` through a table of rows by page number."""
        docs, owners = self._postings
        matched: list[dict[MatchedTerm, None]] = [{} for _ in docnums]
        if not len(docs):
            return [()] * len(docnums)
        wanted = np.array(docnums, dtype=np.int64)
        row_of = np.full(max(int(docs.max()), int(wanted.max())) + 1, -1, dtype=np.int64)
        row_of[wanted] = np.arange(len(wanted))
        rows = row_of[docs]
        held = rows >= 0
        # Postings are in leaf order, so each page gathers its terms in query order.
        for leaf, row in zip(owners[held].tolist(), rows[held].tolist(), strict=True):
            matched[row].update(dict.fromkeys(self.leaves[leaf].terms))
        return [tuple(terms) for terms in matched]

    @cached_property
    def _postings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every leaf's pages (searcher document numbers) in one array, and each one's leaf."""
        parts = [(docs + offset, i) for i, leaf in enumerate(self.leaves) for offset, docs in leaf.blocks]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        docs = np.concatenate([found for found, _ in parts])
        owners = np.repeat([i for _, i in parts], [len(found) for found, _ in parts])
        return docs, owners


class TermAtATime:
    """Scores queries against one Whoosh searcher; keeps its field lengths between queries."""

    def __init__(self, searcher: WhooshSearcher) -> None:
        self._searcher = searcher
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise TypeError(f"term-at-a-time scoring needs BM25F, not {type(weighting).__name__}")
        self._weighting = weighting
        self._size = searcher.doc_count_all()
        self._reader = searcher.reader()
        self._segments = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self._norms: dict[tuple[int, str], np.ndarray] = {}  # (segment, field) -> per length byte
        self._lengths: dict[tuple[int, str], np.ndarray] = {}  # (segment, field) -> byte per doc
        self._filters: dict[Node, np.ndarray] = {}
        self._live_pages: np.ndarray | None = None
        self._spare: list[_Scores] = []  # all-zero scores for reuse (see _add_maximum)
        self._idfs: dict[tuple[str, bytes], float] = {}
        self._frequencies: dict[tuple[int, str, bytes], int] = {}  # (segment, field, term)
        # The generation folder, which names this searcher's segments in the postings cache.
        self._folder = str(getattr(getattr(searcher._ix, "storage", None), "folder", id(searcher)))

    def run(
        self, query: Node, filter_query: Node | None, limit: int, allowed: np.ndarray | None = None
    ) -> FirstStage:
        """The top `limit` pages of `query` among those `filter_query` matches and `allowed` holds."""
        leaves: list[_Leaf] = []
        scores = self._score(query, leaves)
        if filter_query is not None:
            scores.hit &= self._allowed(filter_query)
        if allowed is not None:
            scores.hit &= allowed
        return FirstStage(_best(scores, limit), int(np.count_nonzero(scores.hit)), tuple(leaves))

    def matching(self, query: Node) -> np.ndarray:
        """Which pages of the searcher `query` matches (a filter, a facet count)."""
        return self._score(query, []).hit

    def _allowed(self, filter_query: Node) -> np.ndarray:
        if filter_query not in self._filters:
            if len(self._filters) > 64:
                self._filters.clear()
            self._filters[filter_query] = self.matching(filter_query)
        return self._filters[filter_query]

    def _score(self, query: Node, leaves: list[_Leaf]) -> _Scores:
        scores = _Scores(self._size)
        self._add(query, 1.0, scores, leaves)
        return scores

    def _add(self, query: Node, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Add `scale` times the query's scores into `into` (a disjunction sums)."""
        if isinstance(query, Term):
            self._add_term(query.field, query.text, scale * query.boost, into, leaves)
        elif isinstance(query, AnyOf | AllOf | BestOf):
            subs = query.parts
            if not subs:
                return
            if len(subs) == 1:  # Whoosh drops a one-child compound's boost; so do we
                self._add(subs[0], scale, into, leaves)
                return
            scale *= query.boost
            if isinstance(query, AnyOf):
                for sub in subs:
                    self._add(sub, scale, into, leaves)
            elif isinstance(query, AllOf):
                into.add_all(_intersection([self._score(sub, leaves) for sub in subs]), scale)
            else:
                self._add_maximum(subs, scale, into, leaves)
        elif isinstance(query, Phrase):
            self._add_phrase(query, scale * query.boost, into, leaves)
        elif isinstance(query, NoneOf):
            self._add_not(query, scale, into, leaves)
        elif isinstance(query, Excluding):
            excluded = self._score(query.excluded, []).hit
            positive = self._score(query.part, leaves)
            positive.hit &= ~excluded
            into.add_all(positive, scale)
        elif isinstance(query, Fixed):
            self._add_fixed(query, scale, into, leaves)
        elif isinstance(query, Prefix | TermRange):
            self._add_expanded(query, scale, into, leaves)
        elif not isinstance(query, Nothing):
            self._add_matcher(to_whoosh(query), scale, into, leaves)

    def _add_fixed(self, query: Fixed, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Every page the part matches scores the constant (Whoosh's ConstantScoreQuery); the
        page matched all the part's terms, as Whoosh's matcher reports them."""
        docs = np.flatnonzero(self._score(query.part, []).hit)
        into.add(docs, np.full(len(docs), query.score), scale)
        leaves.append(_Leaf(_all_terms(query.part), [(0, docs)]))

    def _add_expanded(
        self, query: Prefix | TermRange, scale: float, into: _Scores, leaves: list[_Leaf]
    ) -> None:
        """The code terms a prefix or range covers, each scored as a term and added up: what
        Whoosh's matcher for it does, one term matcher per covered term in a union."""
        whoosh_query = to_whoosh(query)
        terms = [Term(field, _as_text(text)) for field, text in whoosh_query.expanded_terms(self._reader)]
        scores = self._score(terms[0] if len(terms) == 1 else AnyOf(tuple(terms)), [])
        into.add_all(scores, scale)
        leaves.append(_Leaf((), [(0, np.flatnonzero(scores.hit))]))

    def _add_maximum(self, subs: tuple[Node, ...], scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Add `scale` times each page's best sub-score (a disjunction-max: one per word's
        meanings). Each sub-score is summed in a reused array and read back at the pages it
        matched, and the best kept there: a fresh array per meaning of every word and
        whole-array comparisons were over half the first stage's time at 100,000 pages."""
        best = self._take()
        for sub in subs:
            part = self._take()
            self._add(sub, 1.0, part, leaves)
            docs = np.flatnonzero(part.hit)
            values = part.score[docs]
            self._give_back(part, docs)
            # A page no sub-score reached yet stands at -1 (as _Scores filled with -1 would).
            better = values > np.where(best.hit[docs], best.score[docs], -1.0)
            best.score[docs[better]] = values[better]
            best.hit[docs[better]] = True
        docs = np.flatnonzero(best.hit)
        into.add(docs, best.score[docs], scale)
        self._give_back(best, docs)

    def _take(self) -> _Scores:
        """All-zero scores, reused from an earlier node when one was given back."""
        return self._spare.pop() if self._spare else _Scores(self._size)

    def _give_back(self, scores: _Scores, docs: np.ndarray) -> None:
        """Zero `scores` at `docs`, every page it matched (only `add` writes to reused scores,
        and it marks each page it writes), for reuse."""
        scores.score[docs] = 0.0
        scores.hit[docs] = False
        self._spare.append(scores)

    def _add_term(self, fieldname: str, term: str, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        schema = self._searcher.schema
        if fieldname not in schema:
            return
        fieldtype = schema[fieldname]
        try:
            text = fieldtype.to_bytes(term)
        except ValueError:
            return
        leaf = _Leaf(((fieldname, text),))
        leaves.append(leaf)
        scorable = fieldtype.scorable
        if scorable:
            idf = self._idf(fieldname, text)
            lift = self._weighting.K1 + 1
        for number, (_, offset) in enumerate(self._segments):
            postings = self._decoded(number, fieldname, text)
            if postings is None:
                continue
            docs, weights = postings.docs, postings.weights
            leaf.blocks.append((offset, docs))
            if not scorable:  # an ID field (codes): a posting scores its weight
                into.add(docs + offset, weights, scale)
                continue
            norms = self._length_norms(number, fieldname, docs)
            # whoosh.scoring.bm25, with the length part looked up by length byte
            into.add(docs + offset, idf * ((weights * lift) / (weights + norms)), scale)

    def _add_phrase(self, phrase: wq.Phrase, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Pages where the words stand one after another; each scores its words' BM25F added
        up, as Whoosh's phrase matcher (an intersection of the terms, filtered by position)."""
        fieldname = phrase.field
        schema = self._searcher.schema
        if fieldname not in schema or not schema[fieldname].format.supports("positions"):
            self._add_matcher(to_whoosh(replace(phrase, boost=1.0)), scale, into, leaves)  # boost in scale
            return
        fieldtype = schema[fieldname]
        try:
            texts = [fieldtype.to_bytes(word) for word in phrase.words]
        except ValueError:
            return
        leaf = _Leaf(tuple((fieldname, text) for text in dict.fromkeys(texts)))
        leaves.append(leaf)
        positions = _Positions(
            fieldtype.format.decoder("positions"), isinstance(fieldtype.format, CompactPositions)
        )
        for number, (reader, offset) in enumerate(self._segments):
            frequency = {text: self._frequency(number, fieldname, text) for text in texts}
            if not all(frequency.values()):
                continue
            # The rarest word's pages first; of the others, only the blocks that may hold one
            # of its pages are read (as Whoosh's intersection skips), unless nearly all would be
            # (a block holds up to BLOCK_POSTINGS): then all of it, kept for the next query.
            # Then the pages where the words' positions follow one another.
            order = sorted(range(len(texts)), key=lambda i: frequency[texts[i]])
            read: dict[int, DecodedPostings] = {}
            rarest: list[int] | None = None
            for i in order:
                if rarest is None or len(rarest) * BLOCK_POSTINGS >= frequency[texts[i]]:
                    decoded = self._decoded(number, fieldname, texts[i], positions)
                else:
                    decoded = self._decoded(number, fieldname, texts[i], positions, cached_only=True)
                    if decoded is None:
                        decoded = _decode(reader.postings(fieldname, texts[i]), positions, rarest)
                assert decoded is not None  # every word was checked to be in the segment
                read[i] = decoded
                if rarest is None:
                    rarest = decoded.docs.tolist()
                    if not rarest:  # every page that held it was deleted
                        break
            if not rarest:
                continue
            words = [read[i] for i in range(len(texts))]
            found = _phrase_docs([word.keys for word in words if word.keys is not None])
            rows = [np.searchsorted(word.docs, found) for word in words]
            norms = self._length_norms(number, fieldname, found)
            lift = self._weighting.K1 + 1
            score = np.zeros(len(found))
            for text, word, at in zip(texts, words, rows, strict=True):
                # whoosh.scoring.bm25 of each word, as _add_term computes it
                tf = word.weights[at]
                score += self._idf(fieldname, text) * ((tf * lift) / (tf + norms))
            into.add(found + offset, score, scale)
            leaf.blocks.append((offset, found))

    def _idf(self, fieldname: str, text: bytes) -> float:
        """Whoosh's idf of a term, looked up in the term tables once per searcher."""
        key = (fieldname, text)
        found = self._idfs.get(key)
        if found is None:
            if len(self._idfs) > _IDF_CACHE:
                self._idfs.clear()
            found = self._idfs[key] = self._searcher.idf(fieldname, text)
        return found

    def _frequency(self, segment: int, fieldname: str, text: bytes) -> int:
        """How many pages of one segment hold a term (deleted ones counted; 0: none), from the
        term table once per searcher: a phrase asks of every word in every field."""
        key = (segment, fieldname, text)
        found = self._frequencies.get(key)
        if found is None:
            if len(self._frequencies) > _IDF_CACHE:
                self._frequencies.clear()
            reader = self._segments[segment][0]
            present = (fieldname, text) in reader
            found = self._frequencies[key] = reader.doc_frequency(fieldname, text) if present else 0
        return found

    def _decoded(
        self,
        segment: int,
        fieldname: str,
        text: bytes,
        positions: _Positions | None = None,
        cached_only: bool = False,
    ) -> DecodedPostings | None:
        """A term's live postings in one segment (None when it has none there, or with
        `cached_only`, when they are not kept), from the process's cache when a query decoded
        them before (index/engine/posting_cache.py)."""
        reader = self._segments[segment][0]
        key = (self._folder, reader._segid, fieldname, text)
        found = POSTINGS.get(key, positions is not None)
        if found is not None or cached_only:
            return found
        if not self._frequency(segment, fieldname, text):
            return None
        found = _decode(reader.postings(fieldname, text), positions)
        POSTINGS.put(key, found)
        return found

    def _add_not(self, query: NoneOf, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Every live page the negated query does not match, scoring 1 (Whoosh's InverseMatcher;
        walking it took 0.7 s for "-fracture" at 100,000 pages). Such a page matched no term."""
        excluded = self._score(query.part, []).hit
        docs = np.flatnonzero(self._live() & ~excluded)
        into.add(docs, np.ones(len(docs)), scale)
        leaves.append(_Leaf((), [(0, docs)]))

    def _live(self) -> np.ndarray:
        """Which pages of the searcher are not deleted."""
        if self._live_pages is None:
            self._live_pages = np.ones(self._size, dtype=bool)
            for reader, offset in self._segments:
                if reader.has_deletions():
                    self._live_pages[[offset + doc for doc in reader.deleted_docs_set]] = False
        return self._live_pages

    def _add_matcher(self, query: wq.Query, scale: float, into: _Scores, leaves: list[_Leaf]) -> None:
        """Any other node: its own Whoosh matcher, one segment at a time (as a collector runs)."""
        leaf = _Leaf(tuple((f, _as_bytes(t)) for f, t in query.iter_all_terms()))
        leaves.append(leaf)
        context = self._searcher.context()
        for searcher, offset in self._searcher.leaf_searchers():
            matcher = query.matcher(searcher, context)
            docs, scores = [], []
            while matcher.is_active():
                docs.append(matcher.id())
                scores.append(matcher.score())
                matcher.next()
            found = np.array(docs, dtype=np.int64)
            into.add(found + offset, np.array(scores, dtype=float), scale)
            leaf.blocks.append((offset, found))

    def _length_norms(self, segment: int, fieldname: str, docs: np.ndarray) -> np.ndarray:
        """The length part of BM25F for each of `docs` (segment document numbers)."""
        return self._norm_table(segment, fieldname)[self._length_bytes(segment, fieldname)[docs]]

    def _norm_table(self, segment: int, fieldname: str) -> np.ndarray:
        """K1 * ((1 - B) + B * length / average length), for each of the 256 length bytes."""
        key = (segment, fieldname)
        if key not in self._norms:
            w = self._weighting
            b = w._field_B.get(fieldname, w.B)
            avgfl = self._searcher.avg_field_length(fieldname) or 1
            norms = [w.K1 * ((1 - b) + b * (byte_to_length(lb) or 0) / avgfl) for lb in range(256)]
            self._norms[key] = np.array(norms)
        return self._norms[key]

    def _length_bytes(self, segment: int, fieldname: str) -> np.ndarray:
        key = (segment, fieldname)
        if key not in self._lengths:
            perdoc = self._segments[segment][0]._perdoc  # a SegmentReader's W3PerDocReader
            found = field_length_bytes(perdoc, fieldname)
            found = found if found is not None else bytes(perdoc.doc_count_all())
            self._lengths[key] = np.frombuffer(found, dtype=np.uint8)
        return self._lengths[key]


def term_docs(searcher: WhooshSearcher, fieldname: str, text: str, limit: int | None = None) -> np.ndarray:
    """The pages of the searcher that hold a term, deleted ones left out, in order: what
    `searcher.docs_for_query(Term(fieldname, text))` yields, read a block at a time rather than
    one document at a time (a title word of 30,000 pages took milliseconds that way). With
    `limit`, the first `limit` pages only, and no block after them is read (a suggestion reads a
    few pages of a word that 70,000 name)."""
    if fieldname not in searcher.schema:
        return np.zeros(0, dtype=np.int64)
    try:
        encoded = searcher.schema[fieldname].to_bytes(text)
    except ValueError:
        return np.zeros(0, dtype=np.int64)
    found = [np.zeros(0, dtype=np.int64)]
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        if (fieldname, encoded) not in reader:
            continue
        if limit is None:
            found.append(_decode(reader.postings(fieldname, encoded), None).docs + offset)
            continue
        blocks = _posting_blocks(reader.postings(fieldname, encoded))
        wanted = limit - sum(len(docs) for docs in found)
        first = np.fromiter(islice(chain.from_iterable(b[0] for b in blocks), wanted), dtype=np.int64)
        found.append(first + offset)
        if len(first) == wanted:
            break
    return np.concatenate(found)


@dataclass(frozen=True)
class _Positions:
    """How a field's postings encode positions: the format's decoder, and whether it is
    CompactPositions (varint deltas, nearly all one byte: decoded for all postings at once)."""

    decode: Any
    compact: bool


def _decode(matcher: Any, positions: _Positions | None, within: list[int] | None = None) -> DecodedPostings:
    """A term's live postings, read from its matcher's blocks (with `within`, see _raw_blocks),
    with their positions when asked. Deleted pages are dropped from the whole list at once: a
    reindex's changed pages are spread over the segment until a merge, a few in nearly every
    block."""
    deleted: set[int] | frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):
        deleted, matcher = matcher._ids, matcher.child
    blocks = list(_raw_blocks(matcher, positions is not None, within))
    docs, weights = _postings(blocks)
    values = tuple(chain.from_iterable(block[2] for block in blocks)) if positions is not None else ()
    if deleted:
        keep = ~np.isin(docs, np.fromiter(deleted, dtype=np.int64, count=len(deleted)))
        if not keep.all():
            docs, weights = docs[keep], weights[keep]
            values = tuple(compress(values, keep.tolist()))
    if positions is None:
        return DecodedPostings(docs, weights)
    return DecodedPostings(docs, weights, _position_keys(docs, values, positions))


def _postings(blocks: Iterable[tuple[Sequence[Any], ...]]) -> tuple[np.ndarray, np.ndarray]:
    """The document numbers and weights of a term's posting blocks, each as one array."""
    blocks = list(blocks)
    docs = np.fromiter(chain.from_iterable(b[0] for b in blocks), dtype=np.int64)
    weights = np.fromiter(chain.from_iterable(b[1] for b in blocks), dtype=float, count=len(docs))
    return docs, weights


def _posting_blocks(matcher: Any) -> Iterable[tuple[Sequence[Any], ...]]:
    """A term's postings as (document numbers, weights) per block, deleted documents left out
    block by block, for a reader of the first few blocks only (term_docs with a limit)."""
    deleted: list[int] = []
    if isinstance(matcher, FilterMatcher):
        deleted, matcher = sorted(matcher._ids), matcher.child
    for block in _raw_blocks(matcher, False, None):
        yield _without(block, deleted) if deleted else block


def _raw_blocks(matcher: Any, values: bool, within: list[int] | None) -> Iterable[tuple[Sequence[Any], ...]]:
    """A term's postings as (document numbers, weights[, encoded values]) per block, deleted
    ones included; with `within` (sorted document numbers), only the blocks whose range of
    documents holds one of them (others may be left out too)."""
    if isinstance(matcher, W3LeafMatcher):
        yield from _leaf_blocks(matcher, values, within)
        return
    rows = []  # postings kept in the term's own entry: a handful, read one by one
    while matcher.is_active():
        row = (matcher.id(), matcher.weight())
        rows.append((*row, matcher.value()) if values else row)
        matcher.next()
    if rows:
        yield tuple(zip(*rows, strict=True))


def _without(block: tuple[Sequence[Any], ...], deleted: list[int]) -> tuple[Sequence[Any], ...]:
    """The block's rows whose document is not one of `deleted` (sorted); a block whose range
    holds none of them is kept as it is after one bisection."""
    ids = block[0]
    if not len(ids):
        return block
    at = bisect_left(deleted, ids[0])
    if at == len(deleted) or deleted[at] > ids[-1]:
        return block
    gone = set(deleted[at : bisect_right(deleted, ids[-1])])
    keep = [doc not in gone for doc in ids]
    return tuple(list(compress(column, keep)) for column in block)


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
        ids = raw if matcher._byteids else tuple(accumulate(raw))
        # W3LeafMatcher._read_weights, which makes a block of equal weights one by one
        weights = matcher._data[1]
        if weights is None or isinstance(weights, float):
            weights = (1.0 if weights is None else weights,) * len(ids)
        if values:
            matcher._read_values()
            yield ids, weights, matcher._values
        else:
            yield ids, weights
        matcher._next_block()


def _position_keys(docs: np.ndarray, values: Sequence[bytes], positions: _Positions) -> np.ndarray:
    """Every position of a word as `(document << 32) + position`, sorted, from each posting's
    encoded positions. CompactPositions values whose deltas are each one byte (nearly all) are
    decoded all at once, a word's bytes added up per page; others one by one."""
    count = len(values)
    by_one: list[int] = list(range(count))
    keys = np.zeros(0, dtype=np.int64)
    if positions.compact and count:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=count)
        deltas = np.frombuffer(b"".join(values), dtype=np.uint8)
        rows = np.repeat(np.arange(count), lengths)
        running = np.cumsum(deltas, dtype=np.int64)
        before = np.concatenate(([0], running))[np.cumsum(lengths) - lengths]
        keys = (docs[rows] << 32) + running - np.repeat(before, lengths)
        long = rows[deltas >= 0x80]  # a delta of more than one byte
        by_one = np.unique(long).tolist()
        if not by_one:
            return keys
        keys = keys[~np.isin(rows, long)]
    extra = [(int(docs[row]) << 32) + at for row in by_one for at in positions.decode(values[row])]
    return np.sort(np.concatenate((keys, np.array(extra, dtype=np.int64))))


def _phrase_docs(keys: list[np.ndarray]) -> np.ndarray:
    """The documents (ascending) where the words stand one after another, from each word's
    position keys: the rarest word's positions are the anchors, and each other word is looked
    up at its place before or after them."""
    anchor = min(range(len(keys)), key=lambda i: len(keys[i]))
    starts = keys[anchor] - anchor  # where the phrase would begin; before a page's start if negative
    follows = np.ones(len(starts), dtype=bool)
    for i, word in enumerate(keys):
        if i != anchor:
            follows &= _contains(word, starts + i)
    return np.unique(keys[anchor][follows] >> 32)


def _in_a_row_each(values: list[list[bytes]], positions_of: Any, compact: bool) -> np.ndarray:
    """Per page (the i-th value of each word), whether the words stand one after another."""
    pages = np.arange(len(values[0]), dtype=np.int64)
    positions = _Positions(positions_of, compact)
    found = _phrase_docs([_position_keys(pages, word, positions) for word in values])
    return np.isin(pages, found)


def _contains(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of `wanted`, whether it is one of `sorted_values`."""
    if not len(sorted_values):
        return np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, wanted), len(sorted_values) - 1)
    return sorted_values[at] == wanted


def _in_a_row(positions: list[list[int]]) -> bool:
    """True when some position p of the first word has the i-th word at p + i."""
    rest = [set(where) for where in positions[1:]]
    return any(all(p + i in where for i, where in enumerate(rest, start=1)) for p in positions[0])


def _best(scores: _Scores, limit: int) -> list[tuple[int, float]]:
    """The `limit` best (page, score) pairs, best first, ties to the lower page number (as
    Whoosh's collector); the cut-off score is found by a partial sort first."""
    docs = np.flatnonzero(scores.hit)
    values = scores.score[docs]
    if 0 < limit < len(docs):
        threshold = np.partition(values, len(values) - limit)[len(values) - limit]
        keep = values >= threshold
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:limit]
    return list(zip(docs[order].tolist(), values[order].tolist(), strict=True))


def _as_bytes(text: object) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


def _as_text(text: object) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def _all_terms(query: Node) -> tuple[MatchedTerm, ...]:
    """The (field, term) pairs of a node, in order, as Whoosh's `iter_all_terms` lists them."""
    return tuple((field, _as_bytes(text)) for field, text in to_whoosh(query).iter_all_terms())


def _intersection(parts: list[_Scores]) -> _Scores:
    """Pages every part matched, scored by the smallest part's score plus the others' sum."""
    parts.sort(key=lambda part: int(np.count_nonzero(part.hit)))
    first, rest = parts[0], parts[1:]
    for part in rest:
        first.hit &= part.hit
    if rest:
        others = np.zeros(len(first.score))
        for part in rest:
            others += part.score
        first.score += others
    return first


__all__ = ["FirstStage", "TermAtATime", "term_docs"]
