"""Whether a query's words point to diagnoses or to procedures and supplies, learned from the
titles of the index itself.

Supply and drug descriptors speak in units and doses ("1 mg", "per", "each", "pad size"),
diagnoses in conditions, sites and encounters; the titles of each kind of code system have
their own words. A word found in the titles of one kind far more often than in the other's is
evidence for it, whatever the word: a naive Bayes reading of the query over the two kinds'
titles gives each a probability, and a candidate of the improbable kind loses some of its
score. No list of unit or diagnosis words is kept: the index's titles say which words belong
where. Procedures and supplies (HCPCS, CPT, ICD-10-PCS) are one kind: their titles share the
same words too often for a few query words to tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.fields import SYSTEM, TITLE
from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.expand.concepts import Concept

DIAGNOSIS = "diagnosis"
PROCEDURE = "procedure"  # procedures, services and supplies
KINDS = (DIAGNOSIS, PROCEDURE)
# Dirichlet smoothing, in titles: a kind's word rate is drawn this far towards the rate over all
# titles, so that a word one kind never uses is rare there, not impossible, and a kind with few
# pages in the index (one diagnosis among a hundred procedures) is not favoured by every word
# it happens to lack.
SMOOTHING = 100.0
# Per-word evidence is averaged and scaled by this: words of one query are not independent
# (a descriptor repeats its subject), so their evidence is not simply added up.
CONFIDENCE = 3.0
# A word in fewer titles than this says nothing about a kind: one title is an accident.
MIN_TITLES = 5
_TERM_CACHE = 20000


def kind_of(system: str) -> str:
    return DIAGNOSIS if system == ICD10CM else PROCEDURE


class SystemEvidence:
    """Per searcher: how many titles of each kind hold a term, read on first need."""

    def __init__(self, searcher: IndexSearcher) -> None:
        self._searcher = searcher
        self._of_doc = np.full(searcher.doc_count_all(), -1, dtype=np.int8)
        for system in searcher.lexicon(SYSTEM):
            self._of_doc[searcher.term_docs(SYSTEM, system)] = KINDS.index(kind_of(system))
        self._sizes = np.array([np.count_nonzero(self._of_doc == i) for i in range(len(KINDS))], float)
        self._counts: dict[str, np.ndarray] = {}

    def probabilities(self, terms: Iterable[str]) -> dict[str, float] | None:
        """P(kind | the query's terms), from equal odds; None when the index holds one kind only."""
        terms = list(dict.fromkeys(terms))
        if not terms or np.count_nonzero(self._sizes) < len(KINDS):
            return None
        evidence = np.zeros(len(KINDS))
        total = self._sizes.sum()
        for term in terms:
            counts = self._count(term)
            if counts.sum() < MIN_TITLES:
                continue  # in (almost) no title: no evidence either way
            background = counts.sum() / total
            evidence += np.log((counts + SMOOTHING * background) / (self._sizes + SMOOTHING))
        logits = CONFIDENCE * evidence / len(terms)
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        return {kind: float(w) for kind, w in zip(KINDS, weights, strict=True)}

    def _count(self, term: str) -> np.ndarray:
        """Titles holding `term`, per kind."""
        if term not in self._counts:
            if len(self._counts) > _TERM_CACHE:
                self._counts.clear()
            owners = self._of_doc[self._searcher.term_docs(TITLE, term)]
            self._counts[term] = np.bincount(owners[owners >= 0], minlength=len(KINDS)).astype(float)
        return self._counts[term]


def system_fit(probabilities: dict[str, float] | None, system: str) -> float:
    """0 for a code of the likelier kind, down to -1 for one of a kind the words rule out."""
    if not probabilities:
        return 0.0
    return probabilities[kind_of(system)] / max(probabilities.values()) - 1.0


def query_terms(concepts: Iterable[Concept]) -> list[str]:
    """The terms the query's words most likely mean (each concept's best reading)."""
    return [t for c in concepts if c.best.field is None for t in c.best.terms]
