"""A large fresh build parses and indexes on every core into shards (medcodes.index.engine.shards)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import generate_pages, live_pages

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.engine.shards import KeptDocuments
from medcodes.index.fields import KEY
from medcodes.index.reader import open_live
from medcodes.index.reindex import reindex
from medcodes.index.store import current_generation
from medcodes.index.writing import SHARDED_MIN_INPUTS
from medcodes.queries.search import Searcher

PAGES = SHARDED_MIN_INPUTS + 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards") / "pages"
    generate_pages(PAGES, out, seed=3)
    return out


def documents(root: Path) -> dict[str, str]:
    """Live documents: key -> content hash."""
    return {page.key: page.content_hash for page in live_pages(root)}


def test_sharded_build_equals_the_single_writer_build(corpus: Path, tmp_path: Path) -> None:
    sharded = ingest([str(corpus)], tmp_path / "sharded", workers=2)
    single = ingest([str(corpus)], tmp_path / "single", workers=1)
    assert sharded.counts == single.counts
    assert documents(tmp_path / "sharded") == documents(tmp_path / "single")
    segments = [p for p in current_generation(tmp_path / "sharded").path.iterdir() if p.suffix == ".seg"]
    assert len(segments) == 2  # one per worker, adopted as they are
    assert not list(current_generation(tmp_path / "sharded").path.glob("shard-*"))
    check_index(tmp_path / "sharded")
    queries = ["fracture", "risks:infection", '"blood pressure"', "J*", "encounter fracture femur"]
    with Searcher(tmp_path / "sharded") as many, Searcher(tmp_path / "single") as one:
        for query in queries:
            got = [(h.code, round(h.score, 6)) for h in many.search(query, limit=20).hits]
            want = [(h.code, round(h.score, 6)) for h in one.search(query, limit=20).hits]
            assert got == want, query


def test_duplicates_indexed_by_a_worker_are_dropped(corpus: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(corpus, pages)
    first = sorted(p for p in pages.rglob("*") if p.is_file())[0]
    shutil.copy(first, pages / f"zz-copy-{first.name}")  # read last: a duplicate of the first
    report = ingest([str(pages)], tmp_path / "ix", workers=2)
    assert report.counts["duplicate"] == 1
    live = open_live(tmp_path / "ix")
    try:
        with live.ix.searcher() as searcher:
            keys = [fields[KEY] for fields in searcher.all_stored_fields()]
            assert searcher.doc_count() == len(keys) == PAGES
            assert len(set(keys)) == len(keys)
    finally:
        live.ix.close()


def test_reindex_after_a_sharded_build_is_incremental(corpus: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(corpus, pages)
    root = tmp_path / "ix"
    ingest([str(pages)], root, workers=2)
    victim = sorted(p for p in pages.rglob("*") if p.is_file())[5]
    victim.unlink()
    report = reindex(root, workers=2)
    assert (report.counts["deleted"], report.counts["added"]) == (1, 0)
    assert len(documents(root)) == PAGES - 1


def test_kept_documents_are_kept_by_shard_and_number() -> None:
    kept = KeptDocuments()
    refs = [(7001, 0), (7001, 9), (7001, 1000), (7002, 3)]
    for ref in refs:
        kept.add(ref)
    assert all(kept.keeps(ref) for ref in refs)
    assert not any(
        kept.keeps(ref) for ref in [(7001, 1), (7001, 8), (7001, 1001), (7002, 0), (7003, 3), (7002, 99999)]
    )
