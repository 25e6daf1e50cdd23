"""Golden parse tests: every sample page and every fixture page against its expected record.

examples/pages/* -> tests/golden/examples/<path>.json (the record); tests/pages/* ->
tests/golden/pages/<path>.json: the record, {"rejected": reason} for a page that must be
rejected, or a list of both for a container (WARC, JSONL, zip, tar). Run
`pytest tests/test_golden_pages.py --regen-golden` after a deliberate parser change, then
review `git diff tests/golden` before committing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medcodes.pipeline.batch import Outcome, parse_input
from medcodes.pipeline.parse import parse_page
from medcodes.pipeline.sources import container_kind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"
PAGES = Path(__file__).resolve().parent / "pages"
GOLDEN = Path(__file__).resolve().parent / "golden"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _cases(folder: Path, golden: str) -> list[tuple[Path, Path]]:
    return [(page, GOLDEN / golden / f"{page.relative_to(folder)}.json") for page in _files(folder)]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _check(actual: Any, golden: Path, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--regen-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def _outcome(outcome: Outcome) -> dict[str, Any]:
    if outcome.page is None:
        return {"source": outcome.source, "rejected": outcome.reason}
    return {"source": outcome.source, "record": outcome.page.to_dict()}


@pytest.mark.parametrize(
    ("page", "golden"), _cases(EXAMPLES, "examples"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_example_matches_golden(page: Path, golden: Path, request: pytest.FixtureRequest) -> None:
    source = str(page.relative_to(ROOT))
    _check(parse_page(page.read_bytes(), source).to_dict(), golden, request)


@pytest.mark.parametrize(("page", "golden"), _cases(PAGES, "pages"), ids=_name)
def test_fixture_matches_golden(page: Path, golden: Path, request: pytest.FixtureRequest) -> None:
    source = str(page.relative_to(ROOT))
    outcomes = [_outcome(o) for o in parse_input(source, page.read_bytes())]
    if container_kind(source, page.read_bytes()) is None:
        [single] = outcomes
        actual = single["record"] if "record" in single else {"rejected": single["rejected"]}
        _check(actual, golden, request)
    else:
        _check(outcomes, golden, request)


def test_every_page_has_a_golden_record() -> None:
    assert len(_cases(EXAMPLES, "examples")) >= 25
    assert len(_cases(PAGES, "pages")) >= 40
    cases = _cases(EXAMPLES, "examples") + _cases(PAGES, "pages")
    missing = [str(g) for _, g in cases if not g.exists()]
    assert not missing
    # A golden whose page was removed would go stale unseen.
    expected = {g for _, g in cases}
    assert not [str(g) for g in GOLDEN.rglob("*.json") if g not in expected]
