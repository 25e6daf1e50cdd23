"""Shared fixtures: sample pages copied into tmp_path, a built index, a CLI runner."""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from medcodes.index.build import ingest
from medcodes.index.fields import RECORD
from medcodes.index.reader import open_live
from medcodes.index.record_codec import decode_record
from medcodes.index.reindex import reindex
from medcodes.pipeline.records import CodePage
from medcodes.queries.search import Searcher, SearchResult

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"
GENERATOR = ROOT / "bench" / "generate_corpus.py"
GENERATOR_DATA = ROOT / "bench" / "data"
GENERATED_PAGES = 120


_SUMMARY = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="Rewrite golden records from the parser's output (review the diff before committing).",
    )


@pytest.fixture
def pages_dir(tmp_path: Path) -> Path:
    """A private copy of the example pages, free to modify, with settled mtimes."""
    target = tmp_path / "pages"
    shutil.copytree(EXAMPLES, target)
    age_files(target)
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example pages ingested once into an index shared by read-only tests."""
    root = tmp_path_factory.mktemp("index") / "medcodes-index"
    report = ingest([str(EXAMPLES)], root, workers=1)
    assert report.counts["rejected"] == 0
    return root


@pytest.fixture(scope="session")
def segmented_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example pages, then two removed and one changed: two segments and deletions."""
    folder = tmp_path_factory.mktemp("pages") / "pages"
    shutil.copytree(EXAMPLES, folder)
    age_files(folder)
    root = folder.parent / "ix"
    ingest([str(folder)], root, workers=1)
    (folder / "hcpcs-E0143.html").unlink()
    (folder / "icd10cm-I10.html").unlink()
    page = folder / "hcpcs-J9229.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("infusion", "infusion infusion", 1))
    age_files(folder)
    report = reindex(root, workers=1)
    assert (report.to_dict()["deleted"], report.to_dict()["updated"]) == (2, 1)
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def summary_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test wants shown at the end of the run (measured figures, such as accuracy)."""
    return request.config.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in config.stash.get(_SUMMARY, []):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def generated_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GENERATED_PAGES pages from bench/generate_corpus.py and the code-set excerpt it ships."""
    out = tmp_path_factory.mktemp("generated") / "pages"
    generate_pages(GENERATED_PAGES, out)
    return out


@pytest.fixture
def generated_dir(generated_corpus: Path, tmp_path: Path) -> Path:
    """A private copy of the generated pages, free to modify, with settled mtimes."""
    target = tmp_path / "generated"
    shutil.copytree(generated_corpus, target)
    age_files(target)
    return target


def generate_pages(count: int, out: Path, seed: int = 0) -> None:
    command = [sys.executable, str(GENERATOR), str(count), str(out), "--data", str(GENERATOR_DATA)]
    subprocess.run([*command, "--seed", str(seed)], check=True, capture_output=True)


def remove_pages(paths: Iterable[Path]) -> None:
    """Delete page files as a user does on purpose: a folder left empty is removed too (a folder
    found empty keeps its pages: it may be a mount point whose file system is not mounted)."""
    folders = set()
    for path in paths:
        path.unlink()
        folders.add(path.parent)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def age_files(folder: Path, seconds: float = 60.0) -> None:
    """Date every file back: a file modified within the last second is re-hashed by reindex
    (medcodes.index.manifest.RACY_SECONDS), which tests that count reads must not depend on."""
    past = time.time() - seconds
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


@contextmanager
def write_lock_holder(root: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the index's write lock; killed with SIGKILL on leaving."""
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom medcodes.index.lock import write_lock\n"
        f"with write_lock(Path({str(root)!r})):\n    print('locked', flush=True)\n    time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


@pytest.fixture(scope="module")
def searcher(built_index: Path) -> Iterator[Searcher]:
    """One Searcher on the example index, kept open for a module's tests."""
    with Searcher(built_index) as opened:
        yield opened


def hit_codes(result: SearchResult) -> list[str]:
    return [hit.code for hit in result.hits]


def live_pages(root: Path) -> list[CodePage]:
    """Every live (not deleted) page of the index at `root`, as stored."""
    live = open_live(root)
    try:
        with live.ix.reader() as reader:
            return [decode_record(fields[RECORD]) for _, fields in reader.iter_docs()]
    finally:
        live.ix.close()


# --- running medcodes as a user whom file permissions stop ----------------------------------

MEDCODES = [sys.executable, "-m", "medcodes"]
UNPRIVILEGED = [sys.executable, str(ROOT / "tests" / "unprivileged.py")]


@pytest.fixture
def user_dir() -> Iterator[Path]:
    """A folder the unprivileged user owns, holding a copy of the example pages in `pages/`.

    tmp_path lies under pytest's private (0700) folder, which `nobody` cannot enter.
    """
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root, and there is no user 'nobody' to drop root privileges to")
        if reason := cannot_drop_root():
            pytest.skip(f"running as root without the right to become another user: {reason}")
    base = Path(tempfile.mkdtemp(prefix="medcodes-user-"))
    try:
        shutil.copytree(EXAMPLES, base / "pages")
        age_files(base / "pages")
        if os.geteuid() == 0:
            for path in [base, *base.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        yield base
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)


@functools.cache
def cannot_drop_root() -> str:
    """Why this process cannot give up root for `nobody` ("" when it can), tried in a child."""
    code = (
        "import os, pwd; u = pwd.getpwnam('nobody'); "
        "os.setgroups([]); os.setgid(u.pw_gid); os.setuid(u.pw_uid)"
    )
    tried = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return tried.stderr.strip().splitlines()[-1] if tried.returncode else ""


def as_user(*args: str) -> subprocess.CompletedProcess[str]:
    """Run medcodes as a user whom permissions stop (nobody, when the tests run as root)."""
    command = UNPRIVILEGED if os.geteuid() == 0 else MEDCODES
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
