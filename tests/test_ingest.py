"""Ingest end to end on real files and real Whoosh indexes on disk."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import live_pages, write_lock_holder

from medcodes.index.build import ingest
from medcodes.index.lock import IndexBusyError
from medcodes.index.reader import find_pages, index_stats, open_live
from medcodes.index.store import CURRENT_FILE, IndexMissingError, current_generation
from medcodes.index.writing import IN_PROCESS_MAX, SHARDED_MIN_INPUTS
from medcodes.pipeline import batch
from medcodes.pipeline.batch import Outcome
from medcodes.pipeline.sources import InputError, RawPage


def _statuses(pages: Path, root: Path, **options: object) -> list:
    seen: list = []
    ingest([str(pages)], root, on_status=seen.append, **options)  # type: ignore[arg-type]
    return seen


def test_every_example_is_indexed(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    statuses = _statuses(pages_dir, root, workers=1)
    assert len(statuses) == 26
    assert {s.status for s in statuses} == {"indexed"}
    stats = index_stats(root)
    assert stats["pages"] == 26
    assert stats["pages_by_system"] == {"cpt": 6, "hcpcs": 14, "icd10cm": 6}
    assert stats["size_bytes"] > 0


def _parsing_processes(monkeypatch: pytest.MonkeyPatch, log: Path) -> Callable[[], list[int]]:
    """Record the id of the process that parses each page (pool workers are forked, so they
    inherit the wrapper); returns a function that reads the ids recorded so far."""
    parse = batch.parse_raw

    def recording(raw: RawPage, max_bytes: int, time_limit: float | None = None) -> Outcome:
        with open(log, "a") as out:
            out.write(f"{os.getpid()}\n")
        return parse(raw, max_bytes, time_limit)

    monkeypatch.setattr(batch, "parse_raw", recording)
    return lambda: [int(line) for line in log.read_text().split()] if log.exists() else []


def test_parallel_parse_gives_the_same_index(
    pages_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough inputs to go to the process pool (a second copy of every page, whose pages are
    duplicates: which copy is kept depends on the input order being kept), too few to shard."""
    if batch.process_context().get_start_method() != "fork":
        pytest.skip("the parsing processes are recorded by a wrapper that only forked workers inherit")
    shutil.copytree(pages_dir, pages_dir / "again")
    inputs = sum(path.is_file() for path in pages_dir.rglob("*"))
    assert IN_PROCESS_MAX < inputs < SHARDED_MIN_INPUTS
    parsed_by = _parsing_processes(monkeypatch, tmp_path / "pids")
    serial = _statuses(pages_dir, tmp_path / "one", workers=1)
    assert parsed_by() == [os.getpid()] * inputs
    parallel = _statuses(pages_dir, tmp_path / "two", workers=2)
    assert len(parsed_by()) == 2 * inputs and os.getpid() not in parsed_by()[inputs:]
    assert [(s.source, s.status, s.code, s.reason) for s in serial] == [
        (s.source, s.status, s.code, s.reason) for s in parallel
    ]
    assert Counter(s.status for s in parallel) == {"indexed": 26, "duplicate": 26}
    assert live_pages(tmp_path / "one") == live_pages(tmp_path / "two")


def test_bad_pages_are_reported_and_the_rest_indexed(pages_dir: Path, tmp_path: Path) -> None:
    (pages_dir / "empty.txt").write_bytes(b"")
    (pages_dir / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (pages_dir / "broken.txt.gz").write_bytes(gzip.compress(b"Search all medical codes\n" * 50)[:40])
    (pages_dir / "notes.txt").write_text("Shopping list\nMilk\nEggs\n")
    statuses = {Path(s.source).name: s for s in _statuses(pages_dir, tmp_path / "ix", workers=2)}
    assert statuses["empty.txt"].reason == "empty file"
    assert "binary" in statuses["logo.png"].reason
    assert "gzip" in statuses["broken.txt.gz"].reason
    assert statuses["notes.txt"].status == "rejected"
    assert sum(s.status == "indexed" for s in statuses.values()) == 26


def test_gzip_pages_are_read(pages_dir: Path, tmp_path: Path) -> None:
    seed = pages_dir / "hcpcs-C9028.txt"
    (pages_dir / "hcpcs-C9028.txt.gz").write_bytes(gzip.compress(seed.read_bytes()))
    seed.unlink()
    statuses = _statuses(pages_dir, tmp_path / "ix", workers=1)
    assert ("hcpcs:C9028", "indexed") in {(s.code, s.status) for s in statuses}


def test_same_code_twice_in_one_run_is_one_document(pages_dir: Path, tmp_path: Path) -> None:
    (pages_dir / "copy").mkdir()
    (pages_dir / "copy" / "hcpcs-C9028.txt").write_bytes((pages_dir / "hcpcs-C9028.txt").read_bytes())
    statuses = _statuses(pages_dir, tmp_path / "ix", workers=1)
    duplicates = [s for s in statuses if s.status == "duplicate"]
    assert len(duplicates) == 1
    assert duplicates[0].code == "hcpcs:C9028"
    assert duplicates[0].reason.startswith("same page as")
    assert index_stats(tmp_path / "ix")["pages"] == 26


def test_ingesting_again_replaces_pages_and_publishes_a_new_generation(
    pages_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ix"
    _statuses(pages_dir, root, workers=1)
    first = current_generation(root)
    seed = pages_dir / "hcpcs-C9028.txt"
    seed.write_text(seed.read_text(encoding="utf-8").replace("Fever", "Shivering"), encoding="utf-8")
    ingest([str(seed)], root, workers=1)
    second = current_generation(root)
    assert second.number == first.number + 1
    # The generation live before the switch stays for readers that just read CURRENT...
    assert first.path.exists()
    seed.write_text(seed.read_text(encoding="utf-8").replace("Shivering", "Chills"), encoding="utf-8")
    ingest([str(seed)], root, workers=1)
    # ...until the next publish removes it.
    assert not first.path.exists() and second.path.exists()
    live = open_live(root)
    try:
        assert live.meta["doc_count"] == 26
        [page] = find_pages(live.ix, "c9028")
        assert "Chills" in page.section("risks").text
    finally:
        live.ix.close()


def test_missing_input_path_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        ingest([str(tmp_path / "nope")], tmp_path / "ix")
    with pytest.raises(InputError, match="no files match"):
        ingest([str(tmp_path / "*.html")], tmp_path / "ix")
    assert not (tmp_path / "ix" / CURRENT_FILE).exists()
    with pytest.raises(IndexMissingError):
        open_live(tmp_path / "ix")


def test_report_lines_account_for_every_input(pages_dir: Path, tmp_path: Path) -> None:
    (pages_dir / "empty.txt").write_bytes(b"")
    statuses = _statuses(pages_dir, tmp_path / "ix", workers=1)
    lines = [json.dumps(s.to_dict()) for s in statuses]
    assert len(lines) == 27
    assert all(set(json.loads(line)) == {"path", "status", "reason", "code"} for line in lines)


def test_a_second_writer_is_refused_naming_the_holder(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    with (
        write_lock_holder(root) as holder,
        pytest.raises(IndexBusyError, match=rf"pid {holder.pid} on .+ since "),
    ):
        ingest([str(pages_dir)], root, workers=1, wait=0.2)
    # The kernel released the killed holder's lock: the next writer proceeds.
    assert ingest([str(pages_dir)], root, workers=1, wait=1).counts["indexed"] == 26
