"""The grouping segment writer (index/engine/grouped_postings.py) writes what Whoosh writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import generate_pages
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from medcodes.index.engine.grouped_postings import GroupedSegmentWriter, open_grouped_writer
from medcodes.index.engine.schema import build_schema, page_to_document
from medcodes.index.engine.segment_writer import open_segment_writer
from medcodes.pipeline.batch import parse_inputs
from medcodes.pipeline.records import CodePage

PAGES = 120


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[CodePage]:
    out = tmp_path_factory.mktemp("grouped") / "pages"
    generate_pages(PAGES, out, seed=5)
    files = sorted(str(path) for path in out.rglob("*") if path.is_file())
    found = [outcome.page for outcome in parse_inputs(files, workers=1) if outcome.page is not None]
    assert len(found) > PAGES // 2
    return found


def write_segment(
    folder: Path, pages: list[CodePage], grouped: bool, limitmb: int
) -> tuple[dict[str, bytes], int]:
    """Index `pages` into a new index at `folder` in one segment: its files by extension, and
    how many runs the grouping writer spilled on the way."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = open_grouped_writer(ix, limitmb) if grouped else open_segment_writer(ix, limitmb)
    for page in pages:
        writer.add_document(**page_to_document(page))
    runs = len(writer._runs) if isinstance(writer, GroupedSegmentWriter) else 0
    writer.commit(merge=False)
    (segment,) = TOC.read(FileStorage(str(folder)), "MAIN").segments
    files = {}
    for path in folder.iterdir():
        if path.name.startswith(f"MAIN_{segment.segment_id()}"):
            files[path.name.rsplit(".", 1)[1]] = path.read_bytes()
    return files, runs


@pytest.mark.parametrize("limitmb", [256, 1], ids=["held", "spilled"])
def test_segment_files_equal_whooshs(pages: list[CodePage], tmp_path: Path, limitmb: int) -> None:
    want, _ = write_segment(tmp_path / "whoosh", pages, grouped=False, limitmb=256)
    got, runs = write_segment(tmp_path / "grouped", pages, grouped=True, limitmb=limitmb)
    assert (runs > 1) == (limitmb == 1)
    assert sorted(got) == sorted(want)
    for extension in want:
        assert got[extension] == want[extension], extension


def test_spilled_runs_are_removed(pages: list[CodePage], tmp_path: Path) -> None:
    write_segment(tmp_path / "ix", pages, grouped=True, limitmb=1)
    assert not list((tmp_path / "ix").rglob("*.grouped"))
    assert not [path for path in (tmp_path / "ix").iterdir() if path.is_dir()]
