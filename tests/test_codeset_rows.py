"""codesets.sqlite answers as the pickled code-set file does: a search reads its rows by key."""

from __future__ import annotations

from pathlib import Path

import pytest

import medcodes
from medcodes.index.codeset_rows import KeyedCodeTable
from medcodes.index.codesets import code_set_lookups, read_code_sets
from medcodes.index.store import IndexCorruptError, current_generation
from medcodes.queries.search import Searcher

EXCERPTS = Path(__file__).parent / "data" / "codesets"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rows") / "ix"
    medcodes.load_code_sets(root, sorted(path for path in EXCERPTS.iterdir() if path.is_file()))
    return root


def test_keyed_rows_answer_as_the_whole_table(loaded: Path) -> None:
    generation = current_generation(loaded)
    whole = read_code_sets(generation)
    keyed = code_set_lookups(generation)
    assert isinstance(keyed, KeyedCodeTable)
    try:
        assert len(keyed) == len(whole) > 50
        assert keyed.systems() == whole.systems() == {"hcpcs", "icd10cm", "icd10pcs"}
        assert keyed.releases == whole.releases
        assert sorted(keyed, key=lambda e: (e.system, e.code)) == sorted(
            whole, key=lambda e: (e.system, e.code)
        )
        for entry in whole:
            assert keyed.get(entry.system, entry.code) == entry
            assert keyed.find(entry.code) == whole.find(entry.code)
            assert keyed.children(entry.system, entry.code) == whole.children(entry.system, entry.code)
        assert keyed.get("icd10cm", "Q99.99") is None and keyed.find("Q99.99") == []
        assert keyed.children("icd10cm", "Q99.99") == []
        assert any(keyed.children(entry.system, entry.code) for entry in whole)  # some parents
    finally:
        keyed.close()


def test_a_search_reads_statuses_by_key(loaded: Path) -> None:
    with Searcher(loaded) as searcher:
        assert isinstance(searcher.statuses.table, KeyedCodeTable)
        hit = searcher.search("W21.89XA").hits[0]
        assert (hit.code, hit.no_page, hit.status) == ("W21.89XA", True, "active")


def test_a_damaged_keyed_file_is_a_one_line_error(loaded: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "codesets.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    with pytest.raises(IndexCorruptError, match="unreadable code sets"):
        KeyedCodeTable(damaged, lambda fields, constants: None)  # type: ignore[arg-type,return-value]


def test_code_sets_loaded_without_the_keyed_file_are_read_whole(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, sorted(path for path in EXCERPTS.iterdir() if path.is_file()))
    (current_generation(root).path / "codesets.sqlite").unlink()  # as an earlier medcodes left them
    with Searcher(root) as searcher:
        assert not isinstance(searcher.statuses.table, KeyedCodeTable)
        hit = searcher.search("W21.89XA").hits[0]
        assert (hit.code, hit.no_page, hit.status) == ("W21.89XA", True, "active")
