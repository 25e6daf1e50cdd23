"""Second-stage ranking of the top candidates by how well their names fit the whole query.

BM25 adds up word scores, so a long title that matches many words loosely can beat the title
that says exactly what was typed. Claims and index entries name one code, so for the top
candidates of the first stage this module measures, from the stored title and other names:
how much of the query the names cover (rare words counting more), how much of the title the
query accounts for, and whether query words that stand side by side also do so in the title.
A word that no candidate names at all points to the residual code of its group ("... of other
specified sites"), as ICD-10-CM rules send unlisted things to "other" (other systems have no
residual categories: there "other" is a word). As in the ICD-10-CM tabular list, a category's
inclusion terms and "includes" notes hold for its subcodes: a word found in a parent category's
title or other names counts, a little less, for the child. A word the names lack but the page's
body holds (a real page's lay words live in its sections) counts as evidence too, as much as a
name at most. A stated 7th character (queries/rerank/seventh.py) and the kind of code system the
words point to (queries/rerank/system_evidence.py) weigh in last.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

from medcodes.index.engine.analysis import stems
from medcodes.index.fields import TEXT_MINSIZE, seventh_character
from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.expand.concepts import SEVENTH_CHARACTER, Concept, Expansions
from medcodes.queries.expand.vocabulary import Vocabulary
from medcodes.queries.icd10cm.classification import stated_axes
from medcodes.queries.plan.query_plan import COMMON_SHARE
from medcodes.queries.rerank.candidate import Candidate
from medcodes.queries.rerank.seventh import seventh_agreement, stated_seventh
from medcodes.queries.rerank.system_evidence import system_fit

# How many first-stage results are re-ranked.
DEPTH = 100
# The stem that marks a residual ("other") category in a title.
_RESIDUAL = "other"
# "Other and unspecified …" is the residual for what the record did not say as much as for
# what the classification does not list: for a word the query did say, it counts this much of
# what "other (specified) …" counts.
_UNSPECIFIED = "unspecifi"
UNSPECIFIED_RESIDUAL = 0.5
# Queries lead with what they are about ("secondary malignant neoplasm of …", "Inj, …").
LEAD_WORDS = 3
# Texts whose analysis is kept: candidates' titles and names recur across queries, and the
# parents' text of sibling codes recurs within one.
_ANALYSIS_CACHE = 8192


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the re-ranking features (tuned coarsely on the dev sets, see README) and the
    switches of the ranking's other parts, a parameter of `Searcher` (bench/ablation.py runs
    each variant as `Searcher(index, weights=…)`).

    >>> with Searcher("medcodes-index", weights=RankingWeights(abbreviations=False)) as searcher:
    ...     result = searcher.search("Inj pembrolizumab")
    """

    coverage: float = 1.0  # share of the query's (idf-weighted) words found in the names
    precision: float = 0.15  # share of the title's words that the query accounts for
    adjacency: float = 0.4  # neighbouring query words that are neighbours in the title too
    first_stage: float = 0.1  # the BM25F score, relative to the best candidate's
    names: float = 0.8  # a word found only in the other names counts this much
    inherited: float = 0.8  # …and a word found only in a parent category's title or names
    residual: float = 0.25  # a word no candidate names counts this much for an "other" code
    residual_named: float = 0.2  # …and a word other candidates name, this much
    lead: float = 0.0  # the first LEAD_WORDS words of a query weigh this much more
    agreement: float = 0.3  # a code contradicting an axis the query states (or implies) loses this
    sections: float = 0.6  # a word found only in the page's sections (its body) counts this much
    seventh: float = 1.0  # lost by a code without the stated 7th character, when a sibling has it
    system: float = 0.2  # a code of a system the query's words make unlikely loses up to this
    # Switches: which sources may expand a query's words (queries/expand/concepts.py) …
    abbreviations: bool = True  # the abbreviation table, both ways
    synonyms: bool = True  # brand names and synonyms
    guesses: bool = True  # truncations, contractions and typos read from the index's words
    parent_categories: bool = True  # … whether a parent category's names hold for its codes …
    common_share: float = COMMON_SHARE  # … and above which share of pages a word is left to re-ranking

    @property
    def expansions(self) -> Expansions:
        return Expansions(self.abbreviations, self.synonyms, self.guesses)


WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class Features:
    coverage: float
    precision: float
    adjacency: float
    first_stage: float
    agreement: float = 0.0  # below 0 when the code contradicts the query's neoplasm behaviour or traffic
    seventh: float = 0.0  # -1 when the code lacks the 7th character the query states (and a sibling has it)
    system: float = 0.0  # down to -1 for a code of a system the query's words make unlikely

    def score(self, weights: RankingWeights = WEIGHTS) -> float:
        return (
            weights.coverage * self.coverage
            + weights.precision * self.precision
            + weights.adjacency * self.adjacency
            + weights.first_stage * self.first_stage
            + weights.agreement * self.agreement
            + weights.seventh * self.seventh
            + weights.system * self.system
        )


@dataclass(frozen=True)
class _Match:
    """How one candidate's names match each concept."""

    levels: tuple[float, ...]  # per concept: the weight of the best matching alternative, or 0
    places: tuple[int | None, ...]  # per concept: where it matched in the title
    precision: float
    residual: float  # 1 for an "other …" title, less for "other and unspecified …", else 0
    title_terms: frozenset[str]


def features(
    candidates: list[Candidate],
    concepts: tuple[Concept, ...],
    vocabulary: Vocabulary | None,
    weights: RankingWeights = WEIGHTS,
    systems: dict[str, float] | None = None,
) -> list[Features]:
    """The re-ranking features of each candidate, in order; `systems`: how likely each code
    system is, given the query's words (queries/rerank/system_evidence.py)."""
    idf = [_idf(c, vocabulary) * (1 + weights.lead * (i < LEAD_WORDS)) for i, c in enumerate(concepts)]
    total = sum(idf)
    readings = _readings(concepts, weights)
    matches = [_match(candidate, readings) for candidate in candidates]
    named = [any(m.levels[i] > 0 for m in matches) for i in range(len(concepts))]
    axes = stated_axes(concepts)
    sevenths = seventh_agreement(
        stated_seventh(concepts), [seventh_character(c.page.system, c.page.code) for c in candidates]
    )
    found = []
    for candidate, match, seventh in zip(candidates, matches, sevenths, strict=True):
        covered = sum(
            w * (level or match.residual * _residual_credit(named[i], weights))
            for i, (w, level) in enumerate(zip(idf, match.levels, strict=True))
        )
        pairs = list(itertools.pairwise(match.places))
        adjacent = sum(1 for a, b in pairs if a is not None and b is not None and 0 < b - a <= 2)
        found.append(
            Features(
                coverage=covered / total if total else 0.0,
                precision=match.precision,
                adjacency=adjacent / len(pairs) if pairs else 0.0,
                first_stage=candidate.first_stage,
                agreement=axes.agreement(candidate.page, match.title_terms),
                seventh=seventh,
                system=system_fit(systems, candidate.page.system) if systems else 0.0,
            )
        )
    return found


def _residual_credit(named_elsewhere: bool, weights: RankingWeights) -> float:
    """What a word missing from an "other …" code's title still counts for it."""
    return weights.residual_named if named_elsewhere else weights.residual


@dataclass(frozen=True)
class _Reading:
    """One alternative of a concept, with what matching it against a candidate needs (built
    once per query, not once per candidate)."""

    seventh: bool  # a 7th character, matched against the code, not the names
    terms: tuple[str, ...]
    needed: frozenset[str]  # the terms, all of which a text must hold
    weight: float  # found in the title
    as_name: float  # found in the other names
    as_inherited: float  # found in a parent category's title or names
    as_section: float  # found in the page's body


def _readings(concepts: tuple[Concept, ...], weights: RankingWeights) -> tuple[tuple[_Reading, ...], ...]:
    return tuple(
        tuple(
            _Reading(
                alt.kind == SEVENTH_CHARACTER,
                alt.terms,
                frozenset(alt.terms),
                alt.weight,
                alt.weight * weights.names,
                alt.weight * weights.inherited,
                alt.weight * weights.sections,
            )
            for alt in concept.alternatives
        )
        for concept in concepts
    )


def _match(candidate: Candidate, readings: tuple[tuple[_Reading, ...], ...]) -> _Match:
    page = candidate.page
    title, positions, distinct = _title_terms(page.title)
    name_terms = _term_set(candidate.names)
    inherited = _term_set(candidate.inherited)
    found = candidate.found
    seventh = seventh_character(page.system, page.code)
    levels: list[float] = []
    places: list[int | None] = []
    used: set[str] = set()
    terms: tuple[str, ...]
    for alternatives in readings:
        best, place, terms = 0.0, None, ()
        for alt in alternatives:
            if alt.seventh:
                if seventh == alt.terms[0] and alt.weight > best:
                    best, place, terms = alt.weight, None, ()
            elif alt.needed <= distinct:
                if alt.weight > best:
                    best, place, terms = alt.weight, positions[alt.terms[0]], alt.terms
            elif name_terms and alt.needed <= name_terms and alt.as_name > best:
                best, place, terms = alt.as_name, None, ()
            elif inherited and alt.needed <= inherited and alt.as_inherited > best:
                best, place, terms = alt.as_inherited, None, ()
            elif alt.needed <= found and alt.as_section > best:
                best, place, terms = alt.as_section, None, ()
        levels.append(best)
        places.append(place)
        used.update(terms)
    precision = sum(1 for text in title if text in used) / len(title) if title else 0.0
    residual = 0.0
    # "Other" is a residual category only where a classification has them (ICD-10-CM): in a
    # procedure or supply title ("Office or other outpatient visit") it is just a word.
    if page.system == ICD10CM and _RESIDUAL in positions:
        residual = UNSPECIFIED_RESIDUAL if _UNSPECIFIED in positions else 1.0
    return _Match(tuple(levels), tuple(places), precision, residual, distinct)


@lru_cache(maxsize=_ANALYSIS_CACHE)
def _title_terms(title: str) -> tuple[tuple[str, ...], dict[str, int], frozenset[str]]:
    """A title's terms in order, each term's first position, and the distinct terms, as
    the text fields index them (by the one-pass analysis the index is written with). Read only:
    the result is shared."""
    first, terms = stems(title, TEXT_MINSIZE)
    positions: dict[str, int] = {}
    for i, text in enumerate(terms):
        positions.setdefault(text, first + i)
    return tuple(terms), positions, frozenset(positions)


@lru_cache(maxsize=_ANALYSIS_CACHE)
def _term_set(text: str) -> frozenset[str]:
    """The distinct terms a text field indexes `text` as."""
    return frozenset(stems(text, TEXT_MINSIZE)[1])


def _idf(concept: Concept, vocabulary: Vocabulary | None) -> float:
    """The rarer the word, the more finding it matters (a seventh character matters little)."""
    if vocabulary is None:
        return 1.0
    best = concept.best
    if best.kind == SEVENTH_CHARACTER:
        return 1.0
    frequency = max((vocabulary.known_term(t) for t in best.terms), default=0)
    return math.log(1 + vocabulary.doc_count / (frequency + 1))
