"""Run the medcodes command as the user `nobody`: `python tests/unprivileged.py ARGS...`.

The tests run as root, whom file permissions do not stop; permission tests need a user they
stop. The interpreter and its libraries live where `nobody` may not read them, so everything
medcodes imports lazily is imported first, by one warm-up run as root in a private directory;
then the process gives up root for good and runs the command.
"""

from __future__ import annotations

import contextlib
import io
import os
import pwd
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from click.testing import CliRunner

from medcodes.cli import cli, main
from medcodes.pipeline.batch import process_context

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pages"
USER = "nobody"


def warm_up() -> None:
    """One ingest, reindex, search and check: every module and codec they use is imported (a
    command imports its own machinery when it runs)."""
    for codec in ("ascii", "utf-8-sig", "windows-1252", "latin-1", "utf-16", "utf-32"):
        "x".encode(codec)
    # A parallel build's pool and barrier (medcodes.index.engine.shards) import their parts when first made.
    context = process_context()
    context.Barrier(1)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        pool.submit(os.getpid).result()
    with tempfile.TemporaryDirectory() as tmp:
        index = str(Path(tmp) / "ix")
        runner = CliRunner()
        for args in (
            ["ingest", str(EXAMPLES), "--index", index, "-q", "--workers", "1"],
            ["reindex", "--index", index, "-q", "--workers", "1"],
            ["reindex", "--index", index, "-q", "--workers", "1", "--full"],
            ["search", "walker", "--index", index],
            ["check", "--index", index],
        ):
            result = runner.invoke(cli, args)
            assert result.exit_code == 0, (args, result.output)


def drop_root() -> None:
    user = pwd.getpwnam(USER)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)


if __name__ == "__main__":
    with contextlib.redirect_stdout(io.StringIO()):
        warm_up()
    drop_root()
    sys.argv[0] = "medcodes"
    main()
