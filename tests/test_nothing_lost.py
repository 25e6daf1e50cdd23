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
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, age_files, as_user, live_pages

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.guard import DeleteLimit, MassDeleteError, parse_delete_limit
from medcodes.index.reindex import reindex
from medcodes.index.store import MANIFEST_FILE, META_FILE, IndexCorruptError, current_generation
from medcodes.index.writing import SHARDED_MIN_INPUTS
from medcodes.pipeline.sources import InputError, InputReadError, read_page

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
    assert lone.returncode == 1 and "unreadable 1 of 1 inputs" in lone.stderr

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
    """A fresh build of many inputs is parsed and indexed by a pool of workers (medcodes.index.shards):
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
    for path in files[:60]:
        path.unlink()
    before = current_generation(index)
    with pytest.raises(MassDeleteError, match=f"would delete 60 of {total} pages"):
        reindex(index, workers=1)
    assert current_generation(index) == before and len(keys(index)) == total

    result = run(runner, "reindex", "--index", str(index))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: reindex would delete 60 of {total} pages")
    assert "--allow-mass-delete" in result.stderr and result.stderr.count("\n") == 1

    dry = run(runner, "reindex", "--index", str(index), "--dry-run", "--json")
    assert dry.exit_code == 0
    assert json.loads(dry.stdout)["deleted"] == 60 and json.loads(dry.stdout)["dry_run"] is True
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
    for path in files[:51]:
        path.unlink()
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
        result = ingest_here()
        assert result.returncode == 0, result.stderr
        assert "rejected 0" in result.stderr
    other = ingest_here("--index", str(pages_dir.parent / "elsewhere"))  # another index's folder too
    assert other.returncode == 0 and "rejected 0 of 26 inputs" in other.stderr
    reindexed = subprocess.run(
        [*MEDCODES, "reindex", "--index", "medcodes-index"], capture_output=True, text=True, cwd=pages_dir
    )
    assert reindexed.returncode == 0 and "nothing changed" in reindexed.stderr


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
        named = subprocess.run(
            [*MEDCODES, "ingest", str(pages_dir / "pipe.txt"), "--index", str(index)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
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
    assert named.returncode == 0 and "skipped 1 of 1 inputs" in named.stderr
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
