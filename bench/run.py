"""The benchmark suite (issue 6): ingest, index size, memory and query latency at several sizes,
next to a naive pipeline, SQLite FTS5 and tantivy on the same pages, in one run.

    .venv/bin/pip install tantivy   # optional reference point; skipped when not installed
    .venv/bin/python bench/run.py --sizes 10000 50000 100000 --work /tmp/medcodes-bench

For each size N: generate N pages (bench/generate_corpus.py; not timed), run `medcodes ingest`
in a subprocess (wall time, peak RSS of its whole process tree, index size on disk against the
raw pages), time each stage on a single-process sample (read, parse, index, commit), measure
query latency on a warm searcher (p50/p95/p99 over a fixed mix of code, prefix, word, phrase,
section, misspelled and abbreviated queries, with snippets) and a cold `medcodes search`
(process start to exit), then the references. Prints a markdown report and writes it to --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import generate_corpus  # noqa: E402
import querymix  # noqa: E402
import references  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402

from medcodes.index.engine.posting_cache import POSTINGS  # noqa: E402
from medcodes.index.engine.schema import build_schema, page_to_document  # noqa: E402
from medcodes.index.engine.segment_writer import open_segment_writer  # noqa: E402
from medcodes.index.store import current_generation, directory_size  # noqa: E402
from medcodes.pipeline.batch import parse_inputs  # noqa: E402
from medcodes.pipeline.parse import parse_page  # noqa: E402
from medcodes.pipeline.sources import expand_inputs  # noqa: E402
from medcodes.queries.search import Searcher  # noqa: E402

STAGE_SAMPLE = 2000
QUERY_ROUNDS = 3
WARM_SEED = 8  # the warm-up mix's pages and words: other pages than the timed mix's (seed 7)
COLD_RUNS = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/medcodes-bench"))
    parser.add_argument("--data", type=Path, help="code-set data for the generator [../shared/data]")
    parser.add_argument("--naive-max", type=int, default=100_000, help="naive pipeline on at most N pages")
    parser.add_argument("--no-references", action="store_true", help="skip naive, FTS5 and tantivy")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    data = args.data or generate_corpus.DEFAULT_DATA
    args.work.mkdir(parents=True, exist_ok=True)
    results = [run_size(n, args.work, data, args) for n in args.sizes]
    report = render(results)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


def run_size(n: int, work: Path, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    corpus = corpus_of(n, work, data)
    files = [Path(p) for p in expand_inputs([str(corpus)])]
    result: dict[str, Any] = {"pages": len(files), "raw_bytes": sum(p.stat().st_size for p in files)}
    index_dir = work / f"index-{n}"
    shutil.rmtree(index_dir, ignore_errors=True)
    command = [sys.executable, "-m", "medcodes", "ingest", str(corpus), "--index", str(index_dir), "--quiet"]
    result["ingest_s"], result["ingest_rss"], result["ingest_anon"] = run_measured(command)
    result["index_bytes"] = directory_size(current_generation(index_dir).path)
    result["stages"] = stage_times(files[:STAGE_SAMPLE], work / f"stages-{n}")
    mix = querymix.query_mix(querymix.sample_pages(files, 300))
    warm = querymix.query_mix(querymix.sample_pages(files, 300, seed=WARM_SEED), seed=WARM_SEED)
    result["latency"], result["open_ms"] = query_latency(index_dir, mix, warm)
    result["cold_s"] = cold_search(index_dir)
    if not args.no_references:
        naive_files = files[: args.naive_max]
        naive_dir = work / f"naive-{n}"
        shutil.rmtree(naive_dir, ignore_errors=True)
        result["naive_pages"] = len(naive_files)
        result["naive_s"] = references.naive_ingest(naive_files, naive_dir)
        shutil.rmtree(naive_dir, ignore_errors=True)
        result.update(reference_engines(files, work / f"ref-{n}", mix))
    return result


def corpus_of(n: int, work: Path, data: Path) -> Path:
    corpus = work / f"corpus-{n}"
    done = corpus / ".complete"
    if not done.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        generate_corpus.generate(n, corpus, data)
        done.write_text("")
    return corpus


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds of a command and the peak resident memory of its whole process tree: all
    of it, and its anonymous part (what the processes hold, without mapped index files)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=HERE.parent)
    peak = peak_anon = 0
    while process.poll() is None:
        resident, anonymous = tree_rss(process.pid)
        peak, peak_anon = max(peak, resident), max(peak_anon, anonymous)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    return seconds, peak, peak_anon


def tree_rss(root: int) -> tuple[int, int]:
    """Resident and anonymous resident bytes of a process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
            rss[int(entry.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    family = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in family), sum(_anonymous(pid) for pid in family)


def _anonymous(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def stage_times(files: list[Path], index_dir: Path) -> dict[str, float]:
    """Milliseconds per page of each stage, one process, on a sample."""
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    clock: dict[str, float] = dict.fromkeys(("read", "parse", "index", "commit"), 0.0)

    def timed(stage: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = work()
        clock[stage] += time.perf_counter() - started
        return value

    writer = open_segment_writer(whoosh_index.create_in(str(index_dir), build_schema()), 256)
    for path in files:
        data = timed("read", path.read_bytes)
        page = timed("parse", lambda d=data, p=path: parse_page(d, str(p)))
        timed("index", lambda pg=page: writer.add_document(**page_to_document(pg)))
    timed("commit", writer.commit)
    shutil.rmtree(index_dir, ignore_errors=True)
    return {stage: seconds * 1000 / len(files) for stage, seconds in clock.items()}


def query_latency(
    index_dir: Path, mix: list[tuple[str, str]], warm: list[tuple[str, str]] | None = None
) -> tuple[dict[str, list[float]], float]:
    """Milliseconds per query of `mix` by kind, and the median ms to open a searcher.

    Each round opens a searcher with the process's cache of decoded postings emptied
    (index/engine/posting_cache.py), runs `warm` (queries drawn from other pages) untimed, then
    times each query of `mix` once: no query follows itself, so the cache helps a query only
    with the words other queries read before it, as in a server that has been up a while. (Run
    three times over one warm searcher, as this did before the cache, the mix would be timed
    reading its own words back.)"""
    by_kind: dict[str, list[float]] = {}
    opened = []
    for _ in range(QUERY_ROUNDS):
        POSTINGS.clear()
        started = time.perf_counter()
        searcher = Searcher(index_dir)
        opened.append((time.perf_counter() - started) * 1000)
        with searcher:
            for _, query in warm or mix[:10]:
                searcher.search(query)
            for kind, query in mix:
                started = time.perf_counter()
                searcher.search(query)
                by_kind.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    return by_kind, statistics.median(opened)


def cold_search(index_dir: Path) -> float:
    script = Path(sys.executable).with_name("medcodes")  # the console script of this environment
    command = [str(script), "search", "fracture of femur", "--index", str(index_dir)]
    runs = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def reference_engines(files: list[Path], work: Path, mix: list[tuple[str, str]]) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    records = work / "records.jsonl"
    outcomes = parse_inputs([str(p) for p in files])
    references.dump_records((o.page for o in outcomes if o.page is not None), records)
    words = [[w.strip('"*').split(":")[-1] for w in q.split()] for _, q in mix]
    out: dict[str, Any] = {}
    seconds, db = references.fts5_ingest(records, work / "fts5.db")
    out["fts5_s"] = seconds
    out["fts5_ms"] = _latencies(lambda ws: references.fts5_search(db, ws), words)
    out["fts5_bytes"] = (work / "fts5.db").stat().st_size
    try:
        seconds, tantivy_index = references.tantivy_ingest(records, work / "tantivy")
    except ImportError:
        return out
    out["tantivy_s"] = seconds
    out["tantivy_ms"] = _latencies(lambda ws: references.tantivy_search(tantivy_index, ws), words)
    out["tantivy_bytes"] = directory_size(work / "tantivy")
    shutil.rmtree(work, ignore_errors=True)
    return out


def _latencies(search: Callable[[list[str]], Any], queries: list[list[str]]) -> list[float]:
    times = []
    for _ in range(QUERY_ROUNDS):
        for words in queries:
            started = time.perf_counter()
            search(words)
            times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    libraries = ("whoosh-reloaded", "beautifulsoup4", "lxml", "tantivy")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in libraries if _installed(name))
    import sqlite3

    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}"
    )


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def render(results: list[dict[str, Any]]) -> str:
    lines = [f"Machine: {machine()}", f"Command: {' '.join(sys.argv)}", ""]
    lines += ["| measure | " + " | ".join(f"{r['pages']:,} pages" for r in results) + " |"]
    lines += ["|---|" + "---|" * len(results)]

    def row(name: str, cell: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {name} | " + " | ".join(_cell(cell, r) for r in results) + " |")

    row("medcodes ingest, wall s", lambda r: f"{r['ingest_s']:.1f}")
    row("medcodes ingest, pages/s", lambda r: f"{r['pages'] / r['ingest_s']:.0f}")
    row("naive pipeline, pages/s", lambda r: f"{r['naive_pages'] / r['naive_s']:.0f}")
    row("medcodes / naive", lambda r: f"{speedup(r):.2f}x")
    row("FTS5 on the records, docs/s", lambda r: f"{r['pages'] / r['fts5_s']:.0f}")
    row("tantivy on the records, docs/s", lambda r: f"{r['pages'] / r['tantivy_s']:.0f}")
    for stage in ("read", "parse", "index", "commit"):
        row(f"stage {stage}, ms/page (1 process)", lambda r, s=stage: f"{r['stages'][s]:.2f}")
    row("peak RSS of ingest (all processes), MB", lambda r: f"{r['ingest_rss'] / 2**20:.0f}")
    row("  of it anonymous (not mapped files), MB", lambda r: f"{r['ingest_anon'] / 2**20:.0f}")
    row("index size, MB", lambda r: f"{r['index_bytes'] / 2**20:.1f}")
    row("index size / raw pages", lambda r: f"{r['index_bytes'] / r['raw_bytes']:.2f}")
    row("FTS5 size / raw pages", lambda r: f"{r['fts5_bytes'] / r['raw_bytes']:.2f}")
    row("open searcher, ms", lambda r: f"{r['open_ms']:.0f}")
    every = lambda r: [ms for kind in r["latency"].values() for ms in kind]  # noqa: E731
    for share, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        row(f"query {name}, ms (all kinds, snippets)", lambda r, s=share: f"{percentile(every(r), s):.1f}")
    for kind in querymix.KINDS:
        row(f"  {kind}: p50 / p95 ms", lambda r, k=kind: _p50_p95(r["latency"][k]))
    row("FTS5 query p50 / p95 ms", lambda r: _p50_p95(r["fts5_ms"]))
    row("tantivy query p50 / p95 ms", lambda r: _p50_p95(r["tantivy_ms"]))
    row("cold `medcodes search`, s", lambda r: f"{r['cold_s']:.2f}")
    return "\n".join(lines) + "\n"


def speedup(result: dict[str, Any]) -> float:
    """medcodes pages/s over naive pages/s."""
    return (result["pages"] / result["ingest_s"]) / (result["naive_pages"] / result["naive_s"])


def _p50_p95(values: list[float]) -> str:
    return f"{percentile(values, 0.5):.1f} / {percentile(values, 0.95):.1f}"


def _cell(cell: Callable[[dict[str, Any]], str], result: dict[str, Any]) -> str:
    try:
        return cell(result)
    except (KeyError, ZeroDivisionError):
        return "–"


if __name__ == "__main__":
    sys.exit(main())
