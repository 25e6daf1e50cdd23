"""Measure medcodes on real scraped pages, and on the code-set dev sets in the same run.

The real pages (../shared/data/realpages, not public domain: read here at run time, never
copied into the project) are mirrored as a crawler saves them — `genhealth.ai/code/<system>/
<url slug>.txt`, the slug capped at 120 characters — and ingested through the normal CLI. The
run prints pages indexed and rejected (with reasons); headed sections recovered (every heading
in a file's `headings_present` must come back as a non-empty section of that file's record);
the share of section text left in `unplaced` (on headless pages and overall); nDCG@10 and
MRR@10 of the judged real-page queries; and, when `--codes-index` (or `--codes-data`) is
given, the five code-set dev sets, so that no change trades one kind for the other.

Each query set is also scored on its two halves (A: 1st, 3rd, … query of the set; B: the
others), so that a weight can be chosen on one half and checked on the other.

    python bench/realpages.py ../shared/data/realpages --codes-data ../shared/data \
        --work /tmp/medcodes-realpages [--json] [--worst 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.sections import section_for_heading, slug
from medcodes.queries.evaluate.judged import (
    Evaluation,
    JudgedQuery,
    evaluate,
    load_qrels,
    searcher_ranker,
    summarize,
)
from medcodes.queries.evaluate.report import format_comparison, format_worst
from medcodes.queries.search import Searcher

SLUG_CAP = 120  # a crawler mirror caps file names at about this many characters
UNPLACED = "unplaced"
# The realpages files call CPT by its URL segment.
SYSTEM_ALIASES = {"cpt4": "cpt"}
CODE_SETS = ("hcpcs-abbrev", "icd10cm-abbrev", "icd10cm-eindex", "icd10cm-neoplasm", "icd10cm-drugs")
MEDCODES = [sys.executable, "-m", "medcodes"]


@dataclass(frozen=True)
class MirroredPage:
    manifest: dict[str, Any]
    path: Path  # where the mirror saved it
    source: str  # the path relative to the mirror root, as ingest reports it


def mirror(realpages: Path, root: Path) -> list[MirroredPage]:
    """Save every page as a crawler mirror would; a second rendering of a URL goes to a second mirror."""
    pages = []
    for line in (realpages / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        parts = urlsplit(entry["url"])
        slug = parts.path.rstrip("/").rsplit("/", 1)[-1][:SLUG_CAP]
        host = parts.netloc if not entry.get("alternate_of") else f"alt.{parts.netloc}"
        relative = Path(host, "code", entry["system"], f"{slug}.txt")
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(realpages / entry["file"], target)
        pages.append(MirroredPage(entry, target, str(relative)))
    return pages


def ingest(root: Path, index: Path, report: Path) -> tuple[int, list[dict[str, Any]], float]:
    """Ingest the mirror with the CLI; its exit status and report lines."""
    started = time.perf_counter()
    done = subprocess.run(
        [*MEDCODES, "ingest", ".", "--index", str(index), "--report", str(report), "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"ingest failed (exit {done.returncode}): {done.stderr.strip()}")
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines() if line]
    return done.returncode, lines, seconds


def section_recovery(pages: list[MirroredPage]) -> dict[str, Any]:
    """Headed sections recovered per file, and the share of section text left unplaced."""
    expected = recovered = 0
    misses: list[str] = []
    unplaced_chars = Counter[str]()
    total_chars = Counter[str]()
    urls_set = 0
    for page in pages:
        outcomes = parse_input(page.source, page.path.read_bytes())
        record = outcomes[0].page if outcomes else None
        rendering = page.manifest.get("rendering", "?")
        if record is None:
            misses.append(f"{page.manifest['file']}: rejected")
            expected += len(page.manifest.get("headings_present", []))
            continue
        urls_set += bool(record.url)
        for heading in page.manifest.get("headings_present", []):
            # A heading outside the procedure template (a condition page's "Causes") comes
            # back under its slug, as any unknown heading does.
            name = section_for_heading(heading) or slug(heading)
            expected += 1
            section = record.section(name)
            if section is not None and section.text.strip():
                recovered += 1
            else:
                misses.append(f"{page.manifest['file']}: {heading}")
        for section in record.sections:
            total_chars[rendering] += len(section.text)
            if section.name == UNPLACED:
                unplaced_chars[rendering] += len(section.text)
    return {
        "expected": expected,
        "recovered": recovered,
        "share": recovered / expected if expected else 1.0,
        "misses": misses,
        "unplaced_headless": _share(unplaced_chars["headless"], total_chars["headless"]),
        "unplaced_all": _share(sum(unplaced_chars.values()), sum(total_chars.values())),
        "urls": urls_set,
        "files": len(pages),
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def real_qrels(realpages: Path, work: Path) -> Path:
    """The judged queries with medcodes' system names, as a set named `realpages`."""
    target = work / "realpages.tsv"
    with (realpages / "queries.tsv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source, delimiter="\t"))
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(rows[0])
        for row in rows[1:]:
            if len(row) >= 5:
                row[2] = SYSTEM_ALIASES.get(row[2], row[2])
            writer.writerow(row)
    return target


def halves(run: Evaluation) -> tuple[Evaluation, Evaluation]:
    """Split each set's outcomes alternately into halves A and B (file order)."""
    seen: Counter[str] = Counter()
    a, b = [], []
    for outcome in run.outcomes:
        (a if seen[outcome.judged.set_name] % 2 == 0 else b).append(outcome)
        seen[outcome.judged.set_name] += 1
    return summarize(a, run.k), summarize(b, run.k)


def run_queries(index: Path, judged: list[JudgedQuery]) -> dict[str, Evaluation]:
    with Searcher(index) as searcher:
        run = evaluate(searcher_ranker(searcher), judged)
    part_a, part_b = halves(run)
    return {"all": run, "A": part_a, "B": part_b}


def codes_index(args: argparse.Namespace, work: Path) -> Path | None:
    """The code-set index: given, or built once from --codes-data into the work folder."""
    if args.codes_index:
        return args.codes_index
    if not args.codes_data:
        return None
    index = work / "codes-index"
    if (index / "CURRENT").exists():
        return index
    corpus = work / "codes-corpus"
    bench = Path(__file__).resolve().parent
    subprocess.run(
        [
            sys.executable,
            str(bench / "make_corpus.py"),
            "--hcpcs",
            str(args.codes_data / "hcpcs" / "hcpcs_2025_oct_codes.csv"),
            "--icd10cm",
            str(args.codes_data / "icd10cm" / "icd10cm_2026_codes.jsonl"),
            "--out",
            str(corpus),
        ],
        check=True,
    )
    subprocess.run([*MEDCODES, "ingest", str(corpus), "--index", str(index), "--quiet"], check=False)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "realpages", type=Path, help="the realpages folder (manifest.jsonl, pages/, queries.tsv)"
    )
    parser.add_argument("--work", type=Path, help="scratch folder [default: a temporary one]")
    parser.add_argument(
        "--codes-index", type=Path, help="an index of the code-set corpus (bench/make_corpus.py)"
    )
    parser.add_argument("--codes-data", type=Path, help="../shared/data: build the code-set index from it")
    parser.add_argument("--worst", type=int, default=10, help="worst real-page queries to list")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="medcodes-realpages-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "mirror"
    index = work / "index"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    pages = mirror(args.realpages, root)
    status, report, seconds = ingest(root, index, work / "report.jsonl")
    statuses = Counter(line["status"] for line in report)
    rejected = [
        f"{Path(line['path']).relative_to(root)}: {line['reason']}"
        for line in report
        if line["status"] == "rejected"
    ]
    sections = section_recovery(pages)
    runs = {"realpages": run_queries(index, load_qrels([real_qrels(args.realpages, work)]))}
    code_index = codes_index(args, work)
    if code_index is not None:
        eval_dir = (args.codes_data or args.realpages.parent) / "eval"
        qrels = [eval_dir / f"{name}.tsv" for name in CODE_SETS if (eval_dir / f"{name}.tsv").exists()]
        runs["code sets"] = run_queries(code_index, load_qrels(qrels))

    summary = {
        "files": len(pages),
        "ingest_exit": status,
        "ingest_seconds": round(seconds, 2),
        "statuses": dict(statuses),
        "rejected": rejected,
        "sections": {k: v for k, v in sections.items() if k != "misses"},
        "section_misses": sections["misses"],
        "scores": {kind: {part: _scores(run) for part, run in parts.items()} for kind, parts in runs.items()},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"medcodes on real pages: {args.realpages} ({len(pages)} files), work folder {work}")
    print(
        f"ingest: exit {status} in {seconds:.1f} s; "
        + ", ".join(f"{name} {count}" for name, count in sorted(statuses.items()))
    )
    for line in rejected:
        print(f"  rejected {line}")
    print(
        f"headed sections recovered: {sections['recovered']}/{sections['expected']} "
        f"= {sections['share']:.1%}; "
        f"unplaced text: headless pages {sections['unplaced_headless']:.1%}, all pages "
        f"{sections['unplaced_all']:.1%}; url set on {sections['urls']}/{sections['files']} records"
    )
    for miss in sections["misses"]:
        print(f"  missing {miss}")
    for kind, parts in runs.items():
        print(f"\n{kind} (all / half A / half B):")
        print(format_comparison(parts))
    if args.worst:
        print(f"\nworst {args.worst} real-page queries:")
        print(format_worst(runs["realpages"]["all"], args.worst))
    return 0


def _scores(run: Evaluation) -> dict[str, Any]:
    return {
        "sets": {name: s.to_dict() for name, s in sorted(run.by_set.items())},
        "overall": run.overall.to_dict(),
    }


if __name__ == "__main__":
    sys.exit(main())
