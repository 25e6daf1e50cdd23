"""Query latency and cold start on indexes bench/run.py already built, measured the same way
(its query mix, warm searcher, snippets; `medcodes search` from process start), for checking a
query-side change without rebuilding anything.

    python bench/query_latency.py /tmp/medcodes-bench/corpus-100000 /tmp/medcodes-bench/index-100000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import querymix  # noqa: E402
from run import WARM_SEED, cold_search, percentile, query_latency  # noqa: E402

from medcodes.pipeline.sources import expand_inputs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", type=Path, help="the corpus the index was built from")
    parser.add_argument("index", type=Path)
    args = parser.parse_args()
    files = [Path(p) for p in expand_inputs([str(args.pages)])]
    mix = querymix.query_mix(querymix.sample_pages(files, 300))
    warm = querymix.query_mix(querymix.sample_pages(files, 300, seed=WARM_SEED), seed=WARM_SEED)
    latency, open_ms = query_latency(args.index, mix, warm)
    every = [ms for kind in latency.values() for ms in kind]
    print(f"| measure | {len(files):,} pages |\n|---|---|")
    print(f"| open searcher, ms | {open_ms:.0f} |")
    for name, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        print(f"| query {name}, ms (all kinds, snippets) | {percentile(every, share):.1f} |")
    for kind in querymix.KINDS:
        runs = latency[kind]
        spread = f"{percentile(runs, 0.5):.1f} / {percentile(runs, 0.95):.1f} / {max(runs):.0f}"
        print(f"|   {kind}: p50 / p95 / max ms | {spread} |")
    print(f"| cold `medcodes search`, s | {cold_search(args.index):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
