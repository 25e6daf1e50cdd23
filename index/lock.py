"""One writer at a time: an inter-process lock with a bounded wait and a named holder.

`fcntl.flock` is released by the kernel when its holder dies, so a lock left by a killed
process is never stale; the holder file only says who holds it now. A holder that ends normally
clears it, so holder information found on taking the lock names a writer that was killed: it
is logged, and the next writer removes its unpublished work (medcodes.index.store).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from medcodes.errors import MedcodesError
from medcodes.index.store import LOCK_FILE

log = logging.getLogger(__name__)

__all__ = ["LOCK_FILE", "IndexBusyError", "write_lock"]
_POLL_SECONDS = 0.05


class IndexBusyError(MedcodesError, RuntimeError):
    """Another process holds the write lock."""


@contextmanager
def write_lock(root: Path, wait: float = 5.0) -> Iterator[None]:
    """Hold the index's write lock for the duration of the block, waiting up to `wait` s."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(path: Path, unknown: str = "another process") -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return unknown
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('started')}"
