"""The relevance gate: judged queries over the example pages must keep their score.

tests/judged/examples.tsv holds coder-style queries written for this project (claim
abbreviations, truncations, brands, lay words, typos) with the codes they ask for. Lowering a
floor needs a reason in the commit that does it.
"""

from __future__ import annotations

from pathlib import Path

from medcodes.queries.evaluate.judged import RankedCode, evaluate, load_qrels, searcher_ranker
from medcodes.queries.evaluate.report import format_worst
from medcodes.queries.search import Searcher

JUDGED = Path(__file__).resolve().parent / "judged" / "examples.tsv"
NDCG_FLOOR = 0.95
RECALL_FLOOR = 0.97


def test_judged_examples_keep_their_score(built_index: Path) -> None:
    judged = load_qrels([JUDGED])
    assert len({q.qid for q in judged}) >= 30
    with Searcher(built_index) as searcher:
        run = evaluate(searcher_ranker(searcher), judged, k=10)
    worst = format_worst(run, 5)
    assert run.overall.ndcg >= NDCG_FLOOR, worst
    assert run.overall.recall >= RECALL_FLOOR, worst


def test_the_gate_notices_a_worse_ranker(built_index: Path) -> None:
    """The floor is not trivially met: listing every page in code order falls far below it."""
    judged = load_qrels([JUDGED])
    with Searcher(built_index) as searcher:
        listing = searcher.search("A* C* E* I* J* K* M* 2* 3* 4* 7* 9*", limit=100).hits
    in_code_order = [RankedCode(hit.system, hit.code, hit.title) for hit in listing]
    assert len(in_code_order) == 26
    run = evaluate(lambda text, k: in_code_order[:k], judged, k=10)
    assert run.overall.ndcg < NDCG_FLOOR / 2
