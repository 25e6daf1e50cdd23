"""Second-stage ranking of the top candidates by how well their names fit the whole query.

BM25 adds up word scores, so a long title that matches many words loosely can beat the title
that says exactly what was typed. Claims and index entries name one code, so for the top
candidates of the first stage this module measures, from the stored title and other names:
how much of the query the names cover (rare words counting more), how much of the title the
query accounts for, and whether query words that stand side by side also do so in the title.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from index.schema import TEXT_ANALYZER, seventh_character
from pipeline.records import CodePage
from queries.expand import SEVENTH_CHARACTER, Concept
from queries.vocabulary import Vocabulary

# How many first-stage results are re-ranked.
DEPTH = 100


@dataclass(frozen=True)
class RankWeights:
    """Weights of the re-ranking features (tuned coarsely on the dev sets, see README)."""

    coverage: float = 1.0  # share of the query's (idf-weighted) words found in the names
    precision: float = 0.3  # share of the title's words that the query accounts for
    adjacency: float = 0.2  # neighbouring query words that are neighbours in the title too
    first_stage: float = 0.5  # the BM25F score, relative to the best candidate's
    names: float = 0.8  # a word found only in the other names counts this much


WEIGHTS = RankWeights()


@dataclass(frozen=True)
class Features:
    coverage: float
    precision: float
    adjacency: float
    first_stage: float

    def score(self, weights: RankWeights = WEIGHTS) -> float:
        return (
            weights.coverage * self.coverage
            + weights.precision * self.precision
            + weights.adjacency * self.adjacency
            + weights.first_stage * self.first_stage
        )


def features(
    page: CodePage,
    names: str,
    concepts: tuple[Concept, ...],
    relative_score: float,
    vocabulary: Vocabulary | None,
    weights: RankWeights = WEIGHTS,
) -> Features:
    """How well `page` (its title and other names) answers the concepts of a query."""
    title = [(token.text, token.pos) for token in TEXT_ANALYZER(page.title, positions=True)]
    title_positions: dict[str, list[int]] = {}
    for text, pos in title:
        title_positions.setdefault(text, []).append(pos)
    name_terms = {token.text for token in TEXT_ANALYZER(names)} if names else set()
    seventh = seventh_character(page.system, page.code)
    covered = total = 0.0
    used: set[str] = set()
    places: list[int | None] = []
    for concept in concepts:
        weight = _idf(concept, vocabulary)
        total += weight
        best, place = 0.0, None
        for alt in concept.alternatives:
            if alt.kind == SEVENTH_CHARACTER:
                if seventh == alt.terms[0] and alt.weight > best:
                    best, place = alt.weight, None
                continue
            if all(t in title_positions for t in alt.terms):
                if alt.weight > best:
                    best, place = alt.weight, title_positions[alt.terms[0]][0]
                    used.update(alt.terms)
            elif name_terms and all(t in name_terms for t in alt.terms):
                best = max(best, alt.weight * weights.names)
        covered += weight * best
        places.append(place)
    precision = sum(1 for text, _ in title if text in used) / len(title) if title else 0.0
    pairs = [(a, b) for a, b in itertools.pairwise(places)]
    adjacent = sum(1 for a, b in pairs if a is not None and b is not None and 0 < b - a <= 2)
    return Features(
        coverage=covered / total if total else 0.0,
        precision=precision,
        adjacency=adjacent / len(pairs) if pairs else 0.0,
        first_stage=relative_score,
    )


def _idf(concept: Concept, vocabulary: Vocabulary | None) -> float:
    """The rarer the word, the more finding it matters (a seventh character matters little)."""
    if vocabulary is None:
        return 1.0
    best = concept.best
    if best.kind == SEVENTH_CHARACTER:
        return 1.0
    frequency = max((vocabulary.known_term(t) for t in best.terms), default=0)
    return math.log(1 + vocabulary.doc_count / (frequency + 1))
