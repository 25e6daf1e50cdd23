"""Shared fixtures: sample pages copied into tmp_path, a built index, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.build import ingest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"


_SUMMARY = pytest.StashKey[list[str]]()


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


@pytest.fixture
def summary_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test wants shown at the end of the run (measured figures, such as accuracy)."""
    return request.config.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in config.stash.get(_SUMMARY, []):
        terminalreporter.write_line(line)
