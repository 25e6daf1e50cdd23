"""Run queries against the live index and turn Whoosh hits into Hit records with snippets."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.query import Or

from index.reader import LiveIndex, open_live
from index.schema import (
    CODE,
    FIELD_WEIGHTS,
    KEY,
    RECORD,
    SECTION_FIELDS,
    TITLE,
    decode_record,
    field_for_section,
    names_text,
)
from index.store import current_generation
from pipeline.records import CodePage
from queries.parse import parse_query
from queries.plan import CODE_BOOST, Plan, plan_query
from queries.rerank import DEPTH, features
from queries.snippets import Snippet, make_snippet
from queries.vocabulary import Vocabulary

log = logging.getLogger(__name__)

# Whoosh 2.7 picks ArrayUnionMatcher for Or on indexes of <= 5,000 documents, and its top 10
# is wrong for about a quarter of multi-field queries (measured; see tests/test_ranking.py).
Or.matcher_type = Or.DEFAULT_MATCHER

DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class Hit:
    """One search result, ready to print or serialize."""

    code: str
    system: str
    title: str
    score: float
    section: str  # the section the snippet comes from
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    url: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "system": self.system,
            "title": self.title,
            "score": round(self.score, 4),
            "section": self.section,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
            "url": self.url,
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    notices: tuple[str, ...] = ()


class Searcher:
    """A searcher kept open across queries (opening one is the costly part of a search).

    >>> with Searcher(Path("medcodes-index")) as searcher:
    ...     result = searcher.search("leukemia infusion")
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._live: LiveIndex = open_live(index_dir)
        self._searcher = self._live.ix.searcher()
        self._vocabulary: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        """The index's words, read on first need (a code lookup never needs them)."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(self._searcher.reader())
        return self._vocabulary

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._live.ix.close()

    def refresh(self) -> bool:
        """Switch to a newer published generation if there is one; True when it switched."""
        if current_generation(self.index_dir).path == self._live.generation.path:
            return False
        old = (self._live, self._searcher)
        self._live = open_live(self.index_dir)
        self._searcher = self._live.ix.searcher()
        self._vocabulary = None
        old[1].close()
        old[0].ix.close()
        return True

    def search(
        self,
        text: str,
        *,
        systems: tuple[str, ...] = (),
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> SearchResult:
        """Parse, plan and run one query. Raises QuerySyntaxError for an empty query."""
        started = time.perf_counter()
        parsed = parse_query(text)
        plan = plan_query(parsed, systems, self.vocabulary)
        wanted = offset + limit
        if plan.code_order:
            ranked, total = self._listing(plan, wanted)
        else:
            ranked, total = self._ranked(plan, wanted)
        hits = tuple(
            self._hit(hit, score, scored=not plan.code_order) for hit, score in ranked[offset:wanted]
        )
        took = (time.perf_counter() - started) * 1000
        return SearchResult(text, hits, total, took, parsed.notices)

    def _ranked(self, plan: Plan, wanted: int) -> tuple[list[tuple[Any, float]], int]:
        """BM25F over the fields, then the top DEPTH re-ranked by how well their names fit."""
        results = self._searcher.search(plan.query, filter=plan.filter, limit=max(wanted, DEPTH), terms=True)
        hits = list(results)
        if not plan.concepts or not hits:
            return [(hit, float(hit.score or 0.0)) for hit in hits], len(results)
        text_scores = [
            (hit.score or 0.0) % CODE_BOOST if hit.score >= CODE_BOOST else hit.score or 0.0 for hit in hits
        ]
        top = max(text_scores) or 1.0
        scored = []
        for hit, text_score in zip(hits, text_scores, strict=True):
            page = decode_record(hit[RECORD])
            feats = features(page, names_text(page), plan.concepts, text_score / top, self.vocabulary)
            code_bonus = CODE_BOOST if (hit.score or 0.0) >= CODE_BOOST else 0.0
            scored.append((hit, code_bonus + feats.score()))
        scored.sort(key=lambda pair: (-pair[1], pair[0][KEY]))
        return scored, len(results)

    def _listing(self, plan: Plan, wanted: int) -> tuple[list[tuple[Any, float]], int]:
        """Codes typed in full first, then everything the stems, prefixes and ranges cover, in code order."""
        first = []
        if plan.exact_codes is not None:
            first = list(
                self._searcher.search(plan.exact_codes, filter=plan.filter, limit=wanted, sortedby=KEY)
            )
        seen = {hit[KEY] for hit in first}
        results = self._searcher.search(
            plan.query, filter=plan.filter, limit=wanted + len(first), sortedby=KEY
        )
        listed = first + [hit for hit in results if hit[KEY] not in seen]
        return [(hit, 0.0) for hit in listed], max(len(results), len(first))

    def page(self, key: str) -> CodePage | None:
        fields = self._searcher.document(**{KEY: key})
        return decode_record(fields[RECORD]) if fields else None

    def _hit(self, hit, score: float, scored: bool) -> Hit:
        page = decode_record(hit[RECORD])
        matched: dict[str, set[str]] = {}
        for fieldname, term in hit.matched_terms() if hit.results.has_matched_terms() else ():
            matched.setdefault(fieldname, set()).add(
                term.decode("utf-8") if isinstance(term, bytes) else term
            )
        section, snippet = _best_snippet(page, matched)
        return Hit(
            code=page.code,
            system=page.system,
            title=page.title,
            score=score if scored else 0.0,
            section=section,
            snippet=snippet.text,
            highlights=snippet.spans,
            url=page.url,
        )


def search(index_dir: Path, text: str, **options: object) -> SearchResult:
    """One-off search: opens the index, runs `text`, closes it."""
    with Searcher(index_dir) as searcher:
        return searcher.search(text, **options)  # type: ignore[arg-type]


def _best_snippet(page: CodePage, matched: dict[str, set[str]]) -> tuple[str, Snippet]:
    """The section with the most distinct matched terms (ties: the heavier field) and its passage."""
    best: tuple[tuple[int, float], str, frozenset[str]] | None = None
    for section in page.sections:
        terms = frozenset(matched.get(field_for_section(section.name), ()))
        if not terms:
            continue
        rank = (len(terms), FIELD_WEIGHTS.get(field_for_section(section.name), 1.0))
        if best is None or rank > best[0]:
            best = (rank, section.name, terms)
    if best is None:
        fallback = page.section("summary") or (page.sections[0] if page.sections else None)
        if fallback is None:
            return "", Snippet("", ())
        return fallback.name, make_snippet(fallback.text, frozenset(matched.get(TITLE, ())))
    _, name, terms = best
    section = page.section(name)
    assert section is not None
    return name, make_snippet(section.text, terms)


__all__ = ["CODE", "DEFAULT_LIMIT", "SECTION_FIELDS", "Hit", "SearchResult", "Searcher", "search"]
