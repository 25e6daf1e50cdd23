"""Shared fixtures: sample pages copied into tmp_path, a built index, a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.build import ingest
from queries.search import Searcher, SearchResult

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="Rewrite golden records from the parser's output (review the diff before committing).",
    )


@pytest.fixture
def pages_dir(tmp_path: Path) -> Path:
    """A private copy of the example pages, free to modify."""
    target = tmp_path / "pages"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example pages ingested once into an index shared by read-only tests."""
    root = tmp_path_factory.mktemp("index") / "medcodes-index"
    report = ingest([str(EXAMPLES)], root, workers=1)
    assert report.counts["rejected"] == 0
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def searcher(built_index: Path) -> Iterator[Searcher]:
    """One Searcher on the example index, kept open for a module's tests."""
    with Searcher(built_index) as opened:
        yield opened


def hit_codes(result: SearchResult) -> list[str]:
    return [hit.code for hit in result.hits]
