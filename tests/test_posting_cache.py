"""Decoded postings kept between queries (index/engine/posting_cache.py) score as Whoosh does,
stay within their budget, and never cross from one generation to the next."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, age_files
from test_first_stage import QUERIES, _vocabulary

from medcodes.index.build import ingest
from medcodes.index.engine import posting_cache
from medcodes.index.engine.compile import to_whoosh
from medcodes.index.engine.posting_cache import POSTINGS, DecodedPostings, PostingCache
from medcodes.index.engine.scoring import TermAtATime
from medcodes.index.reader import open_live
from medcodes.index.reindex import reindex
from medcodes.queries.parse.syntax import parse_query
from medcodes.queries.plan.query_plan import plan_query
from medcodes.queries.search import Searcher


@pytest.fixture
def keep_every_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example pages' lists are all short: keep every one, so the cache is what is read."""
    monkeypatch.setattr(posting_cache, "KEEP_FROM", 1)
    POSTINGS.clear()
    yield
    POSTINGS.clear()


def _postings(count: int, values: bool = False) -> DecodedPostings:
    docs = np.arange(count, dtype=np.int64)
    keys = (docs << 32) + 1 if values else None
    return DecodedPostings(docs, np.ones(count), keys)


@pytest.mark.usefixtures("keep_every_list")
def test_postings_read_back_from_the_cache_score_as_whoosh(segmented_index: Path) -> None:
    live = open_live(segmented_index)
    with live.ix.searcher() as searcher:
        vocabulary = _vocabulary(live)
        for text in QUERIES:
            plan = plan_query(parse_query(text), (), vocabulary)
            flt = to_whoosh(plan.filter) if plan.filter is not None else None
            expected = searcher.search(to_whoosh(plan.query), filter=flt, limit=None)
            for _ in range(2):  # decoded, then read back
                got = TermAtATime(searcher).run(plan.query, plan.filter, 10)
                assert got.total == len(expected), text
                assert [doc for doc, _ in got.top] == [hit.docnum for hit in expected[:10]], text
                wanted = [hit.score for hit in expected[:10]]
                assert [score for _, score in got.top] == pytest.approx(wanted, rel=1e-9), text
    live.ix.close()
    assert len(POSTINGS) > 20
    assert POSTINGS.held_bytes > 0


@pytest.mark.usefixtures("keep_every_list")
def test_a_new_generation_reads_none_of_the_old_ones_postings(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    shutil.copytree(EXAMPLES, folder)
    age_files(folder)
    root = tmp_path / "ix"
    ingest([str(folder)], root, workers=1)
    with Searcher(root) as searcher:
        before = searcher.search("infusion", limit=50)
    assert len(POSTINGS) > 0
    gone = next(hit for hit in before.hits if hit.system == "hcpcs")
    removed = [path for path in folder.iterdir() if gone.code in path.name]
    assert removed
    for path in removed:
        path.unlink()
    reindex(root, workers=1)
    with Searcher(root) as searcher:  # the cache still holds the old generation's lists
        after = searcher.search("infusion", limit=50)
    assert after.total == before.total - 1
    assert gone.code not in {hit.code for hit in after.hits}


def test_the_least_recently_used_lists_go_first_when_over_budget() -> None:
    length = posting_cache.KEEP_FROM
    cache = PostingCache(budget=_postings(length).size * 4 + 1)  # four fit
    keys = [("gen", "seg", "title", f"word{i}".encode()) for i in range(6)]
    for key in keys[:4]:
        cache.put(key, _postings(length))
    assert cache.get(keys[0], positions=False) is not None  # now the most recently used
    cache.put(keys[4], _postings(length))
    cache.put(keys[5], _postings(length))
    kept = [cache.get(key, positions=False) is not None for key in keys]
    assert kept == [True, False, False, True, True, True]
    assert cache.held_bytes <= cache.budget


def test_short_lists_and_lists_over_a_quarter_of_the_budget_are_not_kept() -> None:
    cache = PostingCache(budget=10_000)
    cache.put(("g", "s", "title", b"rare"), _postings(posting_cache.KEEP_FROM - 1))
    cache.put(("g", "s", "title", b"huge"), _postings(posting_cache.KEEP_FROM + 1000))
    assert len(cache) == 0


def test_positions_are_asked_for_only_from_lists_decoded_with_them() -> None:
    cache = PostingCache()
    key = ("g", "s", "summary", b"blood")
    cache.put(key, _postings(posting_cache.KEEP_FROM))
    assert cache.get(key, positions=False) is not None
    assert cache.get(key, positions=True) is None
    cache.put(key, _postings(posting_cache.KEEP_FROM, values=True))
    found = cache.get(key, positions=True)
    assert found is not None and found.keys is not None
    assert len(cache) == 1
    with pytest.raises(ValueError):  # shared by every searcher thread: nobody may write to it
        found.docs[0] = 7


def test_a_forked_child_can_use_the_cache_whatever_the_parent_held() -> None:
    """search --queries forks its workers: a lock held by another of the parent's threads at the
    fork would leave the child waiting for ever."""
    key = ("g", "s", "title", b"fork")
    POSTINGS.put(key, _postings(posting_cache.KEEP_FROM))
    with POSTINGS._lock:  # as a searcher thread of the parent might, at the moment of the fork
        pid = os.fork()
        if pid == 0:  # the child: exits 0 once it has read the entry back
            os._exit(0 if POSTINGS.get(key, positions=False) is not None else 1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child waited for a lock its parent held")
    POSTINGS.clear()
    assert os.waitstatus_to_exitcode(status) == 0
