"""Benchmark validation (issue 15) on the full public-domain code sets.

    python bench/validate_codesets.py ../shared/data [--date 2025-10-01] [--corruptions 1000] [--index DIR]

1. Read every HCPCS, ICD-10-CM and ICD-10-PCS file under DATA_DIR with read_code_set and build
   the CodeTable (timed).
2. Check, on --date: every billable ICD-10-CM code validates `billable`, every ICD-10-CM code with
   children that is not billable `header`, every HCPCS code whose termination date is before the
   date `terminated`. Lists the first failures.
3. Corrupt --corruptions codes billable on the date (drawn at random, seeded, as many from each
   system) by one slip each — substitution, deletion, insertion, transposition, a quarter each — and
   validate the result: the share whose suggestions hold the original, within the suggestions
   shown (validate.SHOWN_SUGGESTIONS) and among all candidates, per kind and per system. A slip
   that lands on another listed code cannot be told from a valid input; those are counted apart.
4. Time per validation: median and 95th percentile, for the checks and for the corruptions.
With --index DIR (a medcodes index with the same files loaded), step 2 is repeated on the table
that index gives (medcodes.index.codesets.open_code_table), and its open is timed.
Prints a markdown report.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from medcodes.pipeline.codes import HCPCS, ICD10CM  # noqa: E402
from medcodes.pipeline.codesets.entry import CodeSetEntry  # noqa: E402
from medcodes.pipeline.codesets.read import read_code_set  # noqa: E402
from medcodes.pipeline.codesets.table import CodeTable  # noqa: E402
from medcodes.queries.validate.edits import CODE_CHARACTERS  # noqa: E402
from medcodes.queries.validate.judge import billable_on  # noqa: E402
from medcodes.queries.validate.validate import SHOWN_SUGGESTIONS, validate  # noqa: E402
from medcodes.queries.validate.verdict import (  # noqa: E402
    BILLABLE,
    DELETION,
    HEADER,
    INSERTION,
    SUBSTITUTION,
    TERMINATED,
    TRANSPOSITION,
    Verdict,
)

CODE_SET_FILES = ("hcpcs/*.csv", "icd10cm/*.jsonl", "icd10pcs/*.csv")
CORRUPTIONS = (SUBSTITUTION, DELETION, INSERTION, TRANSPOSITION)
SHOWN_FAILURES = 5


def read_entries(data_dir: Path) -> tuple[list[CodeSetEntry], list[str], int]:
    """Every entry of the code-set files under `data_dir`, the files read, and the rows skipped."""
    entries: list[CodeSetEntry] = []
    files: list[str] = []
    skipped: list[object] = []
    for pattern in CODE_SET_FILES:
        for path in sorted(data_dir.glob(pattern)):
            release, found = read_code_set(path, on_bad_row=skipped.append)
            entries.extend(found)
            files.append(f"{path.name} ({release.name})")
    return entries, files, len(skipped)


def corrupt(bare: str, kind: str, rng: random.Random) -> str | None:
    """`bare` with one slip of `kind`; None when the code has no such slip (one repeated character)."""
    if kind == SUBSTITUTION:
        i = rng.randrange(len(bare))
        return bare[:i] + rng.choice([c for c in CODE_CHARACTERS if c != bare[i]]) + bare[i + 1 :]
    if kind == DELETION:
        i = rng.randrange(len(bare))
        return bare[:i] + bare[i + 1 :]
    if kind == INSERTION:
        i = rng.randrange(len(bare) + 1)
        return bare[:i] + rng.choice(CODE_CHARACTERS) + bare[i:]
    swaps = [i for i in range(len(bare) - 1) if bare[i] != bare[i + 1]]
    if not swaps:
        return None
    i = rng.choice(swaps)
    return bare[:i] + bare[i + 1] + bare[i] + bare[i + 2 :]


def timed(check: Callable[[], Verdict], times: list[float]) -> Verdict:
    started = time.perf_counter()
    answer = check()
    times.append(time.perf_counter() - started)
    return answer


def check_verdicts(table: CodeTable, on: date, times: list[float]) -> dict[str, tuple[int, list[str]]]:
    """(codes checked, first failures) per done-when check."""
    checks: dict[str, list[tuple[str, str]]] = {
        "ICD-10-CM billable -> billable": [],
        "ICD-10-CM category with children -> header": [],
        f"HCPCS terminated before {on} -> terminated": [],
    }
    names = list(checks)
    for entry in table:
        if entry.system == ICD10CM and entry.billable:
            checks[names[0]].append((entry.code, BILLABLE))
        elif entry.system == ICD10CM and table.children(entry.system, entry.code):
            checks[names[1]].append((entry.code, HEADER))
        elif entry.system == HCPCS and entry.terminated is not None and entry.terminated < on:
            checks[names[2]].append((entry.code, TERMINATED))
    report = {}
    for name, wanted in checks.items():
        failures = []
        for code, verdict in wanted:
            answer = timed(lambda code=code: validate(table, code, on), times)
            if answer.verdict != verdict:
                failures.append(f"{code}: {answer.verdict}")
        report[name] = (len(wanted), failures)
    return report


def check_corruptions(table: CodeTable, on: date, count: int, seed: int, times: list[float]) -> list[str]:
    rng = random.Random(seed)
    pools: dict[str, list[CodeSetEntry]] = defaultdict(list)
    for entry in table:
        if billable_on(entry, on):
            pools[entry.system].append(entry)
    systems = sorted(pools)
    tally: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    candidates: list[int] = []
    made = 0
    while made < count:
        # Every slip on every system as often: a system with few codes (HCPCS) is measured too.
        kind = CORRUPTIONS[made % len(CORRUPTIONS)]
        original = rng.choice(pools[systems[made // len(CORRUPTIONS) % len(systems)]])
        typed = corrupt(original.code.replace(".", ""), kind, rng)
        if typed is None:
            continue
        made += 1
        for key in ((kind, original.system), ("all", original.system), (kind, "all"), ("all", "all")):
            tally[key]["made"] += 1
        if table.find_bare(typed):
            for key in ((kind, original.system), ("all", original.system), (kind, "all"), ("all", "all")):
                tally[key]["listed"] += 1
            continue
        answer = timed(lambda typed=typed: validate(table, typed, on, max_suggestions=10_000), times)
        codes = [s.code for s in answer.suggestions]
        candidates.append(len(codes))
        for key in ((kind, original.system), ("all", original.system), (kind, "all"), ("all", "all")):
            tally[key]["unlisted"] += 1
            tally[key]["shown"] += original.code in codes[:SHOWN_SUGGESTIONS]
            tally[key]["anywhere"] += original.code in codes
            tally[key]["first"] += bool(codes) and codes[0] == original.code
    lines = [
        "| slip | system | corruptions | landed on a listed code | original suggested first | "
        f"in the {SHOWN_SUGGESTIONS} shown | among all candidates |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (kind, system), counts in sorted(tally.items(), key=lambda item: (item[0][0] != "all", item[0])):
        unlisted = counts["unlisted"] or 1
        lines.append(
            f"| {kind} | {system} | {counts['made']} | {counts['listed']} | "
            f"{counts['first'] / unlisted:.1%} | {counts['shown'] / unlisted:.1%} | "
            f"{counts['anywhere'] / unlisted:.1%} |"
        )
    ordered = sorted(candidates) or [0]
    lines.append(
        f"\ncandidates per corrupted code (all listed codes one slip away): median "
        f"{statistics.median(ordered):g}, p95 {ordered[int(len(ordered) * 0.95)]}, max {ordered[-1]}"
    )
    return lines


def percentiles(times: Iterable[float]) -> str:
    ordered = sorted(times)
    if not ordered:
        return "-"
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    median = statistics.median(ordered)
    return f"median {median * 1e3:.3f} ms, p95 {p95 * 1e3:.3f} ms ({len(ordered)} validations)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2025, 10, 1))
    parser.add_argument("--corruptions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--index", type=Path, help="A medcodes index with the same files loaded.")
    args = parser.parse_args()

    started = time.perf_counter()
    entries, files, skipped = read_entries(args.data_dir)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    table = CodeTable(entries)
    table_s = time.perf_counter() - started
    print(f"# Validation bench ({platform.node()}, Python {platform.python_version()}, date {args.date})\n")
    print(f"- files: {', '.join(files)}; {len(table):,} entries, {skipped} rows skipped")
    print(f"- read {read_s:.1f} s, CodeTable built in {table_s:.2f} s\n")

    check_times: list[float] = []
    print("| check | codes | failures | first failures |\n|---|---:|---:|---|")
    for name, (count, failures) in check_verdicts(table, args.date, check_times).items():
        print(f"| {name} | {count:,} | {len(failures)} | {', '.join(failures[:SHOWN_FAILURES])} |")
    print(f"\ntime per validation (checks): {percentiles(check_times)}\n")

    corruption_times: list[float] = []
    lines = check_corruptions(table, args.date, args.corruptions, args.seed, corruption_times)
    print(f"{args.corruptions} one-character corruptions (seed {args.seed}):\n")
    print("\n".join(lines))
    print(f"\ntime per validation (corrupted codes, all candidates): {percentiles(corruption_times)}")

    if args.index is not None:
        from medcodes.index.codesets import open_code_table

        started = time.perf_counter()
        loaded = open_code_table(args.index)
        open_s = time.perf_counter() - started
        print(
            f"\n## Through the index {args.index}: open_code_table {open_s:.2f} s, {len(loaded):,} entries\n"
        )
        print("| check | codes | failures | first failures |\n|---|---:|---:|---|")
        index_times: list[float] = []
        for name, (count, failures) in check_verdicts(loaded, args.date, index_times).items():
            print(f"| {name} | {count:,} | {len(failures)} | {', '.join(failures[:SHOWN_FAILURES])} |")
        print(f"\ntime per validation (checks, stored table): {percentiles(index_times)}")


if __name__ == "__main__":
    main()
