"""The evaluator: metrics by hand-computed examples, qrels parsing, and `medcodes eval`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from medcodes.cli import cli
from medcodes.queries.evaluate.judged import (
    QrelsError,
    RankedCode,
    evaluate,
    load_qrels,
    ndcg,
    reciprocal_rank,
)

JUDGED = Path(__file__).resolve().parent / "judged" / "examples.tsv"
A, B, C = ("icd10cm", "E11.9"), ("icd10cm", "E11.8"), ("hcpcs", "J1100")


def test_ndcg_of_a_perfect_ranking_is_one() -> None:
    assert ndcg([A, B], {A: 2, B: 1}, 10) == pytest.approx(1.0)


def test_ndcg_discounts_by_rank_with_graded_gains() -> None:
    got = ndcg([C, B, A], {A: 2, B: 1}, 10)
    dcg = 1 / math.log2(3) + 3 / math.log2(4)
    ideal = 3 + 1 / math.log2(3)
    assert got == pytest.approx(dcg / ideal)


def test_cut_off_and_reciprocal_rank_use_only_exact_codes() -> None:
    assert ndcg([C, A], {A: 2}, 1) == 0.0
    assert reciprocal_rank([B, C, A], {A: 2, B: 1}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank([B], {A: 2, B: 1}, 10) == 0.0


def test_qrels_group_rows_by_query_and_normalize_codes(tmp_path: Path) -> None:
    path = tmp_path / "set-a.tsv"
    path.write_text(
        "qid\tquery\tsystem\tcode\tgrade\nq1\tdiabetes\ticd10cm\tE119\t2\nq1\tdiabetes\ticd10cm\tE11\t1\n"
    )
    (query,) = load_qrels([path])
    assert query.set_name == "set-a" and query.grades == {A: 2, ("icd10cm", "E11"): 1}
    assert query.wanted == [A]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code\tquery\n", "expected the columns"),
        ("qid\tquery\tsystem\tcode\tgrade\nq1\tx\thcpcs\tJ1100\n", "5 tab"),
    ],
)
def test_bad_qrels_are_reported(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(QrelsError, match=message):
        load_qrels([path])


def test_evaluate_scores_any_ranker() -> None:
    judged = load_qrels([JUDGED])
    perfect = {q.query: [RankedCode(s, c) for (s, c) in q.wanted] for q in judged}
    run = evaluate(lambda text, k: perfect[text], judged, 10)
    assert run.overall.ndcg > 0.99 and run.overall.recall == 1.0 and run.overall.mrr == 1.0
    assert run.worst(3) == [o for o in run.worst(3) if o.ndcg < 1.0]


def test_eval_command_prints_a_table_and_json(built_index: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", str(JUDGED), "--index", str(built_index)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split()[:3] == ["set", "n", "medcodes"]
    assert any(line.startswith("examples ") for line in result.output.splitlines())
    result = runner.invoke(cli, ["eval", str(JUDGED), "--index", str(built_index), "--json", "--k", "3"])
    data = json.loads(result.output)["medcodes"]
    assert data["k"] == 3 and data["sets"]["examples"]["queries"] >= 30


def test_eval_command_rejects_a_bad_qrels_file(built_index: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("nothing here\n")
    result = CliRunner().invoke(cli, ["eval", str(bad), "--index", str(built_index)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "expected the columns" in result.output
