"""Time one `medcodes ingest` per given interpreter, and trace its memory process by process.

Issue 16 asks for ingest speed and a peak RSS that stays flat in corpus size, and for where the
memory grows: this runs `python -m medcodes ingest CORPUS` in a subprocess (once per `--python`,
so that a baseline worktree's interpreter and this one are measured in the same run, in turn),
samples the resident memory of every process of its tree every 0.1 s (bench/run.py's
measurement), and prints wall time, pages/s, the peak of the tree, and each process's resident
memory at every tenth of the run (the main process, then the workers it started), so that
growth is seen where it happens. With `--naive N`, bench/references.py's naive pipeline (one
process, bs4's html.parser, one writer) runs on the corpus's first N pages in the same run, and
each ingest's rate is given as a multiple of its rate.

    python bench/ingest_profile.py /tmp/serve-bench/corpus-10000 --work /tmp/ingest-profile \
        --python /work/wt-base/.venv/bin/python .venv/bin/python
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import references  # noqa: E402

from medcodes.pipeline.sources import expand_inputs  # noqa: E402

MB = 2**20
TENTHS = 10


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("corpus", type=Path, help="a folder of pages (bench/generate_corpus.py)")
    parser.add_argument("--work", type=Path, required=True, help="where the indexes are written")
    parser.add_argument("--python", nargs="+", default=[sys.executable], help="interpreters to compare")
    parser.add_argument("--workers", type=int, default=None, help="medcodes ingest --workers")
    parser.add_argument("--naive", type=int, default=0, help="the naive pipeline on the first N pages")
    args = parser.parse_args()
    pages = sum(1 for _, _, files in os.walk(args.corpus) for name in files if not name.startswith("."))
    print(f"corpus {args.corpus}: {pages} pages; load before: {os.getloadavg()}")
    rows = []
    for number, python in enumerate(args.python):
        index_dir = args.work / f"index-{number}"
        shutil.rmtree(index_dir, ignore_errors=True)
        command = [python, "-m", "medcodes", "ingest", str(args.corpus), "--index", str(index_dir), "--quiet"]
        if args.workers:
            command += ["--workers", str(args.workers)]
        seconds, peak, trace = measure(command)
        rows.append((python, seconds, peak))
        rate = pages / seconds
        print(f"\n{python}: {seconds:.1f} s, {rate:.0f} pages/s, peak RSS of the tree {peak / MB:.0f} MB")
        print(f"  load after: {os.getloadavg()}")
        print_trace(trace, seconds)
    if args.naive:
        files = [Path(p) for p in expand_inputs([str(args.corpus)])[: args.naive]]
        naive_dir = args.work / "naive"
        shutil.rmtree(naive_dir, ignore_errors=True)
        naive_rate = len(files) / references.naive_ingest(files, naive_dir)
        print(f"\nnaive pipeline on {len(files)} pages: {naive_rate:.0f} pages/s")
        for python, seconds, _ in rows:
            print(f"  {python}: {pages / seconds / naive_rate:.2f}x the naive pipeline")
    if len(rows) > 1:
        base = rows[0]
        for python, seconds, peak in rows[1:]:
            print(f"\n{python} / {base[0]}: speed {base[1] / seconds:.2f}x, peak RSS {peak / base[2]:.2f}x")
    return 0


def measure(command: list[str]) -> tuple[float, int, list[tuple[float, dict[int, int]]]]:
    """Wall seconds, peak tree RSS, and samples (seconds, pid -> RSS; the root first)."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    trace: list[tuple[float, dict[int, int]]] = []
    while process.poll() is None:
        by_process = process_rss(process.pid)
        peak = max(peak, sum(by_process.values()))
        trace.append((time.perf_counter() - started, by_process))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    return seconds, peak, trace


def process_rss(root: int) -> dict[int, int]:
    """Resident bytes of each process of the tree under `root`; their sum is what bench/run.py's
    tree_rss measures."""
    family = [root, *_descendants(root)]
    return {pid: resident(pid) for pid in family}


def resident(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    try:
        found = [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []
    return [pid for child in found for pid in (child, *_descendants(child))]


def print_trace(trace: list[tuple[float, dict[int, int]]], seconds: float) -> None:
    """Each process's RSS (MB) at every tenth of the run; its peak last; the tree's peak."""
    order: list[int] = []
    for _, by_process in trace:
        order.extend(pid for pid in by_process if pid not in order)
    peaks = {pid: max(s.get(pid, 0) for _, s in trace) for pid in order}
    marks = [seconds * (tenth + 1) / TENTHS for tenth in range(TENTHS)]
    print("  process  " + " ".join(f"{m:6.0f}s" for m in marks) + "    peak")
    for pid in order:
        cells = []
        for mark in marks:
            before = [s.get(pid, 0) for at, s in trace if at <= mark]
            cells.append(f"{(before[-1] if before else 0) / MB:7.0f}")
        role = "main" if pid == order[0] else str(pid)
        print(f"  {role:>7}  " + " ".join(cells) + f"  {peaks[pid] / MB:6.0f}")


if __name__ == "__main__":
    raise SystemExit(main())
