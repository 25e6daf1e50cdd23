"""Query latency by query type on a built index, next to SQLite FTS5 in the same run.

Each query type is a handful of queries; each query runs `--repeat` times on one open
Searcher; the report gives the median and the slowest run per type, and the FTS5 baseline's
median for the word queries (same pages, same machine, same moment). The machine is shared and
noisy, so read the ratios rather than the milliseconds.

    python bench/latency.py --index bench/out/ix [--pages bench/out/corpus] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medcodes.queries.parse.syntax import QuerySyntaxError
from medcodes.queries.search import Searcher

QUERY_TYPES: dict[str, list[str]] = {
    "exact code": ["J1940", "E11.9", "e119", "T63.93XA"],
    "code stem / prefix": ["J92", "E11", "J9*", "S72*"],
    "code range": ["J9000-J9999", "E08-E13", "S00-T88"],
    "few words": ["furosemide injection", "pleural plaque", "heart failure"],
    "claim descriptor": [
        "Inj, furosemide, 1 mg",
        "Whelchr fxd full length arms",
        "Cast sup hip spica ped fbrgl",
    ],
    "ICD abbreviated title": [
        "Toxic effect of contact w unsp venom animal, assault, init",
        "Nondisp commnt fx shaft of r fibula, 7thF",
        "Non-prs chr ulc unsp prt unsp lw leg w msl invl w/o evd necr",
    ],
    "index path (long)": [
        "Accident transport pedestrian conveyance specified type collision vehicle animal-drawn traffic",
        "Exposure fire, flames uncontrolled in building or structure specified mode of injury",
    ],
    "typos": ["diabtes mellitus", "pnuemonia bacterial", "hypertenshun essential"],
    "common words only": ["other unspecified injury", "left right other specified"],
    "phrase, boolean, scope": ['"heart failure"', "fracture AND femur NOT open", "title:(pressure ulcer)"],
    "2,000-char query": ["fracture " * 222],
    "brand / synonym": ["Keytruda", "suicide poisoning", "heart attack"],
}


def time_query(searcher: Searcher, text: str, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(QuerySyntaxError):  # a query with nothing to search is answered too
            searcher.search(text)
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--pages", type=Path, help="the pages the index holds, for the FTS5 column")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    fts = None
    if args.pages:
        from baseline_fts5 import open_baseline

        fts = open_baseline(args.pages, None)
    with Searcher(args.index) as searcher:
        started = time.perf_counter()
        searcher.search("warm up the vocabulary")
        print(f"first query (reads the vocabulary): {(time.perf_counter() - started) * 1000:.0f} ms")
        print(f"{'query type':<24} {'median ms':>10} {'max ms':>8} {'fts5 median':>12}  slowest query")
        for kind, queries in QUERY_TYPES.items():
            runs = {q: time_query(searcher, q, args.repeat) for q in queries}
            every = [t for times in runs.values() for t in times]
            slowest = max(runs, key=lambda q: max(runs[q]))
            base = ""
            if fts is not None and not kind.startswith(("exact", "code")):
                fts_runs = []
                for q in queries:
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        fts.rank(q, 10)
                        fts_runs.append((time.perf_counter() - t0) * 1000)
                base = f"{statistics.median(fts_runs):.1f}"
            median = statistics.median(every)
            print(f"{kind:<24} {median:>10.1f} {max(every):>8.1f} {base:>12}  {slowest[:60]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
