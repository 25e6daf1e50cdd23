"""`import medcodes` is the public API: its names, one error hierarchy, one status vocabulary,
index paths as str or PathLike, and search_many's batch contract."""

from __future__ import annotations

import ast
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePath

import pytest
from conftest import EXAMPLES, ROOT, hit_codes

import medcodes
from medcodes.index.store import current_generation
from medcodes.index.sync import InputStatus

PACKAGES = ("pipeline", "index", "queries")


def test_every_public_name_resolves_and_star_import_gives_all() -> None:
    for name in medcodes.__all__:
        assert getattr(medcodes, name).__name__ == name
    namespace: dict[str, object] = {}
    exec("from medcodes import *", namespace)
    assert set(medcodes.__all__) <= set(namespace)
    assert {"ingest", "reindex", "check_index", "Searcher", "Hit", "SearchResult"} <= set(medcodes.__all__)
    with pytest.raises(AttributeError):
        medcodes.no_such_name  # noqa: B018


def test_import_medcodes_loads_neither_side() -> None:
    """The API imports its names on first use: a parser worker or a search does not pay for
    the rest (Whoosh, the writer)."""
    code = "import sys, medcodes; print(sorted(m for m in sys.modules if m in ('whoosh', 'bs4')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _core_error_classes() -> list[type]:
    """Every class named *Error defined in pipeline/, index/ and queries/, found in the source."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Error")]
            if names:
                dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                module = importlib.import_module(f"medcodes.{dotted}")
                found += [getattr(module, name) for name in names]
    return found


def test_every_core_error_is_a_medcodes_error() -> None:
    errors = _core_error_classes()
    assert len(errors) >= 15
    outside = [error.__qualname__ for error in errors if not issubclass(error, medcodes.MedcodesError)]
    assert outside == []
    for name in medcodes.__all__:
        if name.endswith("Error"):
            assert issubclass(getattr(medcodes, name), medcodes.MedcodesError), name
    # builtin kinds are kept for callers that catch by kind
    assert issubclass(medcodes.IndexMissingError, FileNotFoundError)
    assert issubclass(medcodes.QuerySyntaxError, ValueError)
    assert not issubclass(medcodes.SchemaMismatchError, medcodes.IndexCorruptError)


@pytest.fixture
def index_of_another_schema(built_index: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    shutil.copytree(built_index, root)
    meta_path = current_generation(root).path / "medcodes.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "schema_version": 3}), encoding="utf-8")
    return root


def test_another_schema_raises_one_error_everywhere(index_of_another_schema: Path) -> None:
    root = index_of_another_schema
    calls = {
        "search": lambda: medcodes.Searcher(root),
        "check": lambda: medcodes.check_index(root),
        "ingest": lambda: medcodes.ingest([str(EXAMPLES / "hcpcs-C9028.txt")], root, workers=1),
    }
    for what, call in calls.items():
        with pytest.raises(medcodes.SchemaMismatchError) as caught:
            call()
        assert (caught.value.found, caught.value.expected) == (3, 4), what
        assert "reindex --full" in str(caught.value), what


@pytest.mark.parametrize("as_path", [str, Path, PurePath], ids=["str", "Path", "PurePath"])
def test_index_paths_may_be_str_or_pathlike(tmp_path: Path, as_path: type) -> None:
    root = as_path(str(tmp_path / "ix"))
    pages = as_path(str(EXAMPLES / "hcpcs-C9028.txt"))
    assert medcodes.ingest([pages], root, workers=1).counts["indexed"] == 1
    assert medcodes.reindex(root).to_dict()["unchanged"] == 1
    assert medcodes.check_index(root).pages == 1
    with medcodes.Searcher(root) as searcher:
        assert hit_codes(searcher.search("inotuzumab")) == ["C9028"]


def test_search_many_answers_every_text_in_order(built_index: Path) -> None:
    texts = ["Keytruda", "", "C9028", "J92*"]
    with medcodes.Searcher(built_index) as searcher:
        results = list(searcher.search_many(texts, limit=3))
        singles = [searcher.search(text, limit=3) for text in ("Keytruda", "C9028", "J92*")]
    assert [result.query for result in results] == texts
    assert results[1].error is not None and results[1].hits == ()
    answered = [results[0], results[2], results[3]]
    assert all(result.error is None for result in answered)
    assert [hit_codes(r) for r in answered] == [hit_codes(r) for r in singles]
    assert all(len(r.hits) <= 3 for r in answered) and hit_codes(results[2]) == ["C9028"]


def test_search_many_answers_each_text_before_reading_the_next(built_index: Path) -> None:
    """A batch streams: a caller has the first answer while the next text is not yet read."""
    pulled: list[str] = []

    def texts() -> Iterator[str]:
        for text in ("C9028", "E11.9"):
            pulled.append(text)
            yield text

    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(texts())
        first = next(batch)
        assert (hit_codes(first)[0], pulled) == ("C9028", ["C9028"])
        assert hit_codes(next(batch))[0] == "E11.9"


def test_runs_report_page_statuses_from_one_vocabulary(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    seen: list[InputStatus] = []
    report = medcodes.ingest([str(pages_dir)], root, workers=1, on_status=seen.append)
    (pages_dir / "hcpcs-C9028.txt").unlink()
    medcodes.reindex(root, on_status=seen.append)
    assert all(isinstance(status.status, medcodes.PageStatus) for status in seen)
    statuses = {status.status for status in seen}
    assert {
        medcodes.PageStatus.INDEXED,
        medcodes.PageStatus.UNCHANGED,
        medcodes.PageStatus.DELETED,
    } <= statuses
    assert report.counts[medcodes.PageStatus.INDEXED] == report.counts["indexed"] == 26
    assert json.loads(json.dumps(seen[0].to_dict()))["status"] == "indexed"
