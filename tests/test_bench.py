"""The evaluation corpus renderer and the FTS5 baseline, on a few rows written here (the real
CMS and CDC files live outside the project and are never needed by the tests)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from medcodes.index.build import ingest
from medcodes.queries.search import Searcher

BENCH = Path(__file__).resolve().parent.parent / "bench"
HCPCS_ROWS = """\
code,kind,active,long_description,betos,cov,price1,mult_pi,tos1,add_dt,act_eff_dt,term_dt,action_cd
A1,modifier,1,Dressing for one wound,,C,,,,20020701,20020701,,N
J1940,procedure,1,"Injection, furosemide, up to 20 mg",O1E,C,51,A,1,19900101,,,N
J1100,procedure,1,"Injection, dexamethasone sodium phosphate, 1 mg",O1E,C,51,A,1,19900101,,,N
E0135,procedure,0,"Walker, folding (pickup), adjustable or fixed height",D1D,D,36,A,R,19860101,,,N
"""
ICD_ROWS = [
    {"code": "A01", "code_dot": "A01", "description": "Typhoid and paratyphoid fevers"},
    {
        "code": "A0102",
        "code_dot": "A01.02",
        "description": "Typhoid fever with heart involvement",
        "inclusionTerm": ["Typhoid endocarditis", "Typhoid myocarditis"],
        "excludes1": ["never indexed"],
    },
    {
        "code": "A19",
        "code_dot": "A19",
        "description": "Miliary tuberculosis",
        "includes": ["disseminated tuberculosis"],
    },
]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cms")
    hcpcs = folder / "hcpcs.csv"
    hcpcs.write_text(HCPCS_ROWS)
    icd = folder / "icd.jsonl"
    icd.write_text("\n".join(json.dumps(row) for row in ICD_ROWS) + "\n")
    return hcpcs, icd


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_corpus_pages_go_through_the_normal_ingest(
    sources: tuple[Path, Path], tmp_path: Path, fmt: str
) -> None:
    make_corpus = _load("make_corpus")
    hcpcs, icd = sources
    out = tmp_path / "corpus"
    assert (
        make_corpus.main(["--hcpcs", str(hcpcs), "--icd10cm", str(icd), "--out", str(out), "--format", fmt])
        == 0
    )
    report = ingest([str(out)], tmp_path / "ix", workers=1)
    assert dict(report.counts) == {"indexed": 6}  # modifiers are not codes; nothing rejected
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.search("typhoid myocarditis").hits[0].code == "A01.02"
        hit = searcher.search("disseminated").hits[0]
        assert (hit.code, hit.section) == ("A19", "also_known_as")
        assert searcher.search("never indexed").hits == ()  # excludes notes are not part of the corpus
        page = searcher.page("icd10cm:A01.02")
        assert page is not None and page.title == "Typhoid fever with heart involvement"
        # A category's names hold for its subcodes: "paratyphoid" is only in A01's title.
        assert searcher.search("paratyphoid fever heart").hits[0].code == "A01.02"


def test_fts5_baseline_ranks_the_same_pages(sources: tuple[Path, Path], tmp_path: Path) -> None:
    make_corpus, baseline = _load("make_corpus"), _load("baseline_fts5")
    hcpcs, icd = sources
    out = tmp_path / "corpus"
    make_corpus.main(["--hcpcs", str(hcpcs), "--icd10cm", str(icd), "--out", str(out)])
    fts = baseline.open_baseline(out, tmp_path / "fts.sqlite")
    assert [r.code for r in fts.rank("Inj furosemide", 3)] == ["J1940"]
    assert fts.rank("", 3) == [] and fts.rank('"quoted" (', 3) == []  # FTS5 syntax is neutralized
    assert {r.code for r in fts.rank("typhoid", 5)} == {"A01", "A01.02"}
