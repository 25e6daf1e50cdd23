"""Coarse grid over the re-ranker's weights on judged queries, reusing one first stage per query.

The first stage (BM25F over the fields) runs once per query; each weight setting then only
re-scores the cached candidates, so a grid of hundreds of settings takes seconds. Prints the
settings by mean nDCG@k over the sets (each set weighing the same), best first.

    python bench/tune_ranking.py --index bench/out/ix ../shared/data/eval/*.tsv [--every 2]
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judged_args import judged_query_parser

from medcodes.index.fields import names_text
from medcodes.index.record_codec import decode_record
from medcodes.queries.evaluate.judged import RankedCode, load_qrels, ndcg
from medcodes.queries.parse.syntax import parse_query
from medcodes.queries.plan.query_plan import plan_query
from medcodes.queries.rerank.features import DEPTH, WEIGHTS, Candidate, features
from medcodes.queries.search import Searcher

GRID = {
    "precision": (0.15,),
    "adjacency": (0.4,),
    "first_stage": (0.1,),
    "agreement": (0.0, 0.3, 0.6),
    "residual": (0.25,),
    "residual_named": (0.2,),
    "inherited": (0.8,),
    "lead": (0.0,),
    "names": (0.8,),
    "sections": (0.6,),
    "seventh": (1.0,),
    "system": (0.2,),
}


def main(argv: list[str] | None = None) -> int:
    parser = judged_query_parser(__doc__)
    parser.add_argument("--top", type=int, default=15, help="settings to print")
    args = parser.parse_args(argv)
    judged = load_qrels(args.qrels)[:: args.every]
    cached = []
    with Searcher(args.index) as searcher:
        for query in judged:
            plan = plan_query(parse_query(query.query), (), searcher.vocabulary)
            stage = searcher._first_stage(plan, DEPTH)
            docs = [docnum for docnum, _ in stage.top]
            top = max((score for _, score in stage.top), default=1.0) or 1.0
            candidates = []
            for (docnum, score), terms in zip(stage.top, stage.matched_terms(docs), strict=True):
                page = decode_record(searcher._searcher.record(docnum))
                found = frozenset(t.decode() if isinstance(t, bytes) else t for _, t in terms)
                candidates.append(
                    Candidate(
                        page, names_text(page), score / top, searcher._classification.inherited(page), found
                    )
                )
            keys = [RankedCode(*searcher._searcher.key(docnum).split(":", 1)).key for docnum in docs]
            systems = searcher._systems_of(plan)
            cached.append((query, plan.concepts, candidates, keys, searcher.vocabulary, systems))
        results = []
        names = list(GRID)
        linear = ("precision", "adjacency", "first_stage", "agreement", "seventh", "system")
        inner = ("names", "inherited", "residual", "residual_named", "lead", "sections")
        for inner_values in itertools.product(*(GRID[n] for n in inner)):
            base = replace(WEIGHTS, **dict(zip(inner, inner_values, strict=True)))
            table = [
                (query, keys, features(candidates, concepts, vocabulary, base, systems) if concepts else None)
                for query, concepts, candidates, keys, vocabulary, systems in cached
            ]
            for values in itertools.product(*(GRID[n] for n in linear)):
                weights = replace(base, **dict(zip(linear, values, strict=True)))
                per_set: dict[str, list[float]] = {}
                for query, keys, found in table:
                    ranked = keys
                    if found:
                        scores = [f.score(weights) for f in found]
                        ranked = [
                            keys[i] for i in sorted(range(len(keys)), key=lambda i: (-scores[i], keys[i]))
                        ]
                    per_set.setdefault(query.set_name, []).append(ndcg(ranked, query.grades, args.k))
                means = {s: sum(v) / len(v) for s, v in per_set.items()}
                setting = tuple(getattr(weights, n) for n in names)
                results.append((sum(means.values()) / len(means), setting, means))
    results.sort(key=lambda r: -r[0])
    sets = sorted(results[0][2])
    print("  ".join(names), "| mean |", " ".join(sets))
    for mean, values, means in results[: args.top]:
        print(
            "  ".join(f"{v:g}" for v in values), f"| {mean:.3f} |", " ".join(f"{means[s]:.3f}" for s in sets)
        )
    current = tuple(getattr(WEIGHTS, n) for n in names)
    for mean, values, means in results:
        if values == current:
            print(
                "current:",
                "  ".join(f"{v:g}" for v in values),
                f"| {mean:.3f} |",
                " ".join(f"{means[s]:.3f}" for s in sets),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
