"""Issue 19, item 4: a really full file system (a small tmpfs) at several fill levels.

Whatever space is left, a run that cannot fit ends with one `Error:` line and exit 1 (no
traceback, no leftover generation, the live state untouched), and once space is freed the same
run succeeds with nothing deleted by hand. A writer killed on a full disk leaves its partial
generation behind: the next run removes it before it writes anything, even the lock holder's
details, so that the space it frees is the space the run needs.

The machine and CI run as root; where a tmpfs cannot be mounted these tests are skipped
(tests/test_full_disk.py injects ENOSPC at every write step without one).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, generate_pages

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.store import CURRENT_FILE, current_generation, file_digest

MEDCODES = [sys.executable, "-m", "medcodes"]
# Free bytes left on the file system, from none to about half of what the runs below need, and
# how the error names them (measured once the run has removed its partial generation).
FREE_LEVELS = {0: "0 bytes", 64 << 10: "64.0 KB", 512 << 10: "512.0 KB", 2 << 20: "2.0 MB"}
PAGES = 300  # about 3 MB of index: the runs below need more than the largest level leaves
DISK_SIZE = "24m"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs of its own, unmounted afterwards."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("tmpfs cannot be mounted here; tests/test_full_disk.py injects ENOSPC instead")
    try:
        yield where
    finally:
        gc.collect()  # the index files this process mapped
        subprocess.run(["umount", "--lazy", str(where)], check=True)


@pytest.fixture(scope="module")
def many_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = tmp_path_factory.mktemp("many") / "pages"
    generate_pages(PAGES, pages)
    return pages


def _free(disk: Path) -> int:
    stats = os.statvfs(disk)
    return stats.f_bavail * stats.f_frsize


def _fill(disk: Path, leave: int) -> Path:
    """Take all the free space of `disk` but `leave` bytes, in one file."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        size = _free(disk) - leave
        if size > 0:
            os.posix_fallocate(handle.fileno(), 0, size)
    assert _free(disk) <= leave
    return filler


def _snapshot(root: Path) -> dict[str, str]:
    """CURRENT and the digest of every file of the live generation."""
    live = current_generation(root).path
    files = {f"{live.name}/{p.name}": file_digest(p) for p in sorted(live.iterdir()) if p.is_file()}
    return {CURRENT_FILE: (root / CURRENT_FILE).read_text(), **files}


def _leftovers(root: Path) -> list[str]:
    """What is in the index folder besides the live generation, CURRENT and the lock file."""
    live = current_generation(root).path.name
    return sorted(p.name for p in root.iterdir() if p.name not in {live, CURRENT_FILE, "write.lock"})


def _medcodes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDCODES, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


RUNS = {
    # into an existing index, parsed by a pool of workers
    "ingest": lambda pages, ix: ["ingest", str(pages), "--index", str(ix)],
    # a fresh build beside the live one, parsed and indexed by workers into shards
    "reindex-full": lambda pages, ix: ["reindex", "--full", str(pages), "--index", str(ix)],
}


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=list(RUNS))
def test_a_full_file_system_at_any_level_is_one_line_and_the_next_run_succeeds(
    run: str, disk: Path, many_pages: Path, tmp_path: Path
) -> None:
    pristine = tmp_path / "pristine"
    ingest([str(EXAMPLES)], pristine, workers=1)
    root = disk / "ix"
    args = [*RUNS[run](many_pages, root), "--workers", "2", "-q"]
    for leave, named in FREE_LEVELS.items():
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(pristine, root)
        before = _snapshot(root)
        filler = _fill(disk, leave)

        failed = _medcodes(*args)
        assert failed.returncode == 1, (leave, failed.stderr)
        [line] = failed.stderr.splitlines()  # one line: no traceback, nothing "ignored"
        assert line.startswith(f"Error: no space left on the device of {root}: {named} free, "), (leave, line)
        assert "free is needed" in line, (leave, line)
        assert _snapshot(root) == before, leave  # the live state untouched
        assert _leftovers(root) == [], leave  # no partial generation, no temporary file

        filler.unlink()  # space freed: the same run succeeds, nothing deleted by hand
        again = _medcodes(*args)
        assert again.returncode == 0, (leave, again.stderr)
        assert check_index(root).pages == PAGES + (26 if run == "ingest" else 0)
        assert _leftovers(root) == [current_generation(pristine).path.name], leave  # the previous one


def test_a_killed_writers_partial_generation_is_removed_before_anything_is_written(
    disk: Path, tmp_path: Path
) -> None:
    """A writer killed on a full disk left a large unpublished generation (here a copy of the
    live one, as a full rebuild writes it) and no space at all: the next run removes it on
    taking the lock, before it records itself as the holder, and then has room to run."""
    pages = tmp_path / "pages"
    shutil.copytree(EXAMPLES, pages)
    root = disk / "ix"
    ingest([str(pages)], root, workers=1)
    live = current_generation(root)
    shutil.copytree(live.path, root / "gen-000002")  # newer than the live one: unpublished
    (root / f"{CURRENT_FILE}.tmp").write_text("gen-000002\n")
    changed = pages / "hcpcs-C9028.txt"
    changed.write_text(changed.read_text() + "\nA line added by the test.\n")
    _fill(disk, 0)

    result = _medcodes("reindex", "--index", str(root), "-q")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert current_generation(root) != live  # the change is published
    assert _leftovers(root) == [live.path.name]  # the previous generation only, kept for readers
    assert check_index(root).pages == 26
