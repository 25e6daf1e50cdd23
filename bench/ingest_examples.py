"""Ingest the example pages copied N times (each copy under new codes) and time ingest and search.

    .venv/bin/python bench/ingest_examples.py --copies 40 --runs 3

Each copy rewrites the page's code where the parser reads it (the crawler-style path
`copyNN/code/<system>/<CODE>-page.ext`, and the canonical URL of HTML pages), so every copy is
a distinct document and nothing is reported as a duplicate.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from medcodes.index.build import ingest
from medcodes.pipeline.parse import parse_page
from medcodes.queries.search import Searcher

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pages"
QUERIES = [
    "leukemia antibody infusion", "C9028", "e119", "J92*", "walker", "risks:fever indications:relapsed",
    '"liver damage"', "ambulance AND paramedics", "blood glucose strips", "knee arthroscopy recovery",
]  # fmt: skip
URL_SYSTEM = {"hcpcs": "hcpcs", "cpt": "cpt4", "icd10cm": "icd10cm"}


def synthetic_code(system: str, n: int) -> str:
    if system == "hcpcs":
        return f"A{n:04d}"
    if system == "cpt":
        return f"{10000 + n}"
    return f"Z{n // 100:02d}.{n % 100:02d}"


def replicate(target: Path, copies: int) -> int:
    pages = sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    counters: Counter[str] = Counter()
    for copy in range(copies):
        for page in pages:
            data = page.read_bytes()
            system = parse_page(data, str(page.relative_to(EXAMPLES))).system
            code = synthetic_code(system, counters[system])
            counters[system] += 1
            folder = target / f"copy{copy:02d}" / "code" / URL_SYSTEM[system]
            folder.mkdir(parents=True, exist_ok=True)
            canonical = f"/code/{URL_SYSTEM[system]}/{code}-".encode()
            data = re.sub(rb"/code/[a-z0-9]+/[A-Za-z0-9.]+-", canonical, data)
            (folder / f"{code}-page{page.suffix}").write_bytes(data)
    return sum(counters.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "pages"
        total = replicate(corpus, args.copies)
        seconds = []
        for run in range(args.runs):
            root = Path(tmp) / f"ix{run}"
            report = ingest([str(corpus)], root, workers=args.workers)
            assert report.counts["indexed"] == total, report.counts
            seconds.append(report.seconds)
        latencies: dict[str, list[float]] = {q: [] for q in QUERIES}
        with Searcher(Path(tmp) / "ix0") as searcher:
            for _ in range(20):
                for query in QUERIES:
                    started = time.perf_counter()
                    searcher.search(query)
                    latencies[query].append((time.perf_counter() - started) * 1000)
    every = sorted(ms for values in latencies.values() for ms in values)
    print(f"machine: {platform.machine()}, {platform.python_version()}, workers={args.workers or 'per core'}")
    print(f"pages: {total}; ingest runs (s): {', '.join(f'{s:.1f}' for s in seconds)}")
    print(f"ingest: median {total / statistics.median(seconds):.0f} pages/s")
    print(f"search (warm searcher, with snippets): p50 {every[len(every) // 2]:.1f} ms, "
          f"p95 {every[int(len(every) * 0.95)]:.1f} ms, max {every[-1]:.1f} ms")  # fmt: skip
    for query, values in latencies.items():
        print(f"  {statistics.median(values):6.1f} ms  {query}")


if __name__ == "__main__":
    main()
