"""Worker processes end with the process that started them.

A pool worker whose parent is killed (kill -9 of the main process; the kernel's OOM killer
kills only the largest process) would otherwise wait on the pool's queue forever, holding its
memory. On Linux the kernel kills it (`prctl(PR_SET_PDEATHSIG, SIGKILL)`); everywhere, a thread
of the worker also checks every second that its parent is still the one that started it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_CHECK_SECONDS = 1.0


def die_with_parent(parent: int) -> None:
    """End this process when process `parent` ends: a process pool's initializer.

    `parent` is the pid the parent read before starting the worker (`os.getpid()` there), so a
    parent that died between the fork and this call is caught too: the worker's parent is then
    already another process. Workers must be children of `parent` (fork or spawn, not forkserver).

    On Linux the signal comes when the *thread* that started the worker ends: pools here are
    started and shut down within one call, by the thread making it.

    >>> ProcessPoolExecutor(2, initializer=die_with_parent, initargs=(os.getpid(),))
    """
    _ask_kernel_to_kill_orphan()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="parent-check", daemon=True).start()


def _ask_kernel_to_kill_orphan() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        failed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0
    except (OSError, AttributeError):
        failed = True
    if failed:  # a sandbox may refuse it: the parent check still ends the worker
        log.debug("prctl(PR_SET_PDEATHSIG) unavailable; the parent check alone ends this worker")


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
