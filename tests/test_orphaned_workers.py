"""Issue 19, item 2: killing only the main process of a run (kill -9, the OOM killer) ends its
parser workers with it, and they never hold the write lock, so the next writer goes ahead.

Real processes throughout: a real `medcodes` run is killed, its workers are found in /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, generate_pages

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.lock import IndexBusyError, write_lock
from medcodes.index.store import LOCK_FILE, current_generation
from medcodes.pipeline.batch import process_context

MEDCODES = [sys.executable, "-m", "medcodes"]
# Enough inputs for a parser pool (ingest into an index) and for a sharded build (reindex --full).
PAGES = 300
DEADLINE = 20.0  # seconds: generous, this is not a speed test

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or process_context().get_start_method() != "fork",
    reason="finds processes in /proc; the workers under test are forked",
)


@pytest.fixture(scope="module")
def many_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = tmp_path_factory.mktemp("many") / "pages"
    generate_pages(PAGES, pages)
    return pages


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None if there is no such process."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> dict[int, str]:
    """The child processes of `pid`, each with its start time (which tells a reused pid apart)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == pid:
            found[int(entry.name)] = fields[19]
    return found


def _running(pid: int, started: str) -> bool:
    """The process still runs (a zombie has ended: in a container nothing may reap it)."""
    fields = _stat(pid)
    return fields is not None and fields[19] == started and fields[0] != "Z"


def _cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _open_files(pid: int) -> set[str]:
    """The paths a process has open; a descriptor closed while they are listed is left out."""
    paths = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return paths
    for fd in descriptors:
        try:
            paths.add(os.readlink(fd))
        except OSError:
            continue
    return paths


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE:.0f} s: {what}"
        time.sleep(0.02)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Runs started by a test, each in its own session: whatever is left of them is killed."""
    runs: list[subprocess.Popen[bytes]] = []
    yield runs
    for run in runs:
        run.kill()
        run.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)


KILLED_RUNS = {
    # into an existing index: a parser pool (pipeline/batch.py) feeds the writer
    "ingest": lambda pages, ix: ["ingest", str(pages), "--index", str(ix)],
    # a fresh build of many inputs: workers parse and index into shards (index/engine/shards.py)
    "reindex --full": lambda pages, ix: ["reindex", "--full", str(pages), "--index", str(ix)],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", KILLED_RUNS, ids=["ingest", "reindex-full"])
def test_killing_only_the_main_process_ends_its_workers_and_frees_the_lock(
    command: str, many_pages: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    root = tmp_path / "ix"
    ingest([str(EXAMPLES)], root, workers=1)
    published = current_generation(root)
    pages_before = check_index(root).pages
    lock = str(root / LOCK_FILE)

    args = [*MEDCODES, *KILLED_RUNS[command](many_pages, root), "--workers", "2", "-q"]
    run = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
    started.append(run)
    _until(lambda: run.poll() is None and len(_children(run.pid)) >= 2, "the run's two workers started")
    workers = _children(run.pid)
    # Workers that have run (used CPU time) have passed their start-up: none holds the lock.
    _until(lambda: all(_cpu_ticks(pid) > 0 for pid in workers), "the workers ran")
    assert run.poll() is None, "the run ended before it could be killed: give it more pages"
    assert lock in _open_files(run.pid)
    assert all(lock not in _open_files(pid) for pid in workers)

    run.send_signal(signal.SIGKILL)  # the main process only, as the OOM killer does
    run.wait()
    after = subprocess.run(
        [*MEDCODES, "reindex", "--index", str(root), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert after.returncode == 0, after.stderr
    _until(lambda: not any(_running(pid, when) for pid, when in workers.items()), "the workers ended")

    assert current_generation(root) == published  # the last published state, nothing else left
    assert [p.name for p in root.glob("gen-*")] == [published.path.name]
    assert check_index(root).pages == pages_before


def test_a_worker_whose_parent_died_before_it_started_ends_at_once() -> None:
    """The parent is gone before the worker's start-up asks to die with it: the worker sees
    that its parent is no longer the pid the parent read before the fork, and ends."""
    code = textwrap.dedent(
        """
        import os, time
        from medcodes.pipeline.parent_death import die_with_parent
        parent = os.getpid()
        if os.fork() == 0:
            while os.getppid() == parent:
                time.sleep(0.01)
            die_with_parent(parent)
            print("the orphan runs on", flush=True)
            os._exit(0)
        os._exit(0)
        """
    )
    # The output pipe reaches end of file when the worker has ended too.
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_a_forked_child_neither_holds_nor_releases_the_writers_lock(tmp_path: Path) -> None:
    """A child forked by the holder closes its copy of the lock at once: it does not keep the
    lock once the holder is killed, and leaving the lock's block in the child (a child that
    returns instead of exiting) does not release the holder's lock either."""
    root = tmp_path / "ix"
    code = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from medcodes.index.lock import write_lock
        read, write = os.pipe()
        with write_lock(Path({str(root)!r})):
            child = os.fork()
            if child:
                os.read(read, 1)  # the child has left the block
                print(os.getpid(), flush=True)
                time.sleep(60)
        if child == 0:
            print(os.getpid(), flush=True)
            os.write(write, b"x")
            time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        child, holder_pid = int(holder.stdout.readline()), int(holder.stdout.readline())
        assert holder_pid == holder.pid
        with pytest.raises(IndexBusyError, match=f"pid {holder.pid} on "), write_lock(root, wait=0.2):
            pass
        assert str(root / LOCK_FILE) not in _open_files(child)
        holder.kill()
        holder.wait()
        with write_lock(root, wait=0.0):  # the child lives on, and does not hold the lock
            assert _stat(child) is not None
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(child, signal.SIGKILL)
