"""Format evaluation results: a per-set table, runs side by side, and the worst queries."""

from __future__ import annotations

from typing import Any

from medcodes.queries.evaluate.judged import Evaluation, QueryOutcome, Scores
from medcodes.queries.present.printable import printable

OVERALL = "overall"


def scores_to_dict(run: Evaluation, worst: int = 0) -> dict[str, Any]:
    """A JSON-ready summary of one run: k, per set, overall and optionally the worst queries."""
    data: dict[str, Any] = {
        "k": run.k,
        "sets": {name: scores.to_dict() for name, scores in sorted(run.by_set.items())},
        OVERALL: run.overall.to_dict(),
    }
    if worst:
        data["worst"] = [_outcome_to_dict(o) for o in run.worst(worst)]
    return data


def format_comparison(runs: dict[str, Evaluation]) -> str:
    """One row per query set, nDCG / MRR / Recall at k for each run side by side."""
    names = list(runs)
    k = next(iter(runs.values())).k
    sets = sorted({s for run in runs.values() for s in run.by_set})
    label_width = max(len(OVERALL), *(len(s) for s in sets))
    header = f"{'set':<{label_width}} {'n':>5}" + "".join(
        f"  {name + ' nDCG@' + str(k):>16} {'MRR':>6} {'R@' + str(k):>6}" for name in names
    )
    lines = [header, "-" * len(header)]
    for label in [*sets, OVERALL]:
        row = [_scores(runs[name], label) for name in names]
        count = next((s.queries for s in row if s is not None), 0)
        cells = "".join(
            f"  {s.ndcg:>16.3f} {s.mrr:>6.3f} {s.recall:>6.3f}" if s else f"  {'-':>16} {'-':>6} {'-':>6}"
            for s in row
        )
        lines.append(f"{label:<{label_width}} {count:>5}{cells}")
    return "\n".join(lines)


def format_worst(run: Evaluation, count: int) -> str:
    """The lowest-scoring queries, each with the wanted code and what ranked above it."""
    lines = []
    for outcome in run.worst(count):
        judged = outcome.judged
        wanted = ", ".join(code for _, code in judged.wanted) or "?"
        rank = outcome.first_exact_rank
        where = f"rank {rank}" if rank else f"not in top {run.k}"
        lines.append(f"{judged.qid}  nDCG {outcome.ndcg:.2f}  {judged.query!r}")
        lines.append(f"    wants {wanted} ({where}); ranked above it:")
        above = outcome.ranked[: (rank - 1) if rank else 3]
        for hit in above[:3]:
            grade = judged.grades.get(hit.key, 0)
            lines.append(f"      {hit.code:<10} g{grade} {printable(hit.title[:90])}")
    return "\n".join(lines)


def _scores(run: Evaluation, label: str) -> Scores | None:
    return run.overall if label == OVERALL else run.by_set.get(label)


def _outcome_to_dict(outcome: QueryOutcome) -> dict[str, Any]:
    judged = outcome.judged
    return {
        "set": judged.set_name,
        "qid": judged.qid,
        "query": judged.query,
        "wanted": [code for _, code in judged.wanted],
        "ndcg": round(outcome.ndcg, 4),
        "first_exact_rank": outcome.first_exact_rank,
        "ranked": [
            {"system": h.system, "code": h.code, "title": h.title, "grade": judged.grades.get(h.key, 0)}
            for h in outcome.ranked
        ],
    }
