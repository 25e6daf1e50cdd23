"""What each part of the ranking is worth: nDCG@k with one part switched off at a time.

Every variant runs the same judged queries on the same open index; a part is switched off by
replacing it in this process only (nothing in the project changes).

    python bench/ablation.py --index bench/out/ix ../shared/data/eval/*.tsv [--every 3]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judged_args import judged_query_parser

from medcodes.queries import search
from medcodes.queries.evaluate.judged import Evaluation, evaluate, load_qrels, searcher_ranker
from medcodes.queries.evaluate.report import format_comparison
from medcodes.queries.expand import concepts as expand
from medcodes.queries.expand import vocabulary
from medcodes.queries.plan import query_plan as plan
from medcodes.queries.rerank.features import Features
from medcodes.queries.search import Searcher


def _first_stage_only(candidates, concepts, vocab, weights=None):
    return [Features(0.0, 0.0, 0.0, c.first_stage) for c in candidates]


@contextmanager
def _patched(*patches: mock._patch) -> Iterator[None]:  # type: ignore[type-arg]
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()


VARIANTS: dict[str, Callable[[], object]] = {
    "all": lambda: _patched(),
    "no re-ranking": lambda: _patched(mock.patch.object(search, "features", _first_stage_only)),
    "no abbreviation table": lambda: _patched(mock.patch.object(expand, "expand_abbreviation", lambda t: ())),
    "no truncations/contractions/typos": lambda: _patched(
        mock.patch.object(vocabulary.Vocabulary, "completions", lambda self, t: []),
        mock.patch.object(vocabulary.Vocabulary, "contractions", lambda self, t: []),
        mock.patch.object(vocabulary.Vocabulary, "corrections", lambda self, t: []),
    ),
    "no brands/synonyms": lambda: _patched(
        mock.patch.object(expand, "generic_names", lambda w: ()),
        mock.patch.object(expand, "equivalents", lambda w: ()),
    ),
    "no parent categories": lambda: _patched(
        mock.patch.object(Searcher, "_inherited", lambda self, page: "")
    ),
    "common words in first stage": lambda: _patched(mock.patch.object(plan, "COMMON_SHARE", 1.0)),
}


def main(argv: list[str] | None = None) -> int:
    parser = judged_query_parser(__doc__)
    parser.add_argument("--only", nargs="*", help="variants to run (default: all)")
    args = parser.parse_args(argv)
    judged = load_qrels(args.qrels)[:: args.every]
    runs: dict[str, Evaluation] = {}
    for name, switch in VARIANTS.items():
        if args.only and name not in args.only and name != "all":
            continue
        with switch(), Searcher(args.index) as searcher:  # type: ignore[attr-defined]
            runs[name] = evaluate(searcher_ranker(searcher), judged, args.k)
        print(f"{name}: overall nDCG@{args.k} {runs[name].overall.ndcg:.3f}", file=sys.stderr)
    print(format_comparison(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
