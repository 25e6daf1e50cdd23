"""Nothing lost, ever (issue 11, items 1-6): what ingest and reindex could not read, they keep.

Real folders, real indexes, real processes. Permission tests run the command as the user
`nobody` (tests/unprivileged.py), since file permissions do not stop root.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, age_files, as_user, live_pages, remove_pages, write_lock_holder

from medcodes.cli import cli
from medcodes.index.build import ingest, skip_index_folders
from medcodes.index.check import check_index
from medcodes.index.guard import DeleteLimit, MassDeleteError, parse_delete_limit
from medcodes.index.reindex import reindex
from medcodes.index.store import MANIFEST_FILE, META_FILE, IndexCorruptError, current_generation
from medcodes.index.writing import SHARDED_MIN_INPUTS
from medcodes.pipeline.sources import InputError, InputReadError, find_inputs, read_page

MEDCODES = [sys.executable, "-m", "medcodes"]


def run(runner: CliRunner, *args: str, **kwargs: object):
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)  # type: ignore[arg-type]


def keys(root: Path) -> set[str]:
    return {page.key for page in live_pages(root)}


def report_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- 1. what cannot be read is reported and keeps its pages ---------------------------------


def test_an_unreadable_source_folder_deletes_nothing(user_dir: Path) -> None:
    pages, index, report = user_dir / "pages", user_dir / "ix", user_dir / "report.jsonl"
    assert as_user("ingest", str(pages), "--index", str(index), "-q").returncode == 0
    before = current_generation(index)
    pages.chmod(0)
    result = as_user("reindex", "--index", str(index), "--report", str(report))
    assert result.returncode == 1, result.stderr
    assert "unreadable 1" in result.stderr and "Traceback" not in result.stderr
    [line] = [line for line in report_lines(report) if line["status"] == "unreadable"]
    assert line["path"] == str(pages) and "Permission denied" in line["reason"]
    assert len(keys(index)) == 26
    # Nothing changed but the report: no new generation to publish.
    assert current_generation(index) == before
    pages.chmod(0o755)
    again = as_user("reindex", "--index", str(index))
    assert again.returncode == 0 and "nothing changed" in again.stderr


def test_an_unreadable_subfolder_is_reported_by_ingest_and_kept_by_reindex(user_dir: Path) -> None:
    pages, index, report = user_dir / "pages", user_dir / "ix", user_dir / "report.jsonl"
    locked = pages / "site"  # holds two of the 26 pages
    locked.chmod(0)
    result = as_user("ingest", str(pages), "--index", str(index), "-v", "--report", str(report))
    assert result.returncode == 1
    assert "indexed 24, duplicates 0, rejected 0, unreadable 1 of 25 inputs" in result.stderr
    assert f"unreadable: {locked}: cannot list folder: Permission denied" in result.stderr
    assert [line["path"] for line in report_lines(report) if line["status"] == "unreadable"] == [str(locked)]
    lone = as_user("ingest", str(locked), "--index", str(index))
    assert lone.returncode == 1 and "unreadable 1 of 1 input in" in lone.stderr

    locked.chmod(0o755)
    assert as_user("reindex", "--index", str(index), "-q").returncode == 0
    assert len(keys(index)) == 26
    locked.chmod(0)
    result = as_user("reindex", "--index", str(index))
    assert result.returncode == 1 and "deleted 0" in result.stderr and "unreadable 1" in result.stderr
    assert len(keys(index)) == 26


def test_an_unreadable_file_keeps_its_pages(user_dir: Path) -> None:
    pages, index, report = user_dir / "pages", user_dir / "ix", user_dir / "report.jsonl"
    assert as_user("ingest", str(pages), "--index", str(index), "-q").returncode == 0
    page = pages / "hcpcs-C9028.txt"
    os.utime(page, (page.stat().st_atime, page.stat().st_mtime - 5))  # changed: read again
    page.chmod(0)
    result = as_user("reindex", "--index", str(index), "--report", str(report))
    assert result.returncode == 1
    assert "deleted 0" in result.stderr and "unreadable 1" in result.stderr
    statuses = {line["path"]: line["status"] for line in report_lines(report)}
    assert statuses[str(page)] == "unreadable"
    assert "hcpcs:C9028" in keys(index)
    # A full rebuild cannot rebuild what it cannot read: it stops and keeps the live index.
    before = current_generation(index)
    full = as_user("reindex", "--index", str(index), "--full")
    assert full.returncode == 1
    assert full.stderr.startswith("Error: ") and full.stderr.count("\n") == 1
    assert "cannot be read" in full.stderr
    assert current_generation(index) == before and "hcpcs:C9028" in keys(index)
    ingested = as_user("ingest", str(page), "--index", str(index))
    assert ingested.returncode == 1 and "unreadable 1" in ingested.stderr
    assert "hcpcs:C9028" in keys(index)


def test_an_unreadable_file_in_a_parallel_build_is_reported(user_dir: Path, generated_corpus: Path) -> None:
    """A fresh build of many inputs is parsed and indexed by a pool of workers (medcodes.index.engine.shards):
    an input a worker cannot read is reported the same way."""
    pages, index = user_dir / "many", user_dir / "ix"
    for copy in ("a", "b"):
        shutil.copytree(generated_corpus, pages / copy)
    files = sorted(p for p in pages.rglob("*") if p.is_file())
    assert len(files) >= SHARDED_MIN_INPUTS
    if os.geteuid() == 0:
        for path in [pages, *pages.rglob("*")]:
            os.chown(path, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    files[0].chmod(0)
    result = as_user("ingest", str(pages), "--index", str(index), "--workers", "2", "-v")
    assert result.returncode == 1, result.stderr
    assert f"unreadable: {files[0]}: cannot read: Permission denied" in result.stderr
    assert f"unreadable 1 of {len(files)} inputs" in result.stderr


def test_an_emptied_folder_or_a_vanished_mount_point_deletes_nothing(
    runner: CliRunner, pages_dir: Path, tmp_path: Path
) -> None:
    index, report = tmp_path / "ix", tmp_path / "report.jsonl"
    other = tmp_path / "other"
    other.mkdir()
    shutil.move(pages_dir / "hcpcs-C9028.txt", other)
    shutil.move(pages_dir / "hcpcs-E0135.txt", other)
    assert run(runner, "ingest", str(pages_dir), str(other), "--index", str(index), "-q").exit_code == 0
    aside = tmp_path / "aside"
    shutil.move(pages_dir, aside)
    pages_dir.mkdir()  # an unmounted mount point is an empty folder
    (other / "hcpcs-C9028.txt").unlink()  # a real change elsewhere is still applied
    result = run(runner, "reindex", "--index", str(index), "--report", str(report))
    assert result.exit_code == 1
    assert "deleted 1" in result.stderr and "unreadable 1" in result.stderr
    [line] = [line for line in report_lines(report) if line["status"] == "unreadable"]
    assert line["path"] == str(pages_dir) and "empty" in line["reason"]
    assert len(keys(index)) == 25
    pages_dir.rmdir()
    shutil.move(aside, pages_dir)
    assert run(runner, "reindex", "--index", str(index)).exit_code == 0
    assert len(keys(index)) == 25


# --- 2. the deletion guard and --dry-run -----------------------------------------------------


def test_a_mass_deletion_stops_before_touching_the_index(
    runner: CliRunner, generated_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    ingest([str(generated_dir)], index, workers=1)
    total = len(keys(index))
    files = sorted(p for p in generated_dir.rglob("*") if p.is_file())
    remove_pages(files[:60])
    before = current_generation(index)
    with pytest.raises(MassDeleteError, match=f"would delete 60 of {total} pages"):
        reindex(index, workers=1)
    assert current_generation(index) == before and len(keys(index)) == total

    result = run(runner, "reindex", "--index", str(index))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: reindex would delete 60 of {total} pages")
    assert "--allow-mass-delete" in result.stderr and result.stderr.count("\n") == 1

    dry = run(runner, "reindex", "--index", str(index), "--dry-run", "--json")
    assert dry.exit_code == 1  # as the real run: a scheduled dry run fails where the run would
    summary = json.loads(dry.stdout)
    assert summary["deleted"] == 60 and summary["dry_run"] is True
    assert summary["would_stop"].startswith(f"would delete 60 of {total} pages")
    assert "dry run" in dry.stderr and "would delete 60" in dry.stderr
    assert current_generation(index) == before and len(keys(index)) == total

    assert run(runner, "reindex", "--index", str(index), "--max-delete", "59").exit_code == 1
    assert run(runner, "reindex", "--index", str(index), "--max-delete", "10%").exit_code == 1
    assert run(runner, "reindex", "--index", str(index), "--max-delete", "60").exit_code == 0
    assert len(keys(index)) == total - 60


def test_allow_mass_delete_and_the_default_limit(
    runner: CliRunner, generated_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    ingest([str(generated_dir)], index, workers=1)
    files = sorted(p for p in generated_dir.rglob("*") if p.is_file())
    remove_pages(files[:51])
    assert run(runner, "reindex", "--index", str(index)).exit_code == 1
    result = run(runner, "reindex", "--index", str(index), "--allow-mass-delete")
    assert result.exit_code == 0 and "deleted 51" in result.stderr


@pytest.mark.parametrize(
    ("text", "deleted", "pages", "stops"),
    [
        ("", 50, 100, False),  # the default: more than 50 pages ...
        ("", 51, 1000, False),  # ... and more than 10% of them
        ("", 51, 500, True),
        ("5", 6, 10_000, True),
        ("5", 5, 10, False),
        ("25%", 26, 100, True),
        ("25%", 25, 100, False),
    ],
    ids=["default-50", "default-5pct", "default-both", "count", "count-ok", "share", "share-ok"],
)
def test_delete_limits(text: str, deleted: int, pages: int, stops: bool) -> None:
    limit = parse_delete_limit(text) if text else DeleteLimit()
    assert limit.exceeded(deleted, pages) is stops


@pytest.mark.parametrize("text", ["x", "-1", "150%", "1.5"])
def test_bad_delete_limits_are_usage_errors(runner: CliRunner, text: str, tmp_path: Path) -> None:
    result = run(runner, "reindex", "--index", str(tmp_path), "--max-delete", text)
    assert result.exit_code == 2 and "--max-delete" in result.stderr


def test_dry_run_writes_nothing(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    ingest([str(pages_dir)], index, workers=1)
    (pages_dir / "icd10cm-I10.html").unlink()
    shutil.copy(pages_dir / "hcpcs-E0135.txt", pages_dir / "hcpcs-E0136.txt")
    age_files(pages_dir)
    names = sorted(p.name for p in index.rglob("*"))
    result = run(runner, "reindex", "--index", str(index), "--dry-run", "-v")
    assert result.exit_code == 0
    assert "reindex (dry run): would add 1, update 0, delete 1" in result.stderr
    assert "deleted: " in result.stderr and "icd10cm:I10" in result.stderr
    assert sorted(p.name for p in index.rglob("*")) == names


# --- 3. ingest never deletes what it was not asked about ------------------------------------


def ingest_stdin(index: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    command = [*MEDCODES, "ingest", "-", "--index", str(index)]
    return subprocess.run(command, input=data.decode("utf-8"), capture_output=True, text=True, cwd=ROOT)


def test_stdin_ingests_add_up(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    for name in ("hcpcs-C9028.txt", "hcpcs-E0135.txt", "icd10cm-E11.9.txt"):
        assert ingest_stdin(index, (EXAMPLES / name).read_bytes()).returncode == 0
    assert keys(index) == {"hcpcs:C9028", "hcpcs:E0135", "icd10cm:E11.9"}
    empty = ingest_stdin(index, b"")
    assert empty.returncode == 3 and "deleted" not in empty.stderr
    assert keys(index) == {"hcpcs:C9028", "hcpcs:E0135", "icd10cm:E11.9"}
    again = ingest_stdin(index, (EXAMPLES / "hcpcs-C9028.txt").read_bytes().replace(b"Fever", b"Chills"))
    assert again.returncode == 0 and len(keys(index)) == 3


def test_an_ingest_that_deletes_says_so(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    page = tmp_path / "procedure-page.txt"  # no code in its name: its text names it
    page.write_bytes((pages_dir / "hcpcs-C9028.txt").read_bytes())
    assert run(runner, "ingest", str(page), "--index", str(index)).exit_code == 0
    page.write_bytes(page.read_bytes().replace(b"(C9028)", b"(J9229)"))
    result = run(runner, "ingest", str(page), "--index", str(index), "-v")
    assert result.exit_code == 0
    assert "deleted 1" in result.stderr and "deleted: " in result.stderr and "hcpcs:C9028" in result.stderr
    assert keys(index) == {"hcpcs:J9229"}


# --- 4. an index inside the source folder is not read as pages ------------------------------


def test_an_index_inside_the_source_folder_is_skipped(pages_dir: Path) -> None:
    def ingest_here(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*MEDCODES, "ingest", ".", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=pages_dir, env=os.environ)

    for _ in range(2):
        result = ingest_here("-v")
        assert result.returncode == 0, result.stderr
        assert "rejected 0" in result.stderr
    assert "skipped 1 of 27 inputs" in result.stderr  # the index, reported as such
    assert f"skipped: {pages_dir / 'medcodes-index'}: a medcodes index" in result.stderr
    other = ingest_here("--index", str(pages_dir.parent / "elsewhere"))  # another index's folder too
    assert other.returncode == 0 and "rejected 0, skipped 1 of 27 inputs" in other.stderr
    reindexed = subprocess.run(
        [*MEDCODES, "reindex", "--index", "medcodes-index"], capture_output=True, text=True, cwd=pages_dir
    )
    assert reindexed.returncode == 0, reindexed.stderr
    assert "added 0, updated 0, deleted 0, unchanged 26" in reindexed.stderr
    assert "skipped 1" in reindexed.stderr


# --- 5. special files are skipped, never opened ----------------------------------------------


def test_special_files_are_skipped_with_a_reason(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    os.mkfifo(pages_dir / "pipe.txt")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(pages_dir / "sock.html"))
    (pages_dir / "zero.txt").symlink_to("/dev/zero")  # a device: endless bytes
    report, index = tmp_path / "report.jsonl", tmp_path / "ix"
    try:
        command = [*MEDCODES, "ingest", str(pages_dir), "--index", str(index), "--report", str(report), "-v"]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
        named = [
            subprocess.run(
                [*MEDCODES, "ingest", str(pages_dir / name), "--index", str(tmp_path / "named")],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=120,
            )
            for name in ("pipe.txt", "zero.txt")
        ]
    finally:
        listener.close()
    assert result.returncode == 0, result.stderr
    assert "indexed 26, duplicates 0, rejected 0, skipped 3 of 29 inputs" in result.stderr
    skipped = {
        Path(line["path"]).name: line["reason"]
        for line in report_lines(report)
        if line["status"] == "skipped"
    }
    assert skipped == {
        "pipe.txt": "a FIFO (named pipe), not a regular file",
        "sock.html": "a socket, not a regular file",
        "zero.txt": "a character device, not a regular file",
    }
    # Named as an input itself (issue 19), a special file is an error: a run that can read
    # nothing it was given must not exit 0; no index folder is created.
    for one, kind in zip(named, ("a FIFO (named pipe)", "a character device"), strict=True):
        assert one.returncode == 1 and one.stderr.startswith("Error: ") and kind in one.stderr
        assert len(one.stderr.splitlines()) == 1
    assert not (tmp_path / "named").exists()
    stats = run(runner, "reindex", "--index", str(index), "--json")
    assert stats.exit_code == 0 and json.loads(stats.stdout)["skipped"] == 3  # still there, still skipped


# --- 6. damaged metadata: reindex --full rebuilds from whatever is left ---------------------


@pytest.mark.parametrize("damage", ["meta", "meta-and-manifest", "current"])
def test_full_rebuild_whatever_the_damage(
    runner: CliRunner, pages_dir: Path, tmp_path: Path, damage: str
) -> None:
    index = tmp_path / "ix"
    ingest([str(pages_dir)], index, workers=1)
    live = current_generation(index)
    (live.path / META_FILE).write_text("{broken")
    if damage == "meta-and-manifest":
        (live.path / MANIFEST_FILE).write_text("garbage\n")
    if damage == "current":
        (index / "CURRENT").write_text("gen-999999\n")
    refused = run(runner, "ingest", str(pages_dir), "--index", str(index))
    assert refused.exit_code == 1 and "reindex --full" in refused.stderr
    assert refused.stderr.count("\n") == 1
    result = run(runner, "reindex", "--index", str(index), "--full")
    if damage == "meta-and-manifest":  # nothing records the sources: name them
        assert result.exit_code == 1 and "name the folders" in result.stderr
        assert live.path.exists()
        result = run(runner, "reindex", str(pages_dir), "--index", str(index), "--full")
    assert result.exit_code == 0, result.stderr
    assert "full rebuild" in result.stderr and "26 pages" in result.stderr
    check_index(index)
    assert len(keys(index)) == 26
    assert run(runner, "reindex", "--index", str(index)).exit_code == 0


def test_a_failed_rebuild_keeps_the_old_generation(pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    ingest([str(pages_dir)], index, workers=1)
    live = current_generation(index)
    (live.path / META_FILE).write_text("{broken")
    with pytest.raises(InputError, match="no such file or folder"):
        reindex(index, [str(tmp_path / "gone")], full=True)
    assert current_generation(index) == live and (live.path / META_FILE).read_text() == "{broken"
    with pytest.raises(IndexCorruptError):
        live.read_meta()


def test_special_file_modes_are_not_regular(tmp_path: Path) -> None:
    """The guard in the reader itself: a FIFO named as a page is refused without blocking."""
    fifo = tmp_path / "page.txt"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(InputReadError, match="not a regular file"):
        read_page(str(fifo))


# --- review of issue 11: what is an index, empty subfolders, the guard's blind spots ----------


def two_folders(base: Path, per_folder: int = 2) -> Path:
    """`base/src` with `per_folder` example pages in each of `a/` and `b/`, mtimes settled."""
    pages = sorted(p for p in EXAMPLES.iterdir() if p.is_file())
    for i, name in enumerate(("a", "b")):
        (base / "src" / name).mkdir(parents=True)
        for page in pages[i * per_folder : (i + 1) * per_folder]:
            shutil.copy(page, base / "src" / name / page.name)
    age_files(base / "src")
    return base / "src"


def medcodes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDCODES, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_a_file_named_like_an_index_file_does_not_hide_its_folder(tmp_path: Path) -> None:
    src, index = two_folders(tmp_path), tmp_path / "ix"
    assert medcodes("ingest", str(src), "--index", str(index)).returncode == 0
    (src / "b" / "CURRENT").write_text("the user's own notes\n")
    (src / "b" / "write.lock").touch()
    result = medcodes("reindex", "--index", str(index), "-v")
    assert result.returncode == 3, result.stderr  # the two files are read, and are no pages
    assert "4 pages up to date, 2 rejected" in result.stderr and len(keys(index)) == 4
    assert "a medcodes index" not in result.stderr
    named = medcodes("ingest", str(src / "b"), "--index", str(tmp_path / "other"))
    assert "indexed 2" in named.stderr and "of 4 inputs" in named.stderr  # CURRENT is read, as any file


def test_a_folder_holding_an_index_is_skipped_and_keeps_its_pages(tmp_path: Path) -> None:
    src, index, report = two_folders(tmp_path), tmp_path / "ix", tmp_path / "report.jsonl"
    assert medcodes("ingest", str(src), "--index", str(index)).returncode == 0
    # src/b now also holds an index (its own pages' index, built elsewhere and moved in).
    assert medcodes("ingest", str(src / "b"), "--index", str(tmp_path / "built")).returncode == 0
    for item in (tmp_path / "built").iterdir():
        shutil.move(item, src / "b")
    result = medcodes("reindex", "--index", str(index), "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "deleted 0" in result.stderr and "skipped 1" in result.stderr
    assert len(keys(index)) == 4
    [line] = [line for line in report_lines(report) if line["status"] == "skipped"]
    assert line == {"path": str(src / "b"), "status": "skipped", "reason": "a medcodes index", "code": None}
    named = medcodes("ingest", str(src / "b"), "--index", str(index))
    assert named.returncode == 0 and "skipped 1 of 1 input in" in named.stderr  # indexed + … + skipped
    assert len(keys(index)) == 4


def test_the_generations_of_a_damaged_index_are_not_read_as_pages(tmp_path: Path) -> None:
    src, index = two_folders(tmp_path), tmp_path / "ix"
    inner = src / "a" / "old-index"
    ingest([str(src / "b")], inner, workers=1)
    (inner / "CURRENT").write_text("gen-999999\n")  # CURRENT damaged: its generations still count
    listing = find_inputs([str(src)], skip_index_folders(index))
    assert not [path for path in listing.files if "old-index" in path]
    assert listing.index_folders == [str(inner)]
    [generation] = [p for p in inner.iterdir() if p.name.startswith("gen-")]
    listing = find_inputs([str(generation)], skip_index_folders(index))  # named on its own
    assert listing.files == [] and listing.index_folders == [str(generation)]


def test_an_emptied_subfolder_keeps_its_pages_until_the_folder_is_removed(tmp_path: Path) -> None:
    src, index, report = two_folders(tmp_path), tmp_path / "ix", tmp_path / "report.jsonl"
    (src / "a" / "deeper").mkdir()
    shutil.copy(sorted(EXAMPLES.iterdir())[5], src / "a" / "deeper")
    age_files(src)
    ingest([str(src)], index, workers=1)
    assert len(keys(index)) == 5
    for page in [p for p in (src / "a").rglob("*") if p.is_file()]:
        page.unlink()  # src/a and src/a/deeper are empty now, as an unmounted file system is
    result = medcodes("reindex", "--index", str(index), "--report", str(report))
    assert result.returncode == 1, result.stderr
    assert "deleted 0" in result.stderr and "unreadable 1" in result.stderr
    [line] = [line for line in report_lines(report) if line["status"] == "unreadable"]
    assert line["path"] == str(src / "a")  # only the outermost empty folder
    assert line["reason"] == "empty folder: the pages of its 3 inputs are kept (is it mounted?)"
    assert len(keys(index)) == 5
    shutil.rmtree(src / "a")  # deleting the folder itself deletes its pages
    removed = medcodes("reindex", "--index", str(index))
    assert removed.returncode == 0 and "deleted 3" in removed.stderr
    assert len(keys(index)) == 2


def test_empty_folders_are_found_at_any_depth(tmp_path: Path) -> None:
    src = two_folders(tmp_path)
    (src / "a" / "x" / "y").mkdir(parents=True)
    (src / "b" / "z").mkdir()
    (src / "b" / ".hidden-only").mkdir()
    (src / "c" / "d").mkdir(parents=True)
    (src / "c" / "d" / ".dotfile").touch()
    (src / "c" / "e").mkdir()
    listing = find_inputs([str(src)])
    assert sorted(listing.empty) == [str(src / "a" / "x"), str(src / "b" / "z"), str(src / "c")]


def test_a_damaged_rebuild_is_guarded_by_the_whoosh_page_count(generated_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    ingest([str(generated_dir)], index, workers=1)
    total = len(keys(index))
    live = current_generation(index)
    (live.path / META_FILE).write_text("{broken")
    (live.path / MANIFEST_FILE).write_text("garbage\n")
    remove_pages(sorted(p for p in generated_dir.rglob("*") if p.is_file())[:60])
    with pytest.raises(MassDeleteError, match=f"would delete 60 of {total} pages"):
        reindex(index, [str(generated_dir)], full=True, workers=1)
    assert current_generation(index) == live
    for toc in live.path.glob("*.toc"):
        toc.unlink()  # nothing left that counts the pages
    refused = medcodes("reindex", str(generated_dir), "--index", str(index), "--full")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("Error: reindex cannot tell how many pages the damaged index holds")
    dry = medcodes("reindex", str(generated_dir), "--index", str(index), "--full", "--dry-run", "--json")
    assert dry.returncode == 1 and json.loads(dry.stdout)["would_stop"].startswith("cannot tell")
    assert current_generation(index) == live
    allowed = medcodes("reindex", str(generated_dir), "--index", str(index), "--full", "--allow-mass-delete")
    assert allowed.returncode == 0, allowed.stderr
    assert len(keys(index)) == total - 60


def test_a_page_swapped_for_a_fifo_after_listing_is_not_opened_to_hash_it(tmp_path: Path) -> None:
    page, other = tmp_path / "page.txt", tmp_path / "other.txt"
    other.write_text("a page")  # its stat stands for the one taken when the inputs were listed
    os.mkfifo(page)
    code = (
        "import os, sys; from medcodes.index.manifest import read_state\n"
        "state = read_state(sys.argv[1], os.stat(sys.argv[2]))\n"
        "print(repr(state.digest))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(page), str(other)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,  # a plain open of a FIFO waits for a writer forever
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "''"


def _open_files(pid: int) -> set[str]:
    """The paths a process has open; a descriptor closed while they are listed is left out."""
    paths = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process ended
        return paths
    for fd in descriptors:
        try:
            paths.add(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
    return paths


def test_ingest_lists_its_inputs_with_the_write_lock_held(pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    ingest([str(pages_dir)], index, workers=1)
    late = pages_dir / "late" / "hcpcs-E0135.txt"
    with write_lock_holder(index) as holder:
        command = [*MEDCODES, "ingest", str(pages_dir), "--index", str(index), "--wait", "120", "-v"]
        waiting = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        lock = str(index / "write.lock")
        while waiting.poll() is None and lock not in _open_files(waiting.pid):
            time.sleep(0.05)
        late.parent.mkdir()
        shutil.copy(pages_dir / "hcpcs-E0135.txt", late)  # added while the ingest waits
        holder.kill()
        _, stderr = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, stderr
    assert "of 27 inputs" in stderr and f"duplicate: {late}" in stderr
