"""One writer at a time: an inter-process lock with a bounded wait and a named holder.

`fcntl.flock` is released by the kernel when the last descriptor of its open file is closed,
so a lock left by a killed process is never stale — provided no other process shares that
descriptor. It is opened close-on-exec, so a program the writer runs never has it, and a
process the writer forks (its parser workers) closes its copy at once (`os.register_at_fork`):
killing the writer alone releases the lock, whatever its workers do.

The holder file only says who holds the lock now. A holder that ends normally clears it, so
holder information found on taking the lock names a writer that was killed: it is logged. The
next writer removes the leftovers of killed or failed writers as soon as it holds the lock,
before it writes anything — on a full disk they are the space it needs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from medcodes.errors import MedcodesError
from medcodes.index.store import LOCK_FILE, remove_leftovers

log = logging.getLogger(__name__)

__all__ = ["LOCK_FILE", "IndexBusyError", "write_lock"]
_POLL_SECONDS = 0.05


class IndexBusyError(MedcodesError, RuntimeError):
    """Another process holds the write lock."""


# Lock files this process has open: a forked child closes its copies (_close_in_child).
_open_locks: set[int] = set()


def _close_in_child() -> None:
    """In a child just forked: close the lock files the parent has open, so that the child
    never shares (and so never holds) the parent's lock, whatever it goes on to do."""
    for fd in _open_locks:
        with suppress(OSError):
            os.close(fd)
    _open_locks.clear()


os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def write_lock(root: Path, wait: float = 5.0) -> Iterator[None]:
    """Hold the index's write lock for the duration of the block, waiting up to `wait` s.

    On taking it, the leftovers of earlier writers are removed first (store.remove_leftovers),
    then this process is recorded as the holder.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    _open_locks.add(fd)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"index {root} is being written by {_holder(path)}") from None
                time.sleep(_POLL_SECONDS)
        if left := _holder(path, unknown=""):
            log.warning("took over the write lock of %s, which ended without releasing it", left)
        os.ftruncate(fd, 0)
        remove_leftovers(root)
        _record_holder(fd)
        try:
            yield
        finally:
            if fd in _open_locks:  # else this is a forked child, which closed its copy
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        if fd in _open_locks:
            _open_locks.discard(fd)
            os.close(fd)


def _record_holder(fd: int) -> None:
    """Write who holds the lock, for the messages of writers that wait. Not fatal on a full
    disk: the run then fails at its first real write, with the space it needs (DiskFullError)."""
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        os.pwrite(fd, json.dumps(holder).encode(), 0)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        os.ftruncate(fd, 0)  # no half-written details
        log.debug("no space to record the write lock's holder: %s", err)


def _holder(path: Path, unknown: str = "another process") -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return unknown
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('started')}"
