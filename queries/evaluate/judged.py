"""Measure ranking quality on judged queries: nDCG@k, MRR@k and Recall@k, per set and overall.

Qrels are TSV files with the columns `qid, query, system, code, grade` (the format of the
judged sets in ../shared/data/eval/): grade 2 is the code a query asks for, grade 1 a code that
is also right but less exact. Any ranker can be measured the same way — medcodes' Searcher or a
baseline — so that reports compare like with like.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medcodes.errors import MedcodesError
from medcodes.pipeline.codes import normalize_code
from medcodes.queries.parse.syntax import QuerySyntaxError
from medcodes.queries.search import Searcher

EXACT = 2  # the grade of the code a query asks for
QRELS_COLUMNS = ("qid", "query", "system", "code", "grade")


class QrelsError(MedcodesError, ValueError):
    """A qrels file that cannot be read as judged queries."""


@dataclass(frozen=True)
class RankedCode:
    """One ranked answer as a ranker returns it."""

    system: str
    code: str
    title: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, normalize_code(self.code, self.system))


@dataclass(frozen=True)
class JudgedQuery:
    set_name: str
    qid: str
    query: str
    grades: dict[tuple[str, str], int]  # (system, normalized code) -> grade

    @property
    def wanted(self) -> list[tuple[str, str]]:
        return sorted(k for k, g in self.grades.items() if g >= EXACT)


@dataclass(frozen=True)
class QueryOutcome:
    judged: JudgedQuery
    ranked: tuple[RankedCode, ...]
    ndcg: float
    reciprocal_rank: float
    recalled: bool
    took_ms: float

    @property
    def first_exact_rank(self) -> int | None:
        """1-based rank of the first grade-2 code within the ranked list, if there."""
        for rank, hit in enumerate(self.ranked, 1):
            if self.judged.grades.get(hit.key, 0) >= EXACT:
                return rank
        return None


@dataclass(frozen=True)
class Scores:
    queries: int
    ndcg: float
    mrr: float
    recall: float

    def to_dict(self) -> dict[str, float | int]:
        return {"queries": self.queries, "ndcg": self.ndcg, "mrr": self.mrr, "recall": self.recall}


@dataclass(frozen=True)
class Evaluation:
    k: int
    outcomes: tuple[QueryOutcome, ...]
    by_set: dict[str, Scores] = field(default_factory=dict)
    overall: Scores = Scores(0, 0.0, 0.0, 0.0)

    def worst(self, count: int) -> list[QueryOutcome]:
        """The imperfect queries that scored lowest, first exact code missing before merely low."""
        imperfect = [o for o in self.outcomes if o.ndcg < 1.0]
        return sorted(imperfect, key=lambda o: (o.ndcg, o.reciprocal_rank, o.judged.qid))[:count]


Ranker = Callable[[str, int], Sequence[RankedCode]]


def load_qrels(paths: Iterable[Path]) -> list[JudgedQuery]:
    """Read judged queries; the set name is the file name without `.tsv`."""
    queries: dict[tuple[str, str], JudgedQuery] = {}
    for path in paths:
        set_name = path.name.removesuffix(".tsv")
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter="\t")
            header = next(reader, None)
            if header is None or tuple(h.strip().lower() for h in header[:5]) != QRELS_COLUMNS:
                raise QrelsError(f"{path}: expected the columns {', '.join(QRELS_COLUMNS)}")
            for line, row in enumerate(reader, 2):
                if not row or not "".join(row).strip():
                    continue
                if len(row) < 5 or not row[4].strip().isdigit():
                    raise QrelsError(f"{path}:{line}: expected 5 tab-separated columns, grade a number")
                qid, text, system, code, grade = (cell.strip() for cell in row[:5])
                judged = queries.setdefault((set_name, qid), JudgedQuery(set_name, qid, text, {}))
                judged.grades[(system.lower(), normalize_code(code, system.lower()))] = int(grade)
    if not queries:
        raise QrelsError("no judged queries in the qrels files")
    return list(queries.values())


def ndcg(ranked: Sequence[tuple[str, str]], grades: dict[tuple[str, str], int], k: int) -> float:
    """Normalized discounted cumulative gain with graded gains 2^grade - 1."""
    dcg = sum(_gain(grades.get(key, 0)) / math.log2(rank + 1) for rank, key in enumerate(ranked[:k], 1))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(_gain(g) / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


def reciprocal_rank(ranked: Sequence[tuple[str, str]], grades: dict[tuple[str, str], int], k: int) -> float:
    """1/rank of the first grade-2 code in the top k, else 0."""
    for rank, key in enumerate(ranked[:k], 1):
        if grades.get(key, 0) >= EXACT:
            return 1.0 / rank
    return 0.0


def evaluate(ranker: Ranker, queries: Sequence[JudgedQuery], k: int = 10) -> Evaluation:
    """Run every judged query through `ranker` and score its top k."""
    outcomes = []
    for judged in queries:
        started = time.perf_counter()
        ranked = tuple(ranker(judged.query, k))[:k]
        took = (time.perf_counter() - started) * 1000
        keys = [hit.key for hit in ranked]
        rr = reciprocal_rank(keys, judged.grades, k)
        outcomes.append(QueryOutcome(judged, ranked, ndcg(keys, judged.grades, k), rr, rr > 0, took))
    return summarize(outcomes, k)


def summarize(outcomes: Sequence[QueryOutcome], k: int) -> Evaluation:
    """Scores per set and overall of some outcomes (all of a run, or a part of it)."""
    by_set: dict[str, list[QueryOutcome]] = {}
    for outcome in outcomes:
        by_set.setdefault(outcome.judged.set_name, []).append(outcome)
    return Evaluation(
        k=k,
        outcomes=tuple(outcomes),
        by_set={name: _mean(group) for name, group in by_set.items()},
        overall=_mean(outcomes),
    )


def searcher_ranker(searcher: Searcher) -> Ranker:
    """Rank with an open medcodes Searcher; a query it cannot read ranks nothing."""

    def rank(text: str, k: int) -> list[RankedCode]:
        try:
            hits = searcher.search(text, limit=k).hits
        except QuerySyntaxError:
            return []
        return [RankedCode(hit.system, hit.code, hit.title) for hit in hits]

    return rank


def _gain(grade: int) -> float:
    return float(2**grade - 1)


def _mean(outcomes: Sequence[QueryOutcome]) -> Scores:
    n = len(outcomes)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(
        queries=n,
        ndcg=sum(o.ndcg for o in outcomes) / n,
        mrr=sum(o.reciprocal_rank for o in outcomes) / n,
        recall=sum(o.recalled for o in outcomes) / n,
    )
