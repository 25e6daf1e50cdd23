"""Issue 17, item 3: every command that opens a damaged index says so in one line (exit 1)
and points at `medcodes check`; writers refuse to build on it, `reindex --full` rebuilds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from medcodes.index.build import ingest
from medcodes.index.store import current_generation


@pytest.fixture
def index_copy(pages_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    return root


def _overwrite_toc_header(root: Path) -> None:
    """The first bytes of the segment table of contents (where Whoosh checks its int size)."""
    [toc] = current_generation(root).path.glob("*.toc")
    data = bytearray(toc.read_bytes())
    data[:8] = b"\xff" * 8
    toc.write_bytes(bytes(data))


def _truncate_toc(root: Path) -> None:
    [toc] = current_generation(root).path.glob("*.toc")
    toc.write_bytes(toc.read_bytes()[:40])


def _truncate_segment(root: Path) -> None:
    [segment] = current_generation(root).path.glob("*.seg")
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 3])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "toc-header": _overwrite_toc_header,
    "toc-truncated": _truncate_toc,
    "segment-truncated": _truncate_segment,
}
READERS = {
    "search": ["search", "walker"],
    "batch": ["search", "--queries", "-"],
    "show": ["show", "E0135"],
    "stats": ["stats"],
    "stats-json": ["stats", "--json"],
}


def medcodes(root: Path, *args: str, stdin: str = "walker\n") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "medcodes", *args, "--index", str(root)]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=300)


def assert_damage_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and "damaged" in line and "run medcodes check" in line, line


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
@pytest.mark.parametrize("command", READERS, ids=list(READERS))
def test_a_reader_of_a_damaged_index_prints_one_error_line(
    index_copy: Path, damage: str, command: str
) -> None:
    DAMAGE[damage](index_copy)
    assert_damage_line(medcodes(index_copy, *READERS[command]))


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_writers_refuse_a_damaged_index_and_a_full_reindex_rebuilds_it(
    index_copy: Path, pages_dir: Path, damage: str
) -> None:
    DAMAGE[damage](index_copy)
    damaged = current_generation(index_copy).path.name
    (pages_dir / "hcpcs-E0135.txt").write_text((pages_dir / "hcpcs-E0135.txt").read_text() + "\nMore.\n")
    for args in (["reindex"], ["ingest", str(pages_dir / "hcpcs-E0135.txt")]):
        assert_damage_line(medcodes(index_copy, *args))
        assert current_generation(index_copy).path.name == damaged  # nothing was published
    check = medcodes(index_copy, "check")
    assert check.returncode == 1 and "damaged" in check.stderr

    rebuilt = medcodes(index_copy, "reindex", "--full")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert current_generation(index_copy).path.name != damaged
    assert medcodes(index_copy, "check").returncode == 0
    found = medcodes(index_copy, "search", "walker", "--format", "jsonl")
    assert found.returncode == 0 and "E0135" in found.stdout
