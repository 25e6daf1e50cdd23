"""Golden parse tests: every sample page against its expected record.

Run `pytest tests/test_golden_pages.py --regen-golden` after a deliberate parser change, then
review `git diff tests/` before committing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.parse import parse_page

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"
GOLDEN = Path(__file__).resolve().parent / "golden"


def _cases() -> list[tuple[Path, Path]]:
    pages = sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    return [(page, GOLDEN / "examples" / f"{page.relative_to(EXAMPLES)}.json") for page in pages]


@pytest.mark.parametrize(("page", "golden"), _cases(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_matches_golden(page: Path, golden: Path, request: pytest.FixtureRequest) -> None:
    source = str(page.relative_to(ROOT))
    record = parse_page(page.read_bytes(), source).to_dict()
    if request.config.getoption("--regen-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert record == expected


def test_every_example_has_a_golden_record() -> None:
    assert len(_cases()) >= 25
    missing = [str(g) for _, g in _cases() if not g.exists()]
    assert not missing
