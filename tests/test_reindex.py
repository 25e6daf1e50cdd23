"""Incremental reindex on real files and real Whoosh indexes: what changes, what does not."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, age_files, live_pages, remove_pages

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.engine.writer import MERGE_FACTOR
from medcodes.index.fields import RECORD
from medcodes.index.manifest import load_manifest
from medcodes.index.reader import open_live
from medcodes.index.record_codec import decode_record
from medcodes.index.reindex import reindex
from medcodes.index.store import (
    META_FILE,
    IndexMissingError,
    NoSourcesError,
    SchemaMismatchError,
    current_generation,
)
from medcodes.index.sync import group_by_input
from medcodes.pipeline.batch import Outcome
from medcodes.pipeline.sources import InputError


def indexed(root: Path) -> dict[str, tuple[str, str]]:
    """Every live document of the index: key -> (content hash, source)."""
    return {page.key: (page.content_hash, page.source) for page in live_pages(root)}


def whoosh_files(root: Path) -> dict[str, int]:
    """Segment and TOC files of the live generation -> inode."""
    path = current_generation(root).path
    return {p.name: p.stat().st_ino for p in path.iterdir() if p.name.startswith(("_MAIN", "MAIN"))}


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    age_files(path.parent)


def test_a_second_run_changes_nothing_and_publishes_nothing(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    before = current_generation(root)
    report = reindex(root, workers=1)
    assert report.to_dict() | {"seconds": 0} == {
        "added": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 26,
        "duplicates": 0,
        "rejected": 0,
        "unreadable": 0,
        "skipped": 0,
        "seconds": 0,
        "pages": 26,
        "full": False,
        "full_reason": None,
        "changed": False,
        "index": str(root),
        "generation": before.path.name,
        "dry_run": False,
        "would_stop": None,
    }
    assert not report.published
    assert current_generation(root) == before


def test_changes_are_added_updated_and_deleted(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    edit(pages_dir / "hcpcs-C9028.txt", "Fever", "Shivering")
    (pages_dir / "icd10cm-I10.html").unlink()
    shutil.copy(pages_dir / "hcpcs-E0135.txt", pages_dir / "hcpcs-E0136.txt")
    age_files(pages_dir)
    statuses: list = []
    report = reindex(root, workers=1, on_status=statuses.append)
    counts = report.to_dict()
    assert (counts["added"], counts["updated"], counts["deleted"], counts["unchanged"]) == (1, 1, 1, 24)
    changed = {(s.status, s.code) for s in statuses if s.status != "unchanged"}
    assert changed == {("updated", "hcpcs:C9028"), ("added", "hcpcs:E0136"), ("deleted", "icd10cm:I10")}
    assert len(statuses) == 27  # every page of the sources, plus the deleted key
    state = indexed(root)
    assert "icd10cm:I10" not in state and "hcpcs:E0136" in state and len(state) == 26
    live = open_live(root)
    try:
        with live.ix.searcher() as searcher:
            assert searcher.document(key="hcpcs:C9028") is not None
            assert (
                "Shivering"
                in decode_record(searcher.document(key="hcpcs:C9028")[RECORD]).section("risks").text
            )
    finally:
        live.ix.close()
    assert reindex(root, workers=1).changed is False


def test_incremental_result_equals_a_full_ingest(generated_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(generated_dir)], root, workers=2)
    files = sorted(p for p in generated_dir.rglob("*") if p.is_file())
    for path in files[:7]:
        edit(path, "This page describes", "This revised page describes")
    remove_pages(files[7:12])
    (files[12].parent / "copy").mkdir()
    shutil.copy(files[12], files[12].parent / "copy" / files[12].name)  # a duplicate key
    age_files(generated_dir)
    reindex(root, workers=2)
    fresh = tmp_path / "fresh"
    ingest([str(generated_dir)], fresh, workers=1)
    assert indexed(root) == indexed(fresh)
    check_index(root)


def test_unchanged_files_are_not_read(pages_dir: Path, tmp_path: Path) -> None:
    """Same size and mtime: the file is not even read, so a same-size edit that keeps the mtime
    goes unnoticed — until --full reads everything."""
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    page = pages_dir / "hcpcs-C9028.txt"
    stat = page.stat()
    page.write_bytes(page.read_bytes().replace(b"Fever", b"Fewer"))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert reindex(root, workers=1).changed is False
    full = reindex(root, workers=1, full=True)
    assert (full.counts["updated"], full.full_reason) == (1, "asked for")


def test_a_touched_file_is_hashed_not_parsed(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    segments = whoosh_files(root)
    page = pages_dir / "hcpcs-C9028.txt"
    os.utime(page, (page.stat().st_atime - 5, page.stat().st_mtime - 5))
    report = reindex(root, workers=1)
    assert not report.changed and report.counts["unchanged"] == 26
    assert report.published  # the manifest learned the new mtime, for the next run
    assert whoosh_files(root) == segments  # the very same segment files, hard-linked
    entry = load_manifest(current_generation(root))[str(page)]
    assert entry.mtime_ns == page.stat().st_mtime_ns
    assert not reindex(root, workers=1).published


def test_a_key_produced_by_two_files_survives_the_deletion_of_one(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    (pages_dir / "zz-mirror").mkdir()
    mirror = pages_dir / "zz-mirror" / "hcpcs-C9028.txt"
    shutil.copy(pages_dir / "hcpcs-C9028.txt", mirror)
    edit(mirror, "Fever", "Mirrored fever")
    statuses: list = []
    ingest([str(pages_dir)], root, workers=1, on_status=statuses.append)
    assert [s.source for s in statuses if s.status == "duplicate"] == [str(mirror)]
    assert indexed(root)["hcpcs:C9028"][1] == str(pages_dir / "hcpcs-C9028.txt")

    (pages_dir / "hcpcs-C9028.txt").unlink()
    report = reindex(root, workers=1)
    assert (report.counts["updated"], report.counts["deleted"]) == (1, 0)
    assert indexed(root)["hcpcs:C9028"][1] == str(mirror)  # the unchanged mirror was read again

    remove_pages([mirror])  # and its folder, left empty: an empty folder keeps its pages
    report = reindex(root, workers=1)
    assert report.counts["deleted"] == 1 and "hcpcs:C9028" not in indexed(root)
    check_index(root)


def test_a_changed_duplicate_does_not_replace_the_indexed_page(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    (pages_dir / "zz-mirror").mkdir()
    mirror = pages_dir / "zz-mirror" / "hcpcs-C9028.txt"
    shutil.copy(pages_dir / "hcpcs-C9028.txt", mirror)
    age_files(pages_dir)
    ingest([str(pages_dir)], root, workers=1)
    edit(mirror, "Fever", "Mirrored fever")
    report = reindex(root, workers=1)
    assert report.counts["duplicate"] == 1 and not report.changed
    assert indexed(root)["hcpcs:C9028"][1] == str(pages_dir / "hcpcs-C9028.txt")


def test_a_file_whose_page_changes_code_moves_the_key(tmp_path: Path, pages_dir: Path) -> None:
    root = tmp_path / "ix"
    folder = tmp_path / "one"
    folder.mkdir()
    page = folder / "procedure-page.txt"  # no code in the file name: the text names it
    page.write_bytes((pages_dir / "hcpcs-C9028.txt").read_bytes())
    age_files(folder)
    ingest([str(folder)], root, workers=1)
    assert set(indexed(root)) == {"hcpcs:C9028"}
    edit(page, "(C9028)", "(J9229)")
    report = reindex(root, workers=1)
    assert (report.counts["added"], report.counts["deleted"]) == (1, 1)
    assert set(indexed(root)) == {"hcpcs:J9229"}


def test_sources_default_to_the_recorded_ones_and_paths_replace_them(
    pages_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ix"
    monkeypatch.chdir(tmp_path)  # relative paths are recorded absolute
    ingest(["pages"], root, workers=1)
    meta = current_generation(root).read_meta()
    assert meta["sources"] == [str(pages_dir)]
    monkeypatch.chdir(pages_dir)
    assert not reindex(root, workers=1).changed  # from another directory: same files
    subset = pages_dir / "site"
    report = reindex(root, [str(subset)], workers=1)
    assert (report.counts["deleted"], report.doc_count) == (24, 2)
    assert current_generation(root).read_meta()["sources"] == [str(subset)]


def test_reindex_creates_a_missing_index_from_paths(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    with pytest.raises(IndexMissingError):
        reindex(root)
    report = reindex(root, [str(pages_dir)], workers=1)
    assert (report.full_reason, report.counts["added"], report.doc_count) == ("new index", 26, 26)


def test_a_killed_writers_leftovers_are_removed_by_the_next(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    live = current_generation(root)
    leftover = root / f"gen-{live.number + 1:06d}"
    shutil.copytree(live.path, leftover)  # as a writer killed before its publish leaves it
    assert not reindex(root, workers=1).published
    assert not leftover.exists() and current_generation(root) == live


def test_errors_leave_the_index_untouched(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    before = current_generation(root)
    shutil.rmtree(pages_dir)
    with pytest.raises(InputError, match="no such file or folder"):
        reindex(root)  # a vanished source folder is an error, not "delete everything"
    with pytest.raises(InputError, match="standard input"):
        reindex(root, ["-"])
    assert current_generation(root) == before and len(indexed(root)) == 26


def test_no_recorded_sources(tmp_path: Path, pages_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    live = current_generation(root)
    meta = json.loads((live.path / META_FILE).read_text())
    (live.path / META_FILE).write_text(json.dumps(meta | {"sources": []}))
    with pytest.raises(NoSourcesError, match="name the folders"):
        reindex(root)


@pytest.mark.parametrize(
    "damage", ["schema", "manifest", "garbage"], ids=["schema-changed", "no-manifest", "garbage-manifest"]
)
def test_full_rebuild_when_the_index_cannot_be_updated(pages_dir: Path, tmp_path: Path, damage: str) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    live = current_generation(root)
    if damage == "schema":
        meta = json.loads((live.path / META_FILE).read_text())
        (live.path / META_FILE).write_text(json.dumps(meta | {"schema_version": 0}))
        with pytest.raises(SchemaMismatchError, match="reindex --full"):
            ingest([str(pages_dir)], root, workers=1)
    elif damage == "manifest":
        (live.path / "manifest.jsonl").unlink()
    else:
        (live.path / "manifest.jsonl").write_text('{"manifest_version": 1}\n["truncated')
    report = reindex(root, workers=1)
    reasons = {"schema": "schema version 0", "manifest": "the index has no", "garbage": "unreadable manifest"}
    assert report.full_reason.startswith(reasons[damage])
    assert report.doc_count == 26 and report.published
    check_index(root)
    assert not reindex(root, workers=1).changed


def test_incremental_generations_share_unchanged_files(pages_dir: Path, tmp_path: Path) -> None:
    """Whoosh never rewrites a segment file, so hard links are safe: the previous generation
    reads back byte for byte after the next one was built from links to it."""
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    first = current_generation(root)
    digests = {p.name: p.read_bytes() for p in first.path.iterdir()}
    edit(pages_dir / "hcpcs-C9028.txt", "Fever", "Shivering")
    reindex(root, workers=1)
    second = current_generation(root)
    assert {p.name: p.read_bytes() for p in first.path.iterdir()} == digests
    shared = [p for p in second.path.iterdir() if p.stat().st_nlink > 1]
    assert any(p.suffix == ".seg" for p in shared)
    assert not (second.path / "MAIN_WRITELOCK").exists()


def test_small_commits_do_not_pile_up_segments(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    page = pages_dir / "hcpcs-C9028.txt"
    for run in range(MERGE_FACTOR + 2):
        edit(page, "Fever" if run == 0 else f"Fever{run - 1}", f"Fever{run}")
        assert reindex(root, workers=1).counts["updated"] == 1
    segments = [name for name in whoosh_files(root) if name.endswith(".seg")]
    assert len(segments) < MERGE_FACTOR
    assert len(indexed(root)) == 26
    check_index(root)


def test_outcomes_are_grouped_by_the_input_they_came_from() -> None:
    """Container pages name their input, then "#name" or ":line" (medcodes.pipeline.sources); an input
    whose name extends another's is its own input."""
    inputs = ["/d/a.txt", "/d/a.txt.gz", "/d/crawl.warc.gz", "/d/empty.zip", "/d/export.jsonl"]
    sources = [
        "/d/a.txt",
        "/d/a.txt.gz",
        "/d/crawl.warc.gz#https://x/code/hcpcs/C9028",
        "/d/crawl.warc.gz#https://x/code/hcpcs/J9229",
        "/d/empty.zip",
        "/d/export.jsonl:1",
        "/d/export.jsonl:2",
    ]
    groups = group_by_input(inputs, [Outcome(source, None, "r") for source in sources])
    assert [(path, [o.source for o in outcomes]) for path, outcomes in groups] == [
        ("/d/a.txt", ["/d/a.txt"]),
        ("/d/a.txt.gz", ["/d/a.txt.gz"]),
        ("/d/crawl.warc.gz", sources[2:4]),
        ("/d/empty.zip", ["/d/empty.zip"]),
        ("/d/export.jsonl", sources[5:]),
    ]
    with pytest.raises(ValueError, match="comes from none of the inputs"):
        list(group_by_input(["/d/a.txt"], [Outcome("/elsewhere.txt", None)]))


def test_a_page_waiting_on_its_keys_owner_is_recorded_as_decided(tmp_path: Path) -> None:
    """A changed input read before the changed input that owns its key waits for that owner;
    the manifest records what was decided then, not the placeholder it held while waiting."""
    pages = tmp_path / "pages"
    (pages / "d1").mkdir(parents=True)
    (pages / "d2").mkdir()
    shutil.copy(EXAMPLES / "hcpcs-A0427.txt", pages / "d1")
    shutil.copy(EXAMPLES / "cpt4-71046.txt", pages / "d2")
    age_files(pages, 120)
    ingest([str(pages)], tmp_path / "ix")
    (pages / "d1" / "hcpcs-A0427.txt").unlink()
    shutil.copy(EXAMPLES / "cpt4-71046.txt", pages / "d1")  # now also cpt:71046, owned by d2's
    shutil.copy(EXAMPLES / "hcpcs-A0427.txt", pages / "d2" / "cpt4-71046.txt")  # changed, same key
    age_files(pages, 60)
    statuses = []
    reindex(tmp_path / "ix", on_status=statuses.append)
    (waiting,) = [s for s in statuses if s.source.endswith("d1/cpt4-71046.txt")]
    manifest = load_manifest(current_generation(tmp_path / "ix"))
    assert manifest is not None
    (entry,) = manifest[str(pages / "d1" / "cpt4-71046.txt")].pages
    assert (entry.state, entry.reason) == (waiting.status, waiting.reason)
    assert entry.reason.startswith("same code, other content as ")
