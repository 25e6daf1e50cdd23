"""Benchmark reindexing (issue 5): full ingest vs no-op and 1%+1% incremental reindex.

    python bench/reindex_bench.py --pages 50000 --work /tmp/reindex-bench

Steps, all in one run so the ratios compare like with like on a noisy machine:
1. generate the corpus (bench/generate_corpus.py; not timed) and ingest it in full;
2. reindex with nothing changed (median of --repeat runs); target <= 5% of the full ingest;
3. change 1% of the pages and delete 1%, then reindex while another process searches
   continuously and counts errors; target <= 10% of the full ingest and 0 errors;
4. `medcodes check` on the result.
Prints a markdown table with the machine and the numbers.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from medcodes.index.build import ingest  # noqa: E402
from medcodes.index.check import IndexCheckError, check_index  # noqa: E402
from medcodes.index.reindex import reindex  # noqa: E402
from medcodes.queries.search import Searcher  # noqa: E402

QUERIES = (
    "fracture",
    "infusion pain",
    "J9*",
    "E11*",
    "risks:fever",
    "bypass artery",
    "diabetes",
    "blood test",
)


def search_continuously(
    root: str, stop: multiprocessing.synchronize.Event, out: multiprocessing.Queue
) -> None:
    """A reader that never stops searching: counts queries, errors and generations seen."""
    queries = errors = 0
    generations: set[str] = set()
    latencies: list[float] = []
    first_error = ""
    searcher = Searcher(Path(root))
    while not stop.is_set():
        try:
            searcher.refresh()
            started = time.perf_counter()
            searcher.search(QUERIES[queries % len(QUERIES)], limit=10)
            latencies.append(time.perf_counter() - started)
            generations.add(searcher._live.generation.path.name)
        except Exception as err:  # noqa: BLE001 - counting every error is the point of this reader
            errors += 1
            first_error = first_error or f"{type(err).__name__}: {err}"
        queries += 1
    searcher.close()
    out.put(
        {
            "queries": queries,
            "errors": errors,
            "generations": sorted(generations),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
            "first_error": first_error,
        }
    )


def change_pages(corpus: Path, fraction: float, rng: random.Random) -> tuple[int, int]:
    """Rewrite `fraction` of the pages and delete as many others; returns (changed, deleted)."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    picked = rng.sample(files, 2 * max(1, int(len(files) * fraction)))
    half = len(picked) // 2
    for path in picked[:half]:
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("This page describes", "This revised page describes", 1), encoding="utf-8"
        )
    for path in picked[half:]:
        path.unlink()
    return half, len(picked) - half


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"whoosh-reloaded {metadata.version('whoosh-reloaded')}, {platform.system()} {platform.release()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/medcodes-reindex-bench"))
    parser.add_argument("--data", type=Path, help="code-set data for the generator")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="no-op reindex runs (median)")
    args = parser.parse_args()

    corpus, root = args.work / "corpus", args.work / "index"
    shutil.rmtree(args.work, ignore_errors=True)
    generator = [sys.executable, str(HERE / "generate_corpus.py"), str(args.pages), str(corpus)]
    subprocess.run(generator + (["--data", str(args.data)] if args.data else []), check=True)

    started = time.monotonic()
    report = ingest([str(corpus)], root, workers=args.workers)
    full = time.monotonic() - started
    assert report.counts["rejected"] == 0, report.counts
    print(f"full ingest: {report.doc_count} pages in {full:.1f} s", file=sys.stderr)
    time.sleep(1.5)  # let the files' mtimes age past the racy window
    reindex(root, workers=args.workers)  # settles the manifest's stat of files written just now

    noop_runs = []
    for _ in range(args.repeat):
        started = time.monotonic()
        result = reindex(root, workers=args.workers)
        noop_runs.append(time.monotonic() - started)
        assert not result.changed, result.to_dict()
    noop = statistics.median(noop_runs)

    changed, deleted = change_pages(corpus, 0.01, random.Random(5))
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    reader = context.Process(target=search_continuously, args=(str(root), stop, out))
    reader.start()
    time.sleep(3)  # the reader has opened its searcher and is searching
    started = time.monotonic()
    incremental = reindex(root, workers=args.workers)
    partial = time.monotonic() - started
    time.sleep(1)
    stop.set()
    seen = out.get(timeout=60)
    reader.join()
    counts = incremental.to_dict()
    assert (counts["updated"], counts["deleted"]) == (changed, deleted), counts

    started = time.monotonic()
    try:
        check_index(root)
        problem = None
    except IndexCheckError as err:
        problem = str(err)
    check_seconds = time.monotonic() - started

    print(f"\n## Reindex benchmark, {args.pages:,} generated pages\n")
    print(f"Machine: {machine()}  ")
    print(f"Command: `python bench/reindex_bench.py --pages {args.pages}`\n")
    print("| measure | seconds | % of full ingest | target |")
    print("|---|---|---|---|")
    print(f"| full ingest ({report.doc_count:,} pages) | {full:.1f} | 100% | |")
    print(
        f"| no-op reindex (median of {args.repeat}: {', '.join(f'{s:.2f}' for s in noop_runs)}) "
        f"| {noop:.2f} | {100 * noop / full:.2f}% | <= 5% |"
    )
    print(
        f"| reindex after {changed} changed + {deleted} deleted pages | {partial:.1f} "
        f"| {100 * partial / full:.2f}% | <= 10% |"
    )
    print(f"| medcodes check | {check_seconds:.1f} | {100 * check_seconds / full:.1f}% | |")
    print(
        f"\nReader during the 1%+1% reindex: {seen['queries']} searches, **{seen['errors']} errors** "
        f"(target 0), generations seen {seen['generations']}, p50 {seen['p50_ms']:.1f} ms"
        + (f", first error: {seen['first_error']}" if seen["errors"] else "")
    )
    print(f"Reindex counts: {counts}")
    print(f"Check: {problem or 'ok'}")
    return 0 if seen["errors"] == 0 and problem is None else 1


if __name__ == "__main__":
    sys.exit(main())
