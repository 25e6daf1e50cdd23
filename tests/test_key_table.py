"""Code listings from the generation's key table answer exactly what walking the key lexicon did
(index/engine/listing.py), with deleted pages, skipped keys and status filters; a generation
without a fitting table walks the lexicon."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import age_files

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.engine.key_table import KEY_TABLE_FILE, KeyTable, read_key_table
from medcodes.index.engine.listing import list_codes
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.reader import open_live
from medcodes.index.reindex import reindex
from medcodes.index.search_plan import KeySpan
from medcodes.pipeline.codes import SYSTEMS
from medcodes.queries.plan.listing import AFTER_CODES, prefix_spans, range_spans
from medcodes.queries.search import Searcher

SPANS: dict[str, list[KeySpan]] = {
    "S*": prefix_spans("S"),
    "J92*": prefix_spans("J92"),
    "J*": prefix_spans("J"),
    "stem M08": prefix_spans("M08"),
    "stem in one system": prefix_spans("I4", ("icd10cm",)),
    "range S00-T88": range_spans("S00", "T88"),
    "range of unknown system": range_spans("A", "M"),  # no system inferred: one span per system
    "range J0000-J9999": range_spans("J0000", "J9999"),
    "overlapping": prefix_spans("J") + range_spans("J0000", "J2999") + prefix_spans("J7"),
    "across systems": [KeySpan("hcpcs:T", f"icd10cm:C{AFTER_CODES}")],
    "everything": [KeySpan(f"{system}:", f"{system}:{AFTER_CODES}") for system in SYSTEMS],
    "nothing": prefix_spans("Z99"),
    "empty span": [KeySpan("icd10cm:S", "icd10cm:S")],
}


@pytest.fixture(scope="module")
def reindexed(generated_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated pages ingested, then reindexed with pages changed (a deleted document each,
    until a merge) and removed: a generation with deletions."""
    base = tmp_path_factory.mktemp("key-table")
    pages = base / "pages"
    shutil.copytree(generated_corpus, pages)
    age_files(pages)
    root = base / "ix"
    ingest([str(pages)], root, workers=1)
    files = sorted(path for path in pages.rglob("*") if path.is_file())
    for path in files[::7]:
        path.write_bytes(path.read_bytes().replace(b"the", b"this", 1))
    for path in files[3::11]:
        path.unlink()
    age_files(pages)
    report = reindex(root, [str(pages)], workers=1)
    assert report.counts["updated"] > 5 and report.counts["deleted"] > 5
    return root


def _both(
    root: Path, spans: list[KeySpan], limit: int, skip: frozenset[str], keep: Callable[[str], bool] | None
) -> tuple[tuple[list[int], dict[str, int]], tuple[list[int], dict[str, int]]]:
    live = open_live(root)
    try:
        with live.ix.reader() as reader:
            assert reader.has_deletions()
            table = read_key_table(live.generation.path, reader)
            assert table is not None
            return list_codes(reader, spans, limit, skip, keep), table.listing(spans, limit, skip, keep)
    finally:
        live.ix.close()


@pytest.mark.parametrize("spans", list(SPANS.values()), ids=list(SPANS))
@pytest.mark.parametrize("limit", [0, 1, 3, 1000])
def test_a_table_lists_and_counts_as_the_lexicon_walk(
    reindexed: Path, spans: list[KeySpan], limit: int
) -> None:
    walked, tabled = _both(reindexed, spans, limit, frozenset(), None)
    assert tabled == walked


@pytest.mark.parametrize("spans", list(SPANS.values()), ids=list(SPANS))
def test_skipped_keys_are_counted_not_listed(reindexed: Path, spans: list[KeySpan]) -> None:
    everything, _ = _both(reindexed, spans, 1000, frozenset(), None)[1]
    live = open_live(reindexed)
    with live.ix.searcher() as searcher:
        keys = [searcher.stored_fields(docnum)["key"] for docnum in everything]
    live.ix.close()
    skip = frozenset([*keys[::2], "hcpcs:NOPE"])
    for limit in (1, 2, 1000):
        walked, tabled = _both(reindexed, spans, limit, skip, None)
        assert tabled == walked
        assert not set(tabled[0]) & {everything[n] for n in range(0, len(everything), 2)}


@pytest.mark.parametrize("spans", list(SPANS.values()), ids=list(SPANS))
def test_keep_is_asked_of_the_same_keys_in_the_same_order(reindexed: Path, spans: list[KeySpan]) -> None:
    asked: dict[str, list[str]] = {"walk": [], "table": []}

    def keeper(log: list[str]) -> Callable[[str], bool]:
        def keep(key: str) -> bool:  # a status filter's stand-in: refuses some keys, tallies the asked
            log.append(key)
            return sum(key.encode()) % 3 != 0

        return keep

    live = open_live(reindexed)
    try:
        with live.ix.reader() as reader:
            table = read_key_table(live.generation.path, reader)
            assert table is not None
            skip = frozenset({"icd10cm:S24.103A", "hcpcs:J9029"})
            walked = list_codes(reader, spans, 4, skip, keeper(asked["walk"]))
            tabled = table.listing(spans, 4, skip, keeper(asked["table"]))
    finally:
        live.ix.close()
    assert tabled == walked
    assert asked["table"] == asked["walk"]


def test_a_deleted_page_is_neither_listed_nor_counted(reindexed: Path) -> None:
    live = open_live(reindexed)
    try:
        with live.ix.reader() as reader:
            table = read_key_table(live.generation.path, reader)
            assert table is not None
            every = [KeySpan(f"{system}:", f"{system}:{AFTER_CODES}") for system in SYSTEMS]
            docs, counts = table.listing(every, 10_000)
            assert sorted(docs) == [d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
            assert sum(counts.values()) == reader.doc_count() < reader.doc_count_all()
    finally:
        live.ix.close()
    check_index(reindexed)  # the table is a file of the generation, checksummed at publish


def test_searches_list_the_same_with_and_without_the_table(reindexed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ix"
    shutil.copytree(reindexed, copy)
    queries = ["S*", "J92*", "J0000-J9999", "M08", "S00-T88", "J*", "J9029 J*", "A-M"]

    def answers(root: Path) -> list[tuple[list[str], int, dict[str, int] | None]]:
        with Searcher(root) as searcher:
            found = []
            for query in queries:
                result = searcher.search(query, limit=7, facets=True)
                found.append(
                    ([f"{hit.system}:{hit.code}" for hit in result.hits], result.total, result.facets)
                )
            return found

    with_table = answers(copy)
    (open_live(copy).generation.path / KEY_TABLE_FILE).unlink()
    assert answers(copy) == with_table
    assert any(total > 7 for _, total, _ in with_table)


def test_a_table_of_other_segments_is_not_used(
    reindexed: Path, generated_corpus: Path, tmp_path: Path
) -> None:
    """An older medcodes's reindex hard-links the table of the generation it builds on, then
    changes the segments: the table records what it was made from, and is left unused."""
    other = tmp_path / "ix"
    ingest([str(generated_corpus)], other, workers=1)
    stale = open_live(reindexed).generation.path / KEY_TABLE_FILE
    live = open_live(other)
    try:
        shutil.copy(stale, live.generation.path / KEY_TABLE_FILE)
        with live.ix.reader() as reader:
            assert read_key_table(live.generation.path, reader) is None
            assert read_key_table(tmp_path, reader) is None  # no table at all
    finally:
        live.ix.close()


def test_an_empty_table_lists_nothing() -> None:
    table = KeyTable(np.array([], dtype="S1"), np.array([], dtype=np.int64))
    assert table.listing(SPANS["everything"], 10) == ([], {})


def test_page_classes_are_the_same_from_the_table(reindexed: Path) -> None:
    """Status filters class every live page by its key: from the table, or a posting list per key."""
    live = open_live(reindexed)
    try:

        def classify(key: str) -> int:
            return sum(key.encode()) % 5

        with_table = IndexSearcher(live.ix, live.generation.path)
        without = IndexSearcher(live.ix)  # no generation folder: no table
        classes = with_table.page_classes(classify)
        assert with_table._keys_in_order() is not None and without._keys_in_order() is None
        assert classes.tolist() == without.page_classes(classify).tolist()
        assert (classes == -1).sum() == with_table.doc_count_all() - with_table.doc_count() > 0
        with_table.close()
        without.close()
    finally:
        live.ix.close()


def test_a_keys_document_is_the_one_a_term_lookup_finds(reindexed: Path) -> None:
    """Re-ranking finds parent categories by key through the table: the same live page as
    Whoosh's lookup, and none for a removed page or an unknown key."""
    live = open_live(reindexed)
    try:
        with live.ix.searcher() as searcher:
            table = read_key_table(live.generation.path, searcher.reader())
            assert table is not None
            keys = [bytes(key).decode("utf-8") for key in table.keys]
            for key in keys:
                assert table.docnum(key) == searcher.document_number(key=key)
            gone = [
                searcher.stored_fields(doc)["key"]
                for doc in range(searcher.doc_count_all())
                if searcher.reader().is_deleted(doc)
            ]
            removed = set(gone) - set(keys)  # removed pages, not changed ones (those live on)
            assert removed
            for key in removed:
                assert table.docnum(key) is None and searcher.document_number(key=key) is None
            assert table.docnum("hcpcs:NOPE") is None
            assert table.docnum(keys[-1] + "0") is None
    finally:
        live.ix.close()
