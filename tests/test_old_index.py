"""Indexes written by earlier commits are searched, checked and reindexed by today's code; new
indexes pickle only stable names.

- 34b9464: top-level `index` package, classes pickled by those paths;
- 39ac0ee: main before Whoosh moved behind medcodes.index.engine (issue 13 §2), classes pickled
  by the stable names of medcodes.index.pickled, which that move must keep readable.

tests/old_index/<commit>.tar.gz were built by tests/make_old_index.py from six example pages.
"""

from __future__ import annotations

import pickle
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, hit_codes, live_pages

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.engine.block_codec import Protocol4Codec
from medcodes.index.engine.text_fields import CompactPositions, StemmedText
from medcodes.index.reindex import reindex
from medcodes.index.store import current_generation
from medcodes.queries.search import Searcher

OLD_INDEXES = Path(__file__).resolve().parent / "old_index"
# Per commit: whether its TOC names classes by the old module paths (else by the stable ones).
COMMITS = {"34b9464": True, "39ac0ee": False}
OLD_PAGES = ["hcpcs-C9028.txt", "hcpcs-J9229.txt", "icd10cm-E11.9.txt", "cpt4-93000.html"]
OLD_PAGES += ["icd10cm-I10.html", "hcpcs-E0601.txt"]
OLD_PATHS = (b"index.text_fields", b"index.block_codec")
STABLE = b"medcodes.index.pickled"


@pytest.fixture(params=sorted(COMMITS))
def old_index(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / f"index-{request.param}"
    with tarfile.open(OLD_INDEXES / f"{request.param}.tar.gz") as tar:
        tar.extractall(root, filter="data")
    return root


def _commit(root: Path) -> str:
    return root.name.removeprefix("index-")


def _toc(root: Path) -> bytes:
    [toc] = current_generation(root).path.glob("*.toc")
    return toc.read_bytes()


def _without_module_path(data: bytes, path: bytes) -> bool:
    """True when no pickled global names `path` as its module (`medcodes.index.engine.text_fields`
    contains `index.text_fields`, so a bare substring test would not do)."""
    return all(data[at - 9 : at] == b"medcodes." for at in _find_all(data, path))


def _find_all(data: bytes, part: bytes) -> list[int]:
    found, at = [], data.find(part)
    while at >= 0:
        found.append(at)
        at = data.find(part, at + 1)
    return found


def test_each_old_index_names_classes_as_its_commit_did(old_index: Path) -> None:
    data = _toc(old_index)
    old_paths = COMMITS[_commit(old_index)]
    assert _without_module_path(data, b"index.text_fields") is not old_paths
    assert _without_module_path(data, b"index.block_codec") is not old_paths
    assert (STABLE in data) is not old_paths


def test_an_old_index_is_searched_and_shown(old_index: Path, runner: CliRunner) -> None:
    with Searcher(old_index) as searcher:
        assert hit_codes(searcher.search("type 2 diabetes"))[0] == "E11.9"
        assert hit_codes(searcher.search("C9028")) == ["C9028"]
    result = runner.invoke(cli, ["show", "I10", "--index", str(old_index)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("I10")


def test_an_old_index_is_checked(old_index: Path, runner: CliRunner) -> None:
    report = check_index(old_index)
    assert (report.pages, report.generation) == (6, "gen-000002")
    result = runner.invoke(cli, ["check", "--index", str(old_index)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 6 pages")


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_an_old_index_is_reindexed_into_stable_names(old_index: Path, tmp_path: Path, full: bool) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in [*OLD_PAGES, "hcpcs-J1100.txt"]:
        shutil.copy(EXAMPLES / name, pages / name)
    report = reindex(old_index, [str(pages)], full=full, max_delete=None)
    assert report.doc_count == 7
    assert check_index(old_index).pages == 7
    data = _toc(old_index)
    assert STABLE in data
    assert all(_without_module_path(data, path) for path in OLD_PATHS)
    assert {page.code for page in live_pages(old_index)} == {
        "C9028", "J9229", "E11.9", "93000", "I10", "E0601", "J1100"
    }  # fmt: skip
    with Searcher(old_index) as searcher:
        assert hit_codes(searcher.search("dexamethasone sodium phosphate"))[0] == "J1100"
        assert hit_codes(searcher.search("type 2 diabetes"))[0] == "E11.9"


def test_a_new_index_pickles_only_stable_names(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(EXAMPLES / "hcpcs-C9028.txt")], root, workers=1)
    data = _toc(root)
    assert data.count(STABLE) >= 3  # StemmedText, CompactPositions, Protocol4Codec
    assert b"text_fields" not in data and b"block_codec" not in data
    for made in (StemmedText(), CompactPositions(), Protocol4Codec()):
        assert type(pickle.loads(pickle.dumps(made))) is type(made)
