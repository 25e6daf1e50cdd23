"""Run queries against the live index and turn the pages found into Hit records with snippets."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from medcodes.errors import MedcodesError
from medcodes.index.codeset_rows import KeyedCodeTable
from medcodes.index.codesets import LOAD_HINT, NoCodeSetError, code_set_lookups
from medcodes.index.engine.scoring import FirstStage
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.fields import (
    CODE,
    FIELD_WEIGHTS,
    KEY,
    RECORD,
    SECTION_FIELDS,
    SYSTEM,
    TITLE,
    field_for_section,
    names_text,
)
from medcodes.index.reader import LiveIndex, find_pages, open_live
from medcodes.index.record_codec import decode_head, decode_record
from medcodes.index.store import IndexPath, current_generation
from medcodes.index.titles import TitleSearcher
from medcodes.pipeline.codes import normalize_code, parse_systems
from medcodes.pipeline.records import CodePage
from medcodes.queries.codesets.status import IN_FORCE, STATUSES, CodeStatus, CodeStatuses
from medcodes.queries.codesets.titles import held, naming_strength, place_titles
from medcodes.queries.completion_tables import CompletionTables, tables_for
from medcodes.queries.completions import DEFAULT_SUGGESTIONS, MAX_PAGES_READ, Completion, complete
from medcodes.queries.expand.concepts import EXACT
from medcodes.queries.expand.vocabulary import Vocabulary
from medcodes.queries.icd10cm.classification import Classification
from medcodes.queries.parse.code_tokens import codes_as_words, typed_codes, unknown_code_notice
from medcodes.queries.parse.syntax import ParsedQuery, QuerySyntaxError, parse_query
from medcodes.queries.plan.query_plan import CODE_BOOST, Plan, is_code_listing, plan_query
from medcodes.queries.present.snippets import Snippet, make_snippet
from medcodes.queries.present.suggest import suggest, unmatched_notices
from medcodes.queries.rerank.candidate import Candidate
from medcodes.queries.rerank.features import DEPTH, WEIGHTS, Features, RankingWeights, features
from medcodes.queries.rerank.system_evidence import SystemEvidence, query_terms

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
# search_many answers this many texts itself before it forks workers for the rest of a batch.
# Starting and stopping two workers costs about 16 ms on the 106k-page evaluation index, about
# one query of the dev sets (bench/batch_throughput.py): past 8 lines the pool gains on any batch
# of word queries, and a batch of code lookups (1-2 ms each) loses those few ms at most.
POOL_AFTER = 8
# Heads of candidates: the candidates of related queries overlap.
_CANDIDATE_CACHE = 8192


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
    explanation: dict[str, Any] | None = None  # with explain=True: matched fields, score parts
    # From the loaded code sets (medcodes.queries.codesets.status), on the search's date:
    # billable None when no code set lists the code.
    billable: bool | None = None
    status: str = ""
    no_page: bool = False  # a code of a loaded code set with no scraped page: its official descriptor

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "code": self.code,
            "system": self.system,
            "title": self.title,
            "score": round(self.score, 4),
            "section": self.section,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
            "url": self.url,
            "billable": self.billable,
            "status": self.status,
            "no_page": self.no_page,
        }
        if self.explanation is not None:
            data["explain"] = self.explanation
        return data


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    notices: tuple[str, ...] = ()
    suggestion: str | None = None  # "Did you mean …", when words were corrected or little was found
    facets: dict[str, int] | None = None  # with facets=True: matching pages per code system
    error: str | None = None  # in a batch, why this line could not be searched
    offset: int = 0  # hits[0] is the (offset + 1)-th match of `total`
    status_facets: dict[str, int] | None = None  # with facets=True: matching pages per code status

    def to_dict(self) -> dict[str, object]:
        """The one JSON shape of a query's answer: {"query", "hits", "took_ms", "total", "offset",
        "did_you_mean", "notices", "facets", "status_facets"} always, and "error" for a batch
        line that failed (`search --json`, each line of `search --queries --json`, the server's
        /search)."""
        data: dict[str, object] = {
            "query": self.query,
            "hits": [hit.to_dict() for hit in self.hits],
            "took_ms": round(self.took_ms, 2),
            "total": self.total,
            "offset": self.offset,
        }
        # Always present (empty or null when there is nothing to say): one shape for every reader.
        data.update({"did_you_mean": self.suggestion, "notices": list(self.notices), "facets": self.facets})
        data["status_facets"] = self.status_facets
        if self.error is not None:
            data["error"] = self.error
        return data


class Searcher:
    """A searcher kept open across queries (opening one is the costly part of a search).

    >>> with Searcher("medcodes-index") as searcher:
    ...     result = searcher.search("leukemia infusion")

    `weights`: the ranking's weights and switches (medcodes.RankingWeights; the defaults are
    the tuned ones).
    """

    def __init__(self, index_dir: IndexPath, *, weights: RankingWeights = WEIGHTS) -> None:
        self.index_dir = Path(index_dir)
        self.weights = weights
        self._open()

    def _open(self) -> None:
        """Open the published generation, with nothing read from it yet."""
        self._live: LiveIndex = open_live(self.index_dir)
        self._searcher = IndexSearcher(self._live.ix, self._live.generation.path)
        self._vocabulary: Vocabulary | None = None
        self._head_cache: dict[int, CodePage] = {}  # docnum -> head
        self._classification = Classification(self._head_of_key, parents=self.weights.parent_categories)
        self._system_evidence: SystemEvidence | None = None  # read on first need
        self._statuses: CodeStatuses | None = None  # the generation's code sets, read on first need
        self._status_classes: dict[date, np.ndarray] = {}  # day -> per page, its _CLASSES index
        self._titles: TitleSearcher | None = None  # the code sets' title documents, opened on first need
        self._titles_opened = False
        self._no_page_titles: dict[tuple[str, ...], np.ndarray] = {}  # systems -> titles of no page
        self._completion_tables: CompletionTables | None = None  # shared with this generation's others

    @property
    def statuses(self) -> CodeStatuses:
        """The code sets of the generation this searcher reads (empty when none was loaded)."""
        if self._statuses is None:
            table = code_set_lookups(self._live.generation)  # only the rows looked up are read
            self._statuses = CodeStatuses(table, table.releases)
        return self._statuses

    def code_status(self, system: str, code: str, day: date | None = None) -> CodeStatus:
        """A code's status on `day` (today) by the loaded code sets."""
        return self.statuses.of(system, code, day)

    @property
    def vocabulary(self) -> Vocabulary:
        """The index's words, read on first need (a code lookup never needs them)."""
        if self._vocabulary is None:
            path, searcher = self._live.generation.path, self._searcher
            self._vocabulary = Vocabulary(searcher, lambda: searcher.naming_words(path))
        return self._vocabulary

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._live.ix.close()
        self._close_side_files(self._titles, self._statuses)

    @staticmethod
    def _close_side_files(titles: TitleSearcher | None, statuses: CodeStatuses | None) -> None:
        if titles is not None:
            titles.close()
        if statuses is not None and isinstance(statuses.table, KeyedCodeTable):
            statuses.table.close()

    def refresh(self) -> bool:
        """Switch to a newer published generation if there is one; True when it switched."""
        if current_generation(self.index_dir).path == self._live.generation.path:
            return False
        old_live, old_searcher, old_titles, old_statuses = (
            self._live,
            self._searcher,
            self._titles,
            self._statuses,
        )
        self._open()
        old_searcher.close()
        old_live.ix.close()
        self._close_side_files(old_titles, old_statuses)
        return True

    def search(
        self,
        text: str,
        *,
        systems: str | Iterable[str] = (),
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        explain: bool = False,
        facets: bool = False,
        billable: bool = False,
        active_on: date | None = None,
    ) -> SearchResult:
        """Parse, plan and run one query. Raises QuerySyntaxError for an empty query.

        `explain` adds each hit's matched fields and score parts; `facets` counts the matching
        pages per code system and per code status (a full count, so it costs a scan of every
        match). `billable` keeps pages of codes billable on `active_on` (default today);
        `active_on` keeps pages of codes in force that day (medcodes.queries.codesets.status).
        """
        started = time.perf_counter()
        if (billable or active_on is not None) and not self.statuses:
            # Without a code set no page is billable or in force: say so, not "no pages match".
            raise NoCodeSetError(f"--billable and --active-on need a code set: {LOAD_HINT}")
        day = active_on or date.today()
        wanted_classes = _wanted_classes(billable, active_on is not None)
        systems = parse_systems(systems)  # "cpt4", "hcpcs,cpt": any name a user types
        typed = parse_query(text)
        parsed, not_codes = codes_as_words(typed, self._first_code)
        # Codes typed in full that have no page but a code-set entry: found all the same.
        no_page = self._no_page_hits(typed_codes(typed.root), systems or parsed.systems, day, wanted_classes)
        as_words = not_codes  # every code-shaped token searched as a word
        not_codes = tuple(token for token in not_codes if token not in {token for token, _ in no_page})
        no_page_hits = tuple(hit for _, hit in no_page) if offset == 0 else ()
        no_page_notices = tuple(
            f"{hit.code} has no page: its official descriptor is shown" for hit in no_page_hits
        )
        if self._searcher.doc_count() == 0:  # idf is undefined without documents
            notices = (
                *parsed.notices,
                *no_page_notices,
                "the index holds 0 pages: medcodes ingest adds them",
            )
            took = (time.perf_counter() - started) * 1000
            return SearchResult(text, no_page_hits, len(no_page), took, notices, offset=offset)
        # A code listing reads no words: the vocabulary is not even loaded for it.
        plan = self._plan(parsed, systems, None if is_code_listing(parsed) else self.vocabulary)
        wanted = offset + limit
        listed: dict[str, int] | None = None
        tally: Counter[int] | None = Counter() if facets else None
        titles: tuple[FirstStage, np.ndarray] | None = None
        title_terms: frozenset[str] = frozenset()  # the query terms the best titles hold
        if plan.code_order:
            ranked, listed = self._listing(plan, wanted, day, wanted_classes, tally)
            total = sum(listed.values())
            allowed = None
        else:
            classes = self._classes(day) if wanted_classes is not None or facets else None
            allowed = None
            if classes is not None and wanted_classes is not None:
                allowed = np.isin(classes, wanted_classes)
            if classes is not None and tally is not None:
                tally = self._status_facets(plan, classes, allowed)
            stage = self._searcher.run(plan.query, plan.filter, max(wanted, DEPTH), allowed)
            ranked, total = self._ranked(plan, stage), stage.total
            skip = frozenset(f"{hit.system}:{hit.code}" for _, hit in no_page)
            titles = self._title_stage(plan, systems or parsed.systems, skip, day, wanted_classes, wanted)
            if titles is not None:
                title_stage, title_allowed = titles
                ranked = self._with_titles(ranked, plan, stage, title_stage, max(wanted, DEPTH))
                total += title_stage.total
                found = title_stage.matched_terms([docnum for docnum, _ in title_stage.top])
                title_terms = _found_terms(tuple(pair for terms in found for pair in terms))
        shown = ranked[offset:wanted]
        if not plan.code_order:
            shown = [
                entry if entry.no_page else replace(entry, matched=terms)
                for entry, terms in zip(shown, self._matched(stage, shown), strict=True)
            ]
        hits = tuple(self._hit(entry, plan, explain, day) for entry in shown)
        counts = (listed if listed is not None else self._facets(plan, allowed)) if facets else None
        if titles is not None and (counts is not None or tally is not None):
            self._title_facets(plan, title_allowed, day, counts, tally)
        status_counts = _by_status(tally) if tally is not None else None
        hits = (*no_page_hits, *hits)[:limit]
        total += len(no_page)
        for _, hit in no_page:
            if counts is not None:
                counts[hit.system] = counts.get(hit.system, 0) + 1
            if status_counts is not None:
                status_counts[hit.status] = status_counts.get(hit.status, 0) + 1
        took = (time.perf_counter() - started) * 1000
        suggestion = suggest(text, plan.concepts, total)
        notices = (
            *parsed.notices,
            *no_page_notices,
            *(unknown_code_notice(token) for token in not_codes),
            *unmatched_notices(
                tuple(c for c in plan.concepts if c.typed not in as_words and not held(c, title_terms)),
                self._vocabulary,
            ),
        )
        return SearchResult(
            text, hits, total, took, notices, suggestion, counts, offset=offset, status_facets=status_counts
        )

    def search_many(
        self,
        texts: Iterable[str],
        *,
        systems: str | Iterable[str] = (),
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        explain: bool = False,
        facets: bool = False,
        billable: bool = False,
        active_on: date | None = None,
        workers: int | None = None,
    ) -> Generator[SearchResult, None, None]:
        """One result per text, in order, each as soon as it and every one before it are found
        (`search --queries`).

        A text that is no usable query is answered by a result with `error` set and no hits,
        and the batch goes on: the n-th result always answers the n-th text. So is a text that
        meets a defect (logged with its traceback); a broken index or bad options end the batch.

        `workers`: searcher processes forked from this one (queries/batch_pool.py), each
        answering from this searcher's generation even if a reindex publishes another meanwhile.
        None: the first POOL_AFTER texts are answered here, and a batch that goes on is spread
        over one process per core; 1 (and wherever processes cannot be forked): all in this one.

        >>> [r.error or r.hits[0].code for r in searcher.search_many(["C9028", ""])]
        ['C9028', 'nothing to search for: give a word, a phrase or a code']
        """
        options: dict[str, Any] = {
            "systems": systems,
            "limit": limit,
            "offset": offset,
            "explain": explain,
            "facets": facets,
            "billable": billable,
            "active_on": active_on,
        }
        # Process pools (multiprocessing) are imported by a batch only, not by every search.
        from medcodes.queries.batch_pool import answer_in_workers, available_cores, can_fork

        pending = iter(texts)
        if workers is None:
            for text in islice(pending, POOL_AFTER):
                yield self._answer(text, options)
            rest = next(pending, None)  # after the answers: a pipe's next line may not be written yet
            if rest is None:
                return
            pending = chain([rest], pending)
            workers = available_cores()
        if workers <= 1 or not can_fork():
            for text in pending:
                yield self._answer(text, options)
            return
        self._read_ahead()  # once here, not once per worker
        yield from answer_in_workers(partial(self._answer, options=options), pending, workers)

    def _answer(self, text: str, options: dict[str, Any]) -> SearchResult:
        """One text of a batch: its result, or a result with `error` when the text (not the index
        or the options, which raise MedcodesError) is the problem."""
        try:
            return self.search(text, **options)
        except QuerySyntaxError as err:
            return SearchResult(text, (), 0, 0.0, error=str(err), offset=options["offset"])
        except MedcodesError:
            raise  # the index or the options, not this text: every later text would fail too
        except Exception as err:  # a defect met by one text must not cost the rest of the batch
            log.exception("query %r failed", text)
            error = f"internal error on this query ({type(err).__name__}); it is logged"
            return SearchResult(text, (), 0, 0.0, error=error, offset=options["offset"])

    def _read_ahead(self) -> None:
        """Read what queries read lazily from the generation's files, before workers are forked:
        they share it, and need no file of a generation a reindex may since have removed."""
        _ = self.statuses
        if self._searcher.doc_count() > 0:
            _ = self.vocabulary
            if self._system_evidence is None:
                self._system_evidence = SystemEvidence(self._searcher)

    def suggest(
        self, text: str, *, systems: tuple[str, ...] = (), limit: int = DEFAULT_SUGGESTIONS
    ) -> list[Completion]:
        """As-you-type completions of a partial query: code prefixes, then pages named with a
        completion of the last word (queries/completions.py); no ranking, a few lexicon walks.

        >>> [c.code for c in searcher.suggest("J92", limit=2)]
        ['J9229', 'J9271']
        """
        if self._completion_tables is None:
            live = self._live
            identity = json.dumps([live.meta.get("created"), live.meta.get("files")], sort_keys=True)
            self._completion_tables = tables_for(live.generation.path, identity, MAX_PAGES_READ)
        tables = self._completion_tables
        return complete(self._searcher, lambda: self.vocabulary, self._head, text, systems, limit, tables)

    def find_pages(self, code: str, system: str | None = None) -> list[CodePage]:
        """Every page whose code is `code` (any form), optionally within `system`, in key order."""
        return find_pages(self._live.ix, code, system)

    def similar_codes(self, code: str, limit: int = 5) -> list[str]:
        """Codes of the index that share the longest beginning with `code` (for "did you mean")."""
        form = code.lower()
        for length in range(len(form), 0, -1):
            found: list[str] = []
            for term in self._searcher.terms_with_prefix(CODE, form[:length]):
                if "." in form or "." not in term:
                    found.append(term.upper())
                if len(found) >= limit:
                    break
            if found:
                return found
        return []

    @property
    def generation(self) -> str:
        """The name of the published generation this searcher reads."""
        return self._live.generation.path.name

    @property
    def meta(self) -> dict[str, Any]:
        """The metadata of the generation this searcher reads (pages, per system, updated)."""
        return self._live.meta

    def candidates(
        self, text: str, systems: tuple[str, ...] = (), limit: int = DEPTH
    ) -> list[tuple[str, float]]:
        """The first stage alone: (key, BM25F score) of the best `limit` pages, best first."""
        plan = self._plan(parse_query(text), systems, self.vocabulary)
        key = self._searcher.key
        return [(key(docnum), score) for docnum, score in self._first_stage(plan, limit).top]

    def _plan(self, parsed: ParsedQuery, systems: tuple[str, ...], vocabulary: Vocabulary | None) -> Plan:
        return plan_query(
            parsed,
            systems,
            vocabulary,
            expansions=self.weights.expansions,
            common_share=self.weights.common_share,
        )

    def _first_stage(self, plan: Plan, limit: int) -> FirstStage:
        return self._searcher.run(plan.query, plan.filter, limit)

    def _ranked(self, plan: Plan, stage: FirstStage) -> list[_Ranked]:
        """BM25F over the fields, then the top DEPTH re-ranked by how well their names fit."""
        # Candidates are read from their heads; a shown page's record is read by _hit.
        heads = [self._head(docnum) for docnum, _ in stage.top]
        hits = [
            _Ranked({KEY: page.key, SYSTEM: page.system}, (), score, score, docnum=docnum)
            for (docnum, score), page in zip(stage.top, heads, strict=True)
        ]
        if not plan.concepts or not hits:
            return hits
        text_scores = [_text_score(hit.bm25f) for hit in hits]
        top = max(text_scores) or 1.0
        found = [_found_terms(terms) for terms in stage.matched_terms([docnum for docnum, _ in stage.top])]
        candidates = [
            Candidate(page, names_text(page), text_score / top, self._classification.inherited(page), terms)
            for page, text_score, terms in zip(heads, text_scores, found, strict=True)
        ]
        systems = self._systems_of(plan)  # once per query: the counterparts' re-ranking reads it too
        weights = self.weights
        scored = features(candidates, plan.concepts, self.vocabulary, weights, systems)
        ranked = [
            replace(hit, score=feats.score(weights) + hit.bm25f - text_score, features=feats)
            for hit, feats, text_score in zip(hits, scored, text_scores, strict=True)
        ]
        ranked.sort(key=_rank_order)
        by_key = {c.page.key: c for c in candidates}
        # What each candidate names, without the classification axes it agrees with or not.
        site_fits = [
            (by_key[entry.fields[KEY]], entry.score - weights.agreement * entry.features.agreement)
            for entry in ranked
            if entry.features is not None
        ]
        if extra := self._classification.counterparts(site_fits, plan.concepts):
            ranked = self._rerank_with(ranked, candidates, extra, plan, systems)
        return ranked

    def _rerank_with(
        self,
        ranked: list[_Ranked],
        candidates: list[Candidate],
        extra: dict[str, tuple[int, Candidate]],
        plan: Plan,
        systems: dict[str, float] | None,
    ) -> list[_Ranked]:
        """Re-rank the candidates with the classification's counterparts added (or re-named):
        `extra` by key, each with its document number."""
        weights = self.weights
        by_key = {entry.fields[KEY]: entry for entry in ranked}
        merged = [extra[c.page.key][1] if c.page.key in extra else c for c in candidates]
        merged += [candidate for key, (_, candidate) in extra.items() if key not in by_key]
        found = features(merged, plan.concepts, self.vocabulary, weights, systems)
        result = []
        for candidate, feats in zip(merged, found, strict=True):
            key = candidate.page.key
            if key in by_key:
                entry = by_key[key]
                base = entry.score - (entry.features.score(weights) if entry.features else 0.0)
                result.append(replace(entry, score=base + feats.score(weights), features=feats))
            else:
                fields = {KEY: key, SYSTEM: candidate.page.system}
                added = _Ranked(fields, (), 0.0, 0.0, docnum=extra[key][0])
                result.append(replace(added, score=feats.score(weights), features=feats))
        result.sort(key=_rank_order)
        return result

    def _listing(
        self, plan: Plan, wanted: int, day: date, classes: list[int] | None, tally: Counter[int] | None
    ) -> tuple[list[_Ranked], dict[str, int]]:
        """Codes typed in full first, then all the stems, prefixes and ranges cover, in code
        order; and how many pages the listing holds per code system. Only pages whose status
        class is one of `classes` when given; `tally` counts the listed pages per class."""
        keep = None
        allowed = None
        if classes is not None or tally is not None:
            statuses = self.statuses

            def keep(key: str) -> bool:
                number = _class_of(statuses.of_key(key, day))
                if classes is not None and number not in classes:
                    return False
                if tally is not None:
                    tally[number] += 1
                return True

            if classes is not None:
                allowed = np.isin(self._classes(day), classes)
        first = []
        if plan.exact_codes is not None:
            first = [
                _Ranked(self._searcher.stored(docnum), (), 0.0, 0.0)
                for docnum in self._searcher.in_key_order(plan.exact_codes, plan.filter, wanted, allowed)
            ]
        seen = frozenset(entry.fields[KEY] for entry in first)
        docs, counts = self._searcher.list_keys(list(plan.spans), wanted, seen, keep)
        listed = first + [_Ranked(self._searcher.stored(docnum), (), 0.0, 0.0) for docnum in docs]
        for entry in first:  # a code typed in full outside every span still counts
            system = entry.fields[SYSTEM]
            if not any(span.low <= entry.fields[KEY] < span.high for span in plan.spans):
                counts[system] = counts.get(system, 0) + 1
                if tally is not None:
                    tally[_class_of(self.statuses.of_key(entry.fields[KEY], day))] += 1
        return listed, counts

    def _no_page_hits(
        self, tokens: tuple[str, ...], systems: tuple[str, ...], day: date, classes: list[int] | None
    ) -> list[tuple[str, Hit]]:
        """(typed token, hit) for each code-set entry of a code typed in full that no page has;
        within `systems` when given, and of the status `classes` when given."""
        if not tokens or not self.statuses:
            return []
        found = []
        for token in tokens:
            for entry in self.statuses.table.find(normalize_code(token)):
                if systems and entry.system not in systems:
                    continue
                if self._searcher.docnum(f"{entry.system}:{entry.code}") is not None:
                    continue  # it has a page
                status = self.statuses.of(entry.system, entry.code, day)
                if classes is not None and _class_of(status) not in classes:
                    continue
                hit = Hit(
                    code=entry.code,
                    system=entry.system,
                    title=entry.descriptor,
                    score=0.0,
                    section="",
                    snippet="",
                    highlights=(),
                    billable=status.billable,
                    status=status.status,
                    no_page=True,
                )
                found.append((token, hit))
        return found

    @property
    def titles(self) -> TitleSearcher | None:
        """The title documents of the loaded code sets (None when none were loaded)."""
        if not self._titles_opened:
            self._titles = TitleSearcher.open(self._live.generation.path)
            self._titles_opened = True
        return self._titles

    def _title_stage(
        self,
        plan: Plan,
        systems: tuple[str, ...],
        skip: frozenset[str],
        day: date,
        classes: list[int] | None,
        wanted: int,
    ) -> tuple[FirstStage, np.ndarray] | None:
        """The best titles of codes with no page for a ranked query (and which titles were
        allowed: of `systems`, not in `skip`, of the status `classes`); None without titles."""
        titles = self.titles
        if titles is None:
            return None
        scope = tuple(sorted(set(systems)))
        allowed = self._no_page_titles.get(scope)
        if allowed is None:
            if len(self._no_page_titles) > 8:
                self._no_page_titles.clear()
            allowed = self._no_page_titles[scope] = titles.without(self._page_keys(), scope)
        if skip:
            allowed = allowed & titles.without(skip)
        if classes is not None:
            statuses = self.statuses
            allowed = titles.keep(
                allowed, plan.query, lambda key: _class_of(statuses.of_key(key, day)) in classes
            )
        return titles.run(plan.query, max(wanted, DEPTH), allowed), allowed

    def _page_keys(self) -> list[str]:
        """The keys of the live pages. The lexicon keeps a deleted page's key until a merge: its
        pages are looked at only when the index has deleted pages."""
        keys = self._searcher.lexicon(KEY)
        if self._searcher.doc_count() == self._searcher.doc_count_all():
            return keys
        return [key for key in keys if len(self._searcher.term_docs(KEY, key, 1))]

    def _with_titles(
        self, ranked: list[_Ranked], plan: Plan, stage: FirstStage, titles: FirstStage, wanted: int
    ) -> list[_Ranked]:
        """The ranked pages with the best titles of codes with no page placed among them
        (queries/codesets/titles.py), each title scored no higher than the entry above it."""
        if not titles.top:
            return ranked
        assert self.titles is not None
        key = self.titles.key
        found = titles.matched_terms([docnum for docnum, _ in titles.top])
        entries = [
            _Ranked(
                {KEY: key(docnum), SYSTEM: key(docnum).partition(":")[0]},
                terms,
                score,
                score,
                docnum=docnum,
                no_page=True,
            )
            for (docnum, score), terms in zip(titles.top, found, strict=True)
        ]
        pages = [
            replace(entry, matched=terms)
            for entry, terms in zip(
                ranked, stage.matched_terms([entry.docnum for entry in ranked]), strict=True
            )
        ]
        concepts = plan.concepts
        merged = place_titles(pages, entries, lambda entry: naming_strength(entry.matched, concepts))[:wanted]
        for i, entry in enumerate(merged):
            if entry.no_page and i and merged[i - 1].score < entry.score:
                merged[i] = replace(entry, score=merged[i - 1].score)
        return merged

    def _matched(self, stage: FirstStage, shown: list[_Ranked]) -> list[tuple[tuple[str, Any], ...]]:
        """Per shown entry, the query terms it holds (a title's were found with it)."""
        pages = [entry.docnum for entry in shown if not entry.no_page]
        found = iter(stage.matched_terms(pages))
        return [entry.matched if entry.no_page else next(found) for entry in shown]

    def _title_facets(
        self,
        plan: Plan,
        allowed: np.ndarray,
        day: date,
        counts: dict[str, int] | None,
        tally: Counter[int] | None,
    ) -> None:
        """Add the matching titles of codes with no page to the per-system and per-status counts."""
        assert self.titles is not None
        key = self.titles.key
        for docnum in np.flatnonzero(self.titles.matching(plan.query, allowed)).tolist():
            system, _, code = key(docnum).partition(":")
            if counts is not None:
                counts[system] = counts.get(system, 0) + 1
            if tally is not None:
                tally[_class_of(self.statuses.of(system, code, day))] += 1

    def _facets(self, plan: Plan, allowed: np.ndarray | None) -> dict[str, int]:
        return self._searcher.count_by_system(plan.query, plan.filter, allowed)

    def _classes(self, day: date) -> np.ndarray:
        """Per page number, the index in _CLASSES of its code's status on `day`."""
        if day not in self._status_classes:
            if len(self._status_classes) > 8:
                self._status_classes.clear()
            statuses = self.statuses
            self._status_classes[day] = self._searcher.page_classes(
                lambda key: _class_of(statuses.of_key(key, day))
            )
        return self._status_classes[day]

    def _status_facets(self, plan: Plan, classes: np.ndarray, allowed: np.ndarray | None) -> Counter[int]:
        """Matching pages per status class."""
        found = classes[self._searcher.matching(plan.query, plan.filter, allowed)]
        return Counter({n: c for n, c in enumerate(np.bincount(found[found >= 0]).tolist()) if c})

    def _systems_of(self, plan: Plan) -> dict[str, float] | None:
        """How likely each code system is, given the query's words; None under a system scope."""
        if plan.filter is not None:
            return None
        if self._system_evidence is None:
            self._system_evidence = SystemEvidence(self._searcher)
        return self._system_evidence.probabilities(query_terms(plan.concepts))

    def _first_code(self, form: str) -> str | None:
        """The first code of the index, in sorted order, that is or begins with `form` (lower case)."""
        return next(self._searcher.terms_with_prefix(CODE, form), None)

    def page(self, key: str) -> CodePage | None:
        """The page of a document key ("icd10cm:E11.9"), or None."""
        docnum = self._searcher.docnum(key)
        return decode_record(self._searcher.record(docnum)) if docnum is not None else None

    def _head(self, docnum: int) -> CodePage:
        """What re-ranking reads of a page (record_codec.encode_head), from its column."""
        page = self._head_cache.get(docnum)
        if page is None:
            if len(self._head_cache) > _CANDIDATE_CACHE:
                self._head_cache.clear()
            page = self._head_cache[docnum] = decode_head(self._searcher.head(docnum))
        return page

    def _head_of_key(self, key: str) -> tuple[int, CodePage] | None:
        """The document number and head of a document key, or None."""
        docnum = self._searcher.docnum(key)
        return (docnum, self._head(docnum)) if docnum is not None else None

    def _hit(self, entry: _Ranked, plan: Plan, explain: bool, day: date) -> Hit:
        if entry.no_page:
            return self._title_hit(entry, plan, explain, day)
        fields = entry.fields if RECORD in entry.fields else self._searcher.stored(entry.docnum)
        page = decode_record(fields[RECORD], labels=False)  # a hit shows no labels
        matched: dict[str, set[str]] = {}
        for fieldname, term in entry.matched:
            matched.setdefault(fieldname, set()).add(
                term.decode("utf-8") if isinstance(term, bytes) else term
            )
        section, snippet = _best_snippet(page, matched)
        status = self.statuses.of(page.system, page.code, day)
        return Hit(
            code=page.code,
            system=page.system,
            title=page.title,
            score=0.0 if plan.code_order else entry.score,
            section=section,
            snippet=snippet.text,
            highlights=snippet.spans,
            url=page.url,
            explanation=_explain(entry, matched, plan) if explain else None,
            billable=status.billable,
            status=status.status,
        )

    def _title_hit(self, entry: _Ranked, plan: Plan, explain: bool, day: date) -> Hit:
        """The hit of a code with no page: its official descriptor is its title."""
        system, _, code = entry.fields[KEY].partition(":")
        status = self.statuses.of(system, code, day)
        title = status.entry.descriptor if status.entry is not None else ""
        matched: dict[str, set[str]] = {}
        for fieldname, term in entry.matched:
            matched.setdefault(fieldname, set()).add(
                term.decode("utf-8") if isinstance(term, bytes) else term
            )
        return Hit(
            code=code,
            system=system,
            title=title,
            score=entry.score,
            section="",
            snippet="",
            highlights=(),
            explanation=_explain(entry, matched, plan) if explain else None,
            billable=status.billable,
            status=status.status,
            no_page=True,
        )


# A page's code-set class: its status and whether it may be billed (the two things filters ask).
_CLASSES: tuple[tuple[str, bool], ...] = tuple(
    (status, billable) for status in STATUSES for billable in (True, False)
)


def _class_of(status: CodeStatus) -> int:
    return _CLASSES.index((status.status, bool(status.billable)))


def _by_status(tally: Counter[int]) -> dict[str, int]:
    """Counts per class summed per status, in STATUSES order."""
    counts: Counter[str] = Counter()
    for number, count in tally.items():
        counts[_CLASSES[number][0]] += count
    return {status: counts[status] for status in STATUSES if counts[status]}


def _wanted_classes(billable: bool, in_force: bool) -> list[int] | None:
    """The classes `search --billable` / `--active-on` keep; None when neither is asked."""
    if not billable and not in_force:
        return None
    return [
        number
        for number, (status, may_bill) in enumerate(_CLASSES)
        if status in IN_FORCE and (may_bill or not billable)
    ]


@dataclass(frozen=True)
class _Ranked:
    """A page to show: its stored fields, the terms it matched, its first-stage and final
    scores and, when re-ranked, its features."""

    fields: dict[str, Any]
    matched: tuple[tuple[str, Any], ...]
    bm25f: float
    score: float
    features: Features | None = None
    docnum: int = -1  # in the searcher, when ranked by score (in the title index when no_page)
    no_page: bool = False  # a code-set entry's title document: a code with no page


def _explain(entry: _Ranked, matched: dict[str, set[str]], plan: Plan) -> dict[str, Any]:
    """Which fields matched which terms, and the parts the score is made of."""
    parts: dict[str, float] = {}
    if not plan.code_order:
        parts["bm25f"] = round(entry.bm25f, 4)
    if entry.features is not None:
        parts.update({name: round(value, 4) for name, value in asdict(entry.features).items()})
    words = [
        {
            "typed": c.typed,
            "means": sorted({f"{a.words} ({a.kind})" for a in c.alternatives if a.kind != EXACT}),
        }
        for c in plan.concepts
    ]
    return {
        "matched": {field: sorted(terms) for field, terms in sorted(matched.items())},
        "score_parts": parts,
        "words": [w for w in words if w["means"]],
    }


def _rank_order(entry: _Ranked) -> tuple[float, int, str]:
    """Best score first; on a tie (to a millionth: scores add up floats) the longer, more
    specific code (C79.89 before its category C79), then code order."""
    key = entry.fields[KEY]
    return (-round(entry.score, 6), -len(key), key)


def _found_terms(matched: tuple[tuple[str, Any], ...]) -> frozenset[str]:
    """The query terms a page holds in any field, as the re-ranker compares them."""
    return frozenset(term.decode("utf-8") if isinstance(term, bytes) else term for _, term in matched)


def _text_score(score: float) -> float:
    """A first-stage score without the exact-code bonus (codes typed are listed first regardless)."""
    return score - CODE_BOOST * math.floor(score / CODE_BOOST)


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
    chosen = page.section(name)
    assert chosen is not None
    return name, make_snippet(chosen.text, terms)


__all__ = ["CODE", "DEFAULT_LIMIT", "POOL_AFTER", "SECTION_FIELDS", "Hit", "SearchResult", "Searcher"]
