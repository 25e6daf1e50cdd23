"""medcodes.RankingWeights: each weight and switch of a `Searcher` changes the ranking as it says,
on real indexes built here (the example pages, tests/ranking_pages, and a few ICD-10-CM rows
rendered by bench/make_corpus.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import hit_codes as codes

from medcodes import RankingWeights, Searcher
from medcodes.index.build import ingest
from medcodes.queries.rerank.features import DEPTH

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = RankingWeights()
# Every re-ranking feature weighs nothing but the first-stage score (bench/ablation.py).
FIRST_STAGE_ONLY = replace(DEFAULT, coverage=0, precision=0, adjacency=0, agreement=0, seventh=0, system=0)
WORD_QUERIES = [
    "walker falls mobility",
    "blood pressure heart",
    "pain relief injection",
    "infection bleeding",
    "glucose strips diabetes",
    "knee surgery recovery",
    "office visit doctor",
    "chest lungs breathing",
]


@pytest.fixture(scope="module")
def ranking_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("weights") / "index"
    assert ingest([str(ROOT / "tests" / "ranking_pages")], root, workers=1).counts["rejected"] == 0
    return root


@pytest.fixture(scope="module")
def searcher(built_index: Path) -> Iterator[Searcher]:
    with Searcher(built_index) as opened:
        yield opened


def _first_stage_scores(searcher: Searcher, text: str, keys: list[str]) -> list[float]:
    scores = dict(searcher.candidates(text, limit=DEPTH))
    return [scores[key] for key in keys]


@pytest.mark.parametrize("text", WORD_QUERIES)
def test_without_reranking_weights_hits_come_in_first_stage_order(built_index: Path, text: str) -> None:
    with Searcher(built_index, weights=FIRST_STAGE_ONLY) as plain:
        hits = plain.search(text, limit=20).hits
        scores = _first_stage_scores(plain, text, [f"{hit.system}:{hit.code}" for hit in hits])
    assert len(hits) >= 5
    assert scores == sorted(scores, reverse=True)


def test_the_default_weights_do_reorder_the_first_stage(searcher: Searcher) -> None:
    """The test above would pass vacuously if re-ranking never moved a hit."""
    reordered = []
    for text in WORD_QUERIES:
        hits = searcher.search(text, limit=20).hits
        scores = _first_stage_scores(searcher, text, [f"{hit.system}:{hit.code}" for hit in hits])
        reordered.append(scores != sorted(scores, reverse=True))
    assert sum(reordered) >= len(WORD_QUERIES) // 2


def test_without_the_abbreviation_table_mi_is_only_the_letters(ranking_index: Path) -> None:
    with (
        Searcher(ranking_index) as default,
        Searcher(ranking_index, weights=replace(DEFAULT, abbreviations=False)) as off,
    ):
        assert set(codes(default.search("MI"))) == {"I21.9", "4008F"}
        assert codes(off.search("MI")) == ["4008F"]  # the page that writes "MI"
        # …and the other way: the words no longer reach the page that only abbreviates them.
        assert "4008F" in codes(default.search("myocardial infarction"))
        assert "4008F" not in codes(off.search("myocardial infarction"))


def test_without_synonyms_a_lay_term_misses_the_clinical_page(ranking_index: Path) -> None:
    with (
        Searcher(ranking_index) as default,
        Searcher(ranking_index, weights=replace(DEFAULT, synonyms=False)) as off,
    ):
        assert codes(default.search("heart attack"))[0] == "I21.9"
        assert "I21.9" not in codes(off.search("heart attack"))


def test_without_guesses_a_typo_finds_nothing(ranking_index: Path) -> None:
    with (
        Searcher(ranking_index) as default,
        Searcher(ranking_index, weights=replace(DEFAULT, guesses=False)) as off,
    ):
        assert codes(default.search("hearng")) == ["V5010"]
        assert codes(off.search("hearng")) == []


# A category whose inclusion term its subcode's title does not repeat.
ICD_ROWS = [
    {
        "code": "K50",
        "code_dot": "K50",
        "description": "Crohn's disease [regional enteritis]",
        "parent": None,
        "chapter": "11",
        "block": "K50-K52",
        "inclusionTerm": ["granulomatous enteritis"],
    },
    {
        "code": "K5090",
        "code_dot": "K50.90",
        "description": "Crohn's disease, unspecified, without complications",
        "parent": "K50",
        "chapter": "11",
        "block": "K50-K52",
    },
    {
        "code": "K5290",
        "code_dot": "K52.9",
        "description": "Noninfective gastroenteritis and colitis, unspecified",
        "parent": None,
        "chapter": "11",
        "block": "K50-K52",
    },
]


@pytest.fixture(scope="module")
def icd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("bench_make_corpus", ROOT / "bench" / "make_corpus.py")
    assert spec and spec.loader
    make_corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = make_corpus  # its dataclasses look their module up
    spec.loader.exec_module(make_corpus)
    folder = tmp_path_factory.mktemp("icd")
    hcpcs, icd = folder / "hcpcs.csv", folder / "icd.jsonl"
    hcpcs.write_text("code,kind,active,long_description\n")
    icd.write_text("\n".join(json.dumps(row) for row in ICD_ROWS) + "\n")
    make_corpus.main(["--hcpcs", str(hcpcs), "--icd10cm", str(icd), "--out", str(folder / "corpus")])
    ingest([str(folder / "corpus")], folder / "ix", workers=1)
    return folder / "ix"


def test_without_parent_categories_a_subcode_loses_its_category_s_names(icd_index: Path) -> None:
    """The subcode holds "unspecified"; its category's inclusion term holds the rest."""
    text = "granulomatous enteritis unspecified"
    with (
        Searcher(icd_index) as default,
        Searcher(icd_index, weights=replace(DEFAULT, parent_categories=False)) as off,
    ):
        assert codes(default.search(text))[0] == "K50.90"
        assert codes(off.search(text))[0] == "K50"
