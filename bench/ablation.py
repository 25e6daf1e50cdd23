"""What each part of the ranking is worth: nDCG@k with one part switched off at a time.

Every variant runs the same judged queries on the same index, each through its own
`Searcher(index, weights=…)`: a part is switched off by the ranking's own weights and switches
(medcodes.RankingWeights), nothing in the project is patched.

    python bench/ablation.py --index bench/out/ix ../shared/data/eval/*.tsv [--every 3]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judged_args import judged_query_parser

from medcodes import RankingWeights, Searcher
from medcodes.queries.evaluate.judged import Evaluation, evaluate, load_qrels, searcher_ranker
from medcodes.queries.evaluate.report import format_comparison

ALL = RankingWeights()
# Every re-ranking feature weighs nothing but the first-stage score: first-stage order.
FIRST_STAGE_ONLY = replace(ALL, coverage=0, precision=0, adjacency=0, agreement=0, seventh=0, system=0)

VARIANTS: dict[str, RankingWeights] = {
    "all": ALL,
    "no re-ranking": FIRST_STAGE_ONLY,
    "no abbreviation table": replace(ALL, abbreviations=False),
    "no truncations/contractions/typos": replace(ALL, guesses=False),
    "no brands/synonyms": replace(ALL, synonyms=False),
    "no parent categories": replace(ALL, parent_categories=False),
    "common words in first stage": replace(ALL, common_share=1.0),
}


def main(argv: list[str] | None = None) -> int:
    parser = judged_query_parser(__doc__)
    parser.add_argument("--only", nargs="*", help="variants to run (default: all)")
    args = parser.parse_args(argv)
    judged = load_qrels(args.qrels)[:: args.every]
    runs: dict[str, Evaluation] = {}
    for name, weights in VARIANTS.items():
        if args.only and name not in args.only and name != "all":
            continue
        with Searcher(args.index, weights=weights) as searcher:
            runs[name] = evaluate(searcher_ranker(searcher), judged, args.k)
        print(f"{name}: overall nDCG@{args.k} {runs[name].overall.ndcg:.3f}", file=sys.stderr)
    print(format_comparison(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
