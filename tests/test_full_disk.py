"""Issue 17, item 4: a full disk at any write step of ingest or reindex is a one-line error
naming the free space needed (exit 1); the live generation is untouched, the partial one gone.

ENOSPC is injected by tests/full_disk.py at each step in turn (every file a run creates, every
hard link, rename and folder), through the real code paths of medcodes and Whoosh; where a
tmpfs can be mounted, a real full file system is tried as well."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.store import CURRENT_FILE, current_generation, file_digest

FULL_DISK = Path(__file__).resolve().parent / "full_disk.py"
STEPS_TRIED = 8
ERROR = "Error: no space left on the device of "


def _snapshot(root: Path) -> dict[str, str]:
    """CURRENT and the digest of every file of the live generation."""
    live = current_generation(root).path
    files = {f"{live.name}/{p.name}": file_digest(p) for p in sorted(live.iterdir()) if p.is_file()}
    return {CURRENT_FILE: (root / CURRENT_FILE).read_text(), **files}


def _run(work: Path, fail_from: int, args: list[str]) -> tuple[subprocess.CompletedProcess[str], int]:
    count = work / "steps"
    command = [sys.executable, str(FULL_DISK), str(fail_from), str(work / "ix"), str(count), "--", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return result, int(count.read_text()) if count.exists() else -1


def _steps_to_try(total: int) -> list[int]:
    if total <= STEPS_TRIED:
        return list(range(1, total + 1))
    return sorted({1 + round(i * (total - 1) / (STEPS_TRIED - 1)) for i in range(STEPS_TRIED)})


def _change_pages(pages: Path) -> None:
    for page in sorted(pages.glob("*.txt"))[:5]:
        page.write_text(page.read_text() + "\nA line added by the test.\n")


COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "ingest": lambda pages, ix: ["ingest", str(pages), "--index", str(ix), "--workers", "1", "-q"],
    "reindex": lambda pages, ix: ["reindex", "--index", str(ix), "--workers", "1", "-q"],
    "reindex-full": lambda pages, ix: ["reindex", "--full", "--index", str(ix), "--workers", "1", "-q"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_full_disk_at_each_write_step_leaves_the_live_index(
    pages_dir: Path, tmp_path: Path, command: str
) -> None:
    pristine = tmp_path / "pristine"
    ingest([str(pages_dir)], pristine, workers=1)
    _change_pages(pages_dir)
    work = tmp_path / "work"
    work.mkdir()
    args = COMMANDS[command](pages_dir, work / "ix")

    shutil.copytree(pristine, work / "ix")
    result, total = _run(work, 0, args)
    assert result.returncode == 0, result.stderr
    assert total > 3  # files, links, folders: the steps to fail

    for step in _steps_to_try(total):
        shutil.rmtree(work / "ix")
        shutil.copytree(pristine, work / "ix")
        before = _snapshot(work / "ix")
        result, _ = _run(work, step, args)
        assert "Traceback" not in result.stderr, (step, result.stderr)
        assert result.returncode == 1, (step, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith(ERROR) and "free is needed" in line, (step, line)
        assert _snapshot(work / "ix") == before, step  # the live generation untouched
        assert [p.name for p in (work / "ix").glob("gen-*")] == [current_generation(work / "ix").path.name], (
            step
        )

        again, _ = _run(work, 0, args)  # space freed: the same run succeeds
        assert again.returncode == 0, (step, again.stderr)
        assert check_index(work / "ix").pages == 26


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return mounted.returncode == 0


def test_a_real_full_file_system(pages_dir: Path, tmp_path: Path) -> None:
    """A small tmpfs holds the example index (about 1 MB), then is filled up to 500 KB, which
    a rebuild beside the live index needs more than."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "4m"):
        pytest.skip("tmpfs cannot be mounted here; test_a_full_disk_at_each_write_step covers every step")
    try:
        root = disk / "ix"
        ingest([str(pages_dir)], root, workers=1)
        before = _snapshot(root)
        stats = os.statvfs(disk)
        with open(disk / "filler", "wb") as filler:
            filler.truncate(stats.f_bavail * stats.f_frsize - 500_000)
            os.posix_fallocate(filler.fileno(), 0, stats.f_bavail * stats.f_frsize - 500_000)
        command = [sys.executable, "-m", "medcodes", "reindex", "--full", "--index", str(root), "-q"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in result.stderr
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith(ERROR) and "free is needed" in line, line
        assert _snapshot(root) == before
        assert [p.name for p in root.glob("gen-*")] == [current_generation(root).path.name]
        assert check_index(root).pages == 26
    finally:
        gc.collect()  # the index files this process mapped
        subprocess.run(["umount", "--lazy", str(disk)], check=True)
