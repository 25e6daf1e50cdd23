"""Batch lookups on one core and on every core (issue 16): the same batch through
Searcher.search_many with workers=1 and workers=N, in one run, each the median of --runs.

    python bench/batch_throughput.py /tmp/rp-engine/codes-index /work/shared/data/eval/*.tsv

QUERIES are TSV files with a `query` column (the dev query sets; a query judged on several
codes is asked once) or text files of one query a line; a file's name is its query type.
Printed: queries/s and wall ms per query of each, their ratio, the per-query search time
(mean, p95) overall and per type with the slowest type, and what starting and stopping the
workers costs (what search_many's POOL_AFTER is set from). Each run opens a fresh searcher,
so no run inherits another's caches. Runs alternate 1, N, 1, N… so that a change in the
machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from medcodes.queries.batch_pool import available_cores  # noqa: E402
from medcodes.queries.search import POOL_AFTER, Searcher, SearchResult  # noqa: E402


def read_queries(path: Path) -> list[str]:
    """The distinct queries of a file, in order."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix == ".tsv":
            texts = [row["query"] for row in csv.DictReader(handle, delimiter="\t")]
        else:
            texts = [line.rstrip("\r\n") for line in handle]
    return list(dict.fromkeys(texts))


def run_batch(index: Path, texts: list[str], workers: int) -> tuple[float, list[SearchResult]]:
    """Seconds for the whole batch (opening the searcher included) and its results."""
    started = time.perf_counter()
    with Searcher(index) as searcher:
        results = list(searcher.search_many(texts, workers=workers))
    return time.perf_counter() - started, results


def pool_cost(index: Path, workers: int, repeats: int = 5) -> float:
    """Milliseconds that starting and stopping `workers` adds to a one-line batch (the parent
    already warm): the median over `repeats`."""
    extra = []
    with Searcher(index) as searcher:
        list(searcher.search_many(["C9028"], workers=workers))
        for _ in range(repeats):
            started = time.perf_counter()
            list(searcher.search_many(["C9028"], workers=1))
            alone = time.perf_counter() - started
            started = time.perf_counter()
            list(searcher.search_many(["C9028"], workers=workers))
            extra.append(time.perf_counter() - started - alone)
    return statistics.median(extra) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path, nargs="+", help="TSV files with a query column, or text")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (the median is shown)")
    parser.add_argument(
        "--workers", type=int, default=max(2, available_cores()), help="[default: one per core, 2 at least]"
    )
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers: 2 at least (the batch with 1 is always run)")
    batch: list[tuple[str, str]] = [(path.stem, text) for path in args.queries for text in read_queries(path)]
    texts = [text for _, text in batch]
    seconds: dict[int, list[float]] = {1: [], args.workers: []}
    took: list[float] = []  # per query, from the one-process runs
    answers: dict[int, list[dict[str, object]]] = {}
    for _ in range(args.runs):
        for workers in seconds:
            elapsed, results = run_batch(args.index, texts, workers)
            seconds[workers].append(elapsed)
            if workers == 1:
                took = [result.took_ms for result in results]
            answers[workers] = [_untimed(result) for result in results]
    same = answers[1] == answers[args.workers]
    cost = pool_cost(args.index, args.workers)
    print(f"{len(texts)} queries of {len(args.queries)} types; index {args.index}; {available_cores()} cores")
    print(f"load average before the run ended: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| workers | batch s (median of runs) | queries/s | wall ms per query |\n|---|---|---|---|")
    rates = {}
    for workers, runs in seconds.items():
        median = statistics.median(runs)
        rates[workers] = len(texts) / median
        spread = ", ".join(f"{s:.2f}" for s in runs)
        wall = median * 1000 / len(texts)
        print(f"| {workers} | {median:.2f} ({spread}) | {rates[workers]:.1f} | {wall:.1f} |")
    print(f"throughput ratio {args.workers} workers / 1: {rates[args.workers] / rates[1]:.2f}x")
    print(f"answers of {args.workers} workers identical to 1 (times aside): {same}")
    mean, p95 = statistics.mean(took), percentile(took, 0.95)
    print(f"per query search time (1 process): mean {mean:.1f} ms, p95 {p95:.1f} ms")
    by_type: dict[str, list[float]] = {}
    for (kind, _), ms in zip(batch, took, strict=True):
        by_type.setdefault(kind, []).append(ms)
    print("| query type | queries | mean ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for kind, values in by_type.items():
        print(
            f"| {kind} | {len(values)} | {statistics.mean(values):.1f} | {percentile(values, 0.95):.1f} "
            f"| {max(values):.0f} |"
        )
    slowest = max(by_type, key=lambda kind: statistics.mean(by_type[kind]))
    print(f"slowest query type (by mean): {slowest}")
    per_query = statistics.median(seconds[1]) * 1000 / len(texts)
    print(
        f"starting and stopping {args.workers} workers: {cost:.0f} ms, about {cost / per_query:.1f} queries "
        f"of this batch (POOL_AFTER = {POOL_AFTER})"
    )
    return 0 if same else 1


def _untimed(result: SearchResult) -> dict[str, object]:
    answer = result.to_dict()
    answer.pop("took_ms")
    return answer


if __name__ == "__main__":
    raise SystemExit(main())
