"""Run the medcodes CLI with the disk "full" from the N-th write step under a folder on.

    python tests/full_disk.py N FOLDER COUNT_FILE -- ingest pages --index FOLDER/ix

A Python audit hook sees every file opened for writing, hard link, rename and folder made
under FOLDER, by medcodes and by Whoosh alike, and from the N-th one on (0: never) raises
OSError(ENOSPC) as a full file system would. The number of steps seen is written to
COUNT_FILE when the run ends, so that a test can fail each step in turn. The audit hook is
inherited by forked parser processes.
"""

from __future__ import annotations

import atexit
import errno
import os
import sys
from pathlib import Path
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def main() -> None:
    fail_from, folder, count_file = int(sys.argv[1]), os.path.realpath(sys.argv[2]), Path(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1 :]
    seen = 0

    def under(path: Any) -> bool:
        if isinstance(path, int):
            return False
        return os.path.realpath(os.fsdecode(path)).startswith(folder + os.sep)

    def writes(event: str, hook_args: tuple[Any, ...]) -> bool:
        if event == "open":
            path, mode, flags = hook_args
            wants = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
            return wants and under(path)
        if event in ("os.link", "os.rename", "os.symlink"):
            return under(hook_args[1])
        if event == "os.mkdir":
            return under(hook_args[0])
        return False

    def hook(event: str, hook_args: tuple[Any, ...]) -> None:
        nonlocal seen
        if os.getpid() != parent or not writes(event, hook_args):
            return
        seen += 1
        if fail_from and seen >= fail_from:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(hook_args[0]))

    parent = os.getpid()
    atexit.register(lambda: os.getpid() == parent and count_file.write_text(str(seen)))
    from medcodes.cli import main as cli_main

    sys.addaudithook(hook)
    sys.argv = ["medcodes", *args]
    cli_main()


if __name__ == "__main__":
    main()
