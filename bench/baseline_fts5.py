"""Plain BM25 with SQLite FTS5 on the evaluation pages, scored next to medcodes in one run.

The baseline of ../shared/data/README.md: FTS5 with the porter stemmer, the title weighted 2 and
the rest of the page 1, the query's words ORed. The pages are read through medcodes' own parser,
so both rankers see the same pages; the FTS5 database is cached beside the pages' folder.

    python bench/baseline_fts5.py --pages bench/out/corpus --index bench/out/ix \
        ../shared/data/eval/*.tsv [--k 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medcodes.pipeline.batch import parse_inputs
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import expand_inputs
from medcodes.queries.evaluate.judged import Evaluation, RankedCode, evaluate, load_qrels, searcher_ranker
from medcodes.queries.evaluate.report import format_comparison, scores_to_dict
from medcodes.queries.search import Searcher

_WORD = re.compile(r"\w+")


class Fts5Baseline:
    """An FTS5 table (title, body) over parsed pages, ranked by bm25 with title weight 2."""

    def __init__(self, db_path: Path) -> None:
        self.db = sqlite3.connect(str(db_path))

    @classmethod
    def build(cls, db_path: Path, pages: Iterator[CodePage]) -> Fts5Baseline:
        db_path.unlink(missing_ok=True)
        baseline = cls(db_path)
        db = baseline.db
        db.execute(
            "CREATE VIRTUAL TABLE pages USING fts5(title, body, system UNINDEXED, code UNINDEXED, "
            "tokenize='porter unicode61')"
        )
        db.executemany(
            "INSERT INTO pages (title, body, system, code) VALUES (?, ?, ?, ?)",
            ((p.title, "\n".join(s.text for s in p.sections), p.system, p.code) for p in pages),
        )
        db.commit()
        return baseline

    def rank(self, text: str, k: int) -> list[RankedCode]:
        words = _WORD.findall(text)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        rows = self.db.execute(
            "SELECT system, code, title FROM pages WHERE pages MATCH ? "
            "ORDER BY bm25(pages, 2.0, 1.0) LIMIT ?",
            (match, k),
        )
        return [RankedCode(system, code, title) for system, code, title in rows]


def parsed_pages(folder: Path) -> Iterator[CodePage]:
    for outcome in parse_inputs(expand_inputs([str(folder)])):
        if outcome.page is not None:
            yield outcome.page


def open_baseline(pages: Path, db_path: Path | None) -> Fts5Baseline:
    db_path = db_path or pages.with_name(pages.name + ".fts5.sqlite")
    if db_path.exists():
        return Fts5Baseline(db_path)
    started = time.perf_counter()
    baseline = Fts5Baseline.build(db_path, parsed_pages(pages))
    print(f"built {db_path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("qrels", nargs="+", type=Path)
    parser.add_argument("--pages", type=Path, required=True, help="the folder the index was built from")
    parser.add_argument("--index", type=Path, help="medcodes index of the same pages (omit: baseline only)")
    parser.add_argument("--db", type=Path, help="FTS5 database [default: beside --pages]")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    judged = load_qrels(args.qrels)
    runs: dict[str, Evaluation] = {"fts5": evaluate(open_baseline(args.pages, args.db).rank, judged, args.k)}
    if args.index:
        with Searcher(args.index) as searcher:
            runs["medcodes"] = evaluate(searcher_ranker(searcher), judged, args.k)
    if args.json:
        print(json.dumps({name: scores_to_dict(run) for name, run in runs.items()}, indent=2))
    else:
        print(format_comparison(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
