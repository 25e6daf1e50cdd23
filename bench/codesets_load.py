"""Benchmark `medcodes codesets load` (issue 15) on the full CMS and CDC files, and check it.

    python bench/codesets_load.py /work/shared/data [--runs 3] [--work DIR] [--pages DIR [--word W]]

Loads every file of DATA_DIR/hcpcs/*.csv, DATA_DIR/icd10cm/*.jsonl and DATA_DIR/icd10pcs/*.csv
into a fresh index, --runs times (the load time's median is reported; target <= 60 s), times
open_code_table on the result, and checks the stored entries against the source files read here
independently of the readers:
- every ICD-10-CM code the file marks billable is stored billable;
- every ICD-10-CM code that another code names as parent is stored as a header;
- every HCPCS code with a termination date is stored terminated (date and status).
Exit status 1 when a check fails. Prints a markdown table.

With --pages DIR (e.g. /work/shared/data/realpages/pages, read where it is), also times a cold
search — a new `medcodes search WORD` process, as a user runs it, median of 5 — on an index of
those pages before and after the code sets are loaded into it: a search reads its hits' rows
from codesets.sqlite and the title documents of codes with no page (issue 15).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from medcodes.index.build import ingest  # noqa: E402
from medcodes.index.check import check_index  # noqa: E402
from medcodes.index.codeset_load import load_code_sets  # noqa: E402
from medcodes.index.codesets import open_code_table  # noqa: E402
from medcodes.pipeline.codes import normalize_code  # noqa: E402
from medcodes.queries.codesets.status import CodeStatuses  # noqa: E402


def code_set_files(data: Path) -> list[Path]:
    files = [
        *sorted((data / "hcpcs").glob("*.csv")),
        *sorted((data / "icd10cm").glob("*.jsonl")),
        *sorted((data / "icd10pcs").glob("*.csv")),
    ]
    if not files:
        raise SystemExit(f"no code-set files under {data} (hcpcs/*.csv, icd10cm/*.jsonl, icd10pcs/*.csv)")
    return files


def check(root: Path, data: Path) -> list[str]:
    """What disagrees between the stored entries and the source files (empty when all agree)."""
    table = open_code_table(root)
    statuses = CodeStatuses(table)
    failures: list[str] = []
    rows = [
        json.loads(line)
        for path in sorted((data / "icd10cm").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    parents = {row["parent"] for row in rows if row.get("parent")}
    billable = [row["code"] for row in rows if row["billable"] is True]
    for code in billable:
        entry = table.get("icd10cm", normalize_code(code, "icd10cm"))
        if entry is None or not entry.billable or entry.header:
            failures.append(
                f"icd10cm {code}: billable in the file, stored {entry and (entry.billable, entry.header)}"
            )
    for code in sorted(parents):
        entry = table.get("icd10cm", normalize_code(code, "icd10cm"))
        if entry is None or not entry.header or entry.billable:
            failures.append(
                f"icd10cm {code}: has children, stored {entry and (entry.billable, entry.header)}"
            )
    terminated = 0
    for path in sorted((data / "hcpcs").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if not row["term_dt"]:
                    continue
                terminated += 1
                day = date(int(row["term_dt"][:4]), int(row["term_dt"][4:6]), int(row["term_dt"][6:]))
                status = statuses.of("hcpcs", row["code"].upper(), day + timedelta(days=1))
                entry = status.entry
                if entry is None or entry.terminated != day or status.status != "terminated":
                    failures.append(f"hcpcs {row['code']}: terminated {day}, stored {status.status}")
    print(
        f"checked {len(billable):,} billable ICD-10-CM codes, {len(parents):,} categories with children, "
        f"{terminated:,} terminated HCPCS codes: {len(failures)} disagree",
        file=sys.stderr,
    )
    return failures


COLD_RUNS = 5


def cold_search(root: Path, word: str) -> float:
    """Median wall time of COLD_RUNS new `medcodes search WORD` processes."""
    medcodes = Path(sys.executable).parent / "medcodes"
    times = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        subprocess.run([str(medcodes), "search", word, "--index", str(root)], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def search_times(pages: Path, files: list[Path], work: Path, word: str) -> tuple[float, float, int]:
    """Cold search time without and with the code sets loaded, and the hits with no page."""
    root = work / "pages-index"
    ingest([str(pages)], root)
    without = cold_search(root, word)
    load_code_sets(root, files)
    with_sets = cold_search(root, word)
    medcodes = Path(sys.executable).parent / "medcodes"
    found = subprocess.run(
        [str(medcodes), "search", word, "--json", "--limit", "100", "--index", str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    no_page = sum(1 for hit in json.loads(found.stdout)["hits"] if hit["no_page"])
    return without, with_sets, no_page


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="folder with hcpcs/, icd10cm/ and icd10pcs/")
    parser.add_argument("--runs", type=int, default=3, help="loads into a fresh index (median reported)")
    parser.add_argument("--work", type=Path, help="where the indexes go [default: a temporary folder]")
    parser.add_argument("--pages", type=Path, help="page folder to time a cold search on, without and with")
    parser.add_argument("--word", default="walker", help="the word searched with --pages [walker]")
    args = parser.parse_args()
    files = code_set_files(args.data)
    work = Path(tempfile.mkdtemp(prefix="codesets-bench-", dir=args.work))
    try:
        load_times, open_times = [], []
        for run in range(args.runs):
            root = work / f"index-{run}"
            started = time.perf_counter()
            report = load_code_sets(root, files)
            load_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            table = open_code_table(root)
            open_times.append(time.perf_counter() - started)
            print(f"run {run + 1}: load {load_times[-1]:.1f} s, open {open_times[-1]:.2f} s", file=sys.stderr)
            if run < args.runs - 1:
                shutil.rmtree(root)
        failures = check(root, args.data)
        checked = check_index(root)
        size = sum(p.stat().st_size for p in (root / report.generation).iterdir())
        searched = search_times(args.pages, files, work, args.word) if args.pages else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    pages = f" --pages {args.pages} --word {args.word}" if args.pages else ""
    print(f"Command: bench/codesets_load.py {args.data} --runs {args.runs}{pages}\n")
    print(f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}\n")
    print("| measure | value |\n|---|---|")
    print(f"| files | {', '.join(p.name for p in files)} |")
    print(
        f"| entries stored | {len(table):,} ({', '.join(f'{s} {n:,}' for s, n in report.stored.items())}) |"
    )
    print(f"| bad rows skipped | {report.bad_rows} |")
    runs = ", ".join(f"{t:.1f}" for t in load_times)
    print(f"| load, median of {args.runs}, s | {statistics.median(load_times):.1f} (runs: {runs}) |")
    print(f"| open_code_table, median, s | {statistics.median(open_times):.2f} |")
    print(f"| generation size, MB | {size / 1e6:.1f} |")
    print(f"| `medcodes check` | ok, {checked.codes:,} entries |")
    print(f"| checks failed | {len(failures)} |")
    if searched is not None:
        without, with_sets, no_page = searched
        where = f"`medcodes search {args.word}`, {args.pages.name}/"
        print(f"| cold {where} without code sets, median of {COLD_RUNS}, s | {without:.2f} |")
        print(f"| cold {where} with code sets, median of {COLD_RUNS}, s | {with_sets:.2f} |")
        print(f"| hits with no page among its first 100 | {no_page} |")
    for failure in failures[:20]:
        print(f"- {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
