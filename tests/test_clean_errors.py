"""Clean errors at the edges (issue 11, items 7-14): one line, the right exit status, no traceback."""

from __future__ import annotations

import codecs
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, live_pages, write_lock_holder

from medcodes.cli import cli
from medcodes.queries.parse.syntax import parse_query

MEDCODES = [sys.executable, "-m", "medcodes"]


def run(runner: CliRunner, *args: str, **kwargs: object):
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)  # type: ignore[arg-type]


def answered(output: str) -> list[str]:
    return [json.loads(line)["query"] for line in output.splitlines()]


# --- 7. query files are decoded as pages are ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "queries"),
    [
        ("walker\nhotdog caf\xe9\n".encode("windows-1252"), ["walker", "hotdog caf\xe9"]),
        (codecs.BOM_UTF8 + "walker\ncaf\xe9\n".encode(), ["walker", "caf\xe9"]),
        ("walker\r\nfolding\r\n".encode("utf-16"), ["walker", "folding"]),
    ],
    ids=["windows-1252", "utf-8-bom", "utf-16-bom"],
)
def test_query_files_in_any_encoding(
    runner: CliRunner, built_index: Path, tmp_path: Path, data: bytes, queries: list[str]
) -> None:
    path = tmp_path / "queries.txt"
    path.write_bytes(data)
    result = run(runner, "search", "--queries", str(path), "--json", "--index", str(built_index))
    assert result.exit_code == 0, result.output
    assert answered(result.stdout) == queries


def test_a_binary_query_file_is_one_error_line(runner: CliRunner, built_index: Path, tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)
    result = run(runner, "search", "--queries", str(path), "--index", str(built_index))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path} is binary, not a text file of queries\n"


# --- 8. --log-json that cannot be written ----------------------------------------------------


def test_log_json_into_a_missing_folder_exits_1(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    assert run(runner, "ingest", str(pages_dir), "--index", str(index), "-q").exit_code == 0
    log = tmp_path / "missing" / "runs.jsonl"
    result = run(runner, "reindex", "--index", str(index), "--log-json", str(log))
    assert result.exit_code == 1
    assert f"Error: cannot write --log-json {log}: No such file or directory" in result.stderr


def test_every_goes_on_when_the_log_cannot_be_written(pages_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    subprocess.run([*MEDCODES, "ingest", str(pages_dir), "--index", str(index), "-q"], check=True, cwd=ROOT)
    log = tmp_path / "missing" / "runs.jsonl"
    command = [*MEDCODES, "reindex", "--index", str(index), "--every", "0.2s", "--log-json", str(log)]
    loop = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert loop.stderr is not None
    try:
        errors = 0
        deadline = time.monotonic() + 60
        while errors < 2 and time.monotonic() < deadline:
            errors += loop.stderr.readline().startswith("Error: cannot write --log-json")
        assert errors == 2 and loop.poll() is None  # still looping
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(timeout=30) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()
        loop.stderr.close()


# --- 9. reindex while the first ingest runs --------------------------------------------------


def test_reindex_during_the_first_ingest_waits_for_the_lock(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    command = [*MEDCODES, "reindex", "--index", str(index), "--wait", "0.3"]
    with write_lock_holder(index) as holder:  # a first ingest: no generation published yet
        busy = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        assert busy.returncode == 75
        assert f"is being written by pid {holder.pid}" in busy.stderr
    failed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)  # that ingest died
    assert failed.returncode == 1 and "no index at" in failed.stderr


# --- 10. UTF-16 pages ------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("name", ["hcpcs-J1100.txt", "hcpcs-A0429.html"])
def test_utf16_and_utf32_pages_with_a_bom_are_read(
    runner: CliRunner, tmp_path: Path, codec: str, name: str
) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / name).write_bytes(data)
    index = tmp_path / "ix"
    result = run(runner, "ingest", str(folder), "--index", str(index), "-v")
    assert result.exit_code == 0, result.stderr
    [page] = live_pages(index)
    reference = tmp_path / "ref"
    run(runner, "ingest", str(EXAMPLES / name), "--index", str(reference), "-q")
    [expected] = live_pages(reference)
    assert (page.key, page.title, page.sections) == (expected.key, expected.title, expected.sections)


# --- 11. a closed stdout -----------------------------------------------------------------------


def test_a_closed_stdout_ends_quietly_with_141(built_index: Path) -> None:
    command = [*MEDCODES, "search", "--queries", "-", "--format", "jsonl", "--index", str(built_index)]
    search = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert search.stdin is not None and search.stdout is not None and search.stderr is not None
    search.stdin.write(b"walker\n")
    search.stdin.flush()
    assert json.loads(search.stdout.readline())["query"] == "walker"
    search.stdout.close()  # as `| head -1` does
    search.stdin.write(b"".join(b"injection %d\n" % i for i in range(200)))
    search.stdin.close()
    assert search.wait(timeout=60) == 141
    assert search.stderr.read() == b""
    search.stderr.close()


# --- 12. --index on a folder of other files --------------------------------------------------


def test_ingest_refuses_a_folder_that_is_not_an_index(
    runner: CliRunner, pages_dir: Path, tmp_path: Path
) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "letter.txt").write_text("my own file")
    for command in (["ingest", str(pages_dir)], ["reindex", str(pages_dir)]):
        result = run(runner, *command, "--index", str(documents))
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: {documents} is not a medcodes index and is not empty: "
            "give --index a new or empty folder\n"
        )
    assert sorted(p.name for p in documents.iterdir()) == ["letter.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(runner, "ingest", str(pages_dir), "--index", str(empty), "-q").exit_code == 0
    assert run(runner, "ingest", str(pages_dir), "--index", str(empty), "-q").exit_code == 0


# --- 13. an index with no pages ------------------------------------------------------------


def test_an_index_with_no_pages_answers_cleanly(runner: CliRunner, tmp_path: Path) -> None:
    empty, index = tmp_path / "empty", tmp_path / "ix"
    empty.mkdir()
    ingested = run(runner, "ingest", str(empty), "--index", str(index))
    assert ingested.exit_code == 0
    assert f"warning: nothing was indexed from {empty}" in ingested.stderr
    for args in (["injection"], ["C9028"], ["J92*"], ["injection", "--json"]):
        result = run(runner, "search", *args, "--index", str(index))
        assert result.exit_code == 0, result.output
        assert "note: the index holds 0 pages" in result.stderr
    assert "no pages match" in run(runner, "search", "injection", "--index", str(index)).stdout


def test_an_ingest_whose_every_input_is_rejected_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    result = run(runner, "ingest", str(folder), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 3
    assert "warning: nothing was indexed" in result.stderr


# --- 14. query notes ---------------------------------------------------------------------------


def test_control_characters_are_noted() -> None:
    parsed = parse_query("walk\x01er")
    assert parsed.notices == ("control characters in the query were read as spaces",)


def test_identical_notes_are_given_once() -> None:
    parsed = parse_query("((((((((((walker")
    assert parsed.notices == ("unbalanced parenthesis: read as if closed at the end",)
