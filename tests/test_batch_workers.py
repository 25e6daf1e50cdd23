"""Issue 16: a batch (`search --queries`, Searcher.search_many) answered by forked searcher
processes — the same answers in the same order as one process gives, the per-line error
contract, an error that ends the batch, no worker left behind, a pipe answered as it comes,
and the generation the batch started on kept through a reindex."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import MEDCODES, ROOT, hit_codes

import medcodes
from medcodes.cli import cli
from medcodes.index.store import IndexCorruptError
from medcodes.queries.batch_pool import available_cores
from medcodes.queries.search import POOL_AFTER

# Queries in our own words over the example pages, and lines that are no usable query.
_WORDS = [
    "walker",
    "leukemia antibody infusion",
    "oxygen concentrator",
    "ambulance transport",
    "asthma",
    "diabetes without complications",
    "blood draw",
    "chest x-ray",
    "knee arthroscopy",
    "heartburn reflux",
    "wheelchair",
    "leukmia infusion",  # a typo
    "low back pain",
    "high blood pressure",
    "C9028",
    "E11.9",
    "J92*",
    "J9000-J9999",
    "system:hcpcs walker",
    '"unclosed phrase',
    "xylophonist",
]
_BAD = ["", "AND", "-", "   ", "()", "*", '"']


def _batch(lines: int = 300) -> list[str]:
    """A few hundred lines: queries, pairs of them, and a bad line every seventh."""
    texts = []
    for n in range(lines):
        if n % 7 == 3:
            texts.append(_BAD[n % len(_BAD)])
        elif n % 3 == 0:
            texts.append(f"{_WORDS[n % len(_WORDS)]} {_WORDS[(n * 5) % len(_WORDS)]}")
        else:
            texts.append(_WORDS[n % len(_WORDS)])
    return texts


def _untimed(result: medcodes.SearchResult) -> dict[str, Any]:
    answer = result.to_dict()
    answer.pop("took_ms")
    return answer


def _children() -> set[int]:
    """The processes whose parent is this one."""
    return _children_of(os.getpid())


def _children_of(parent: int) -> set[int]:
    """The running (not zombie) processes whose parent is `parent`."""
    found = set()
    for entry in Path("/proc").iterdir():
        stat = _stat(entry.name) if entry.name.isdigit() else None
        if stat is not None and stat[1] == str(parent) and stat[0] != "Z":
            found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    stat = _stat(str(pid))
    return stat is not None and stat[0] != "Z"


def _stat(pid: str) -> list[str] | None:
    """A process's state and parent, ... from /proc (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _without_times(text: str) -> str:
    """Output with the measured times (a table's "N ms", JSON's took_ms) blanked: the only
    bytes that may differ between two runs of the same batch."""
    text = re.sub(r", \d+ ms$", ", _ ms", text, flags=re.MULTILINE)
    return re.sub(r'"took_ms": [0-9.]+', '"took_ms": _', text)


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 3, None], ids=["two", "three", "default"])
def test_workers_answer_as_one_process_does(built_index: Path, workers: int | None) -> None:
    texts = _batch()
    with medcodes.Searcher(built_index) as searcher:
        alone = [_untimed(r) for r in searcher.search_many(texts, limit=3, workers=1)]
        spread = [_untimed(r) for r in searcher.search_many(texts, limit=3, workers=workers)]
    assert [answer["query"] for answer in spread] == texts
    assert spread == alone
    assert sum("error" in answer for answer in spread) == sum(1 for n in range(300) if n % 7 == 3)
    assert _children() == set()


def test_by_default_a_long_batch_is_spread_over_the_cores(built_index: Path) -> None:
    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(_batch(POOL_AFTER + 20))
        for _ in range(POOL_AFTER):
            next(batch)
        assert _children() == set()  # a handful of lines: answered here
        next(batch)
        assert len(_children()) == (available_cores() if available_cores() > 1 else 0)
        assert len(list(batch)) == 19
    assert _children() == set()


def test_workers_answer_each_text_before_the_next_is_read(built_index: Path) -> None:
    """The second text exists only once the first is answered: a pool that waited for more
    input before answering would never give the first answer."""
    first_answered = threading.Event()

    def texts() -> Iterator[str]:
        yield "C9028"
        if not first_answered.wait(60):
            raise AssertionError("the first text was not answered on its own")
        yield "E11.9"

    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(texts(), workers=2)
        assert hit_codes(next(batch))[0] == "C9028"
        first_answered.set()
        assert [hit_codes(r)[0] for r in batch] == ["E11.9"]


class _BrokenOn(medcodes.Searcher):
    """A searcher whose index fails on one text (as a damaged segment would): a MedcodesError,
    raised in the worker that meets it."""

    def search(self, text: str, **options: Any) -> medcodes.SearchResult:
        if text == "broken":
            raise IndexCorruptError("the index files of gen-000001 are damaged")
        return super().search(text, **options)


def test_an_index_error_mid_batch_ends_it_after_the_answers_before(built_index: Path) -> None:
    texts = ["C9028", "", "E11.9", "broken", "walker", *["J9229"] * 50]
    answered: list[medcodes.SearchResult] = []
    with _BrokenOn(built_index) as searcher, pytest.raises(IndexCorruptError, match="damaged"):
        for result in searcher.search_many(texts, workers=2):
            answered.append(result)
    assert [r.query for r in answered] == ["C9028", "", "E11.9"]
    assert answered[1].error is not None
    assert _children() == set()


def test_a_batch_left_early_leaves_no_worker(built_index: Path) -> None:
    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(_batch(), workers=2)
        next(batch)
        assert len(_children()) == 2
        batch.close()
    assert _children() == set()


def test_a_killed_worker_ends_the_batch_with_an_error(built_index: Path) -> None:
    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(_texts_until_told(), workers=2)
        next(batch)
        for pid in _children():
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(medcodes.MedcodesError, match="worker ended"):
            list(batch)
    assert _children() == set()


def _texts_until_told() -> Iterator[str]:
    """An endless batch of one query."""
    while True:
        yield "walker"


def test_the_batch_reads_the_generation_it_started_on(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    (pages_dir / "hcpcs-C9028.txt").unlink()
    with medcodes.Searcher(root) as searcher:
        batch = searcher.search_many(["C9028", *["walker"] * 40, "C9028"], workers=2)
        assert hit_codes(next(batch)) == ["C9028"]
        assert medcodes.reindex(root).to_dict()["deleted"] == 1  # published while the batch runs
        rest = list(batch)
    assert hit_codes(rest[-1]) == ["C9028"]
    with medcodes.Searcher(root) as fresh:
        assert "C9028" not in hit_codes(fresh.search("C9028"))


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv"])
def test_the_output_of_workers_is_that_of_one_process(
    runner: CliRunner, built_index: Path, tmp_path: Path, fmt: str
) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(_batch()) + "\n", encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        args = ["search", "--queries", str(queries), "--format", fmt, "--workers", workers]
        result = runner.invoke(cli, [*args, "--index", str(built_index), "-n", "3"])
        assert result.exit_code == 0, result.output
        outputs.append((_without_times(result.stdout), result.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].count("\n") >= 300
    if fmt == "table":
        assert "line 4: nothing to search for" in outputs[0][1]


def test_workers_need_a_batch(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(cli, ["search", "walker", "--workers", "2", "--index", str(built_index)])
    assert result.exit_code == 2 and "--workers goes with --queries" in result.stderr


def test_a_binary_line_mid_batch_is_one_error_after_the_answers_before(
    runner: CliRunner, built_index: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.txt"
    # Past the head that is sniffed for binary input, so the batch has begun when it is met.
    queries.write_bytes(b"C9028\n" * 400 + b"C9028\x00\x01\x02\n" + b"walker\n" * 40)
    args = ["search", "--queries", str(queries), "--json", "--workers", "2", "--index", str(built_index)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert [json.loads(line)["query"] for line in result.stdout.splitlines()] == ["C9028"] * 400
    assert result.stderr.startswith("Error: ") and "binary" in result.stderr
    assert "Traceback" not in result.stderr


def _batch_process(built_index: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MEDCODES, "search", "--queries", "-", "--json", "--index", str(built_index), *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("options", [("--workers", "2"), ()], ids=["two-workers", "default"])
def test_a_piped_batch_is_answered_line_by_line(built_index: Path, options: tuple[str, ...]) -> None:
    """Each line is answered before the next is written, past the default's switch to workers."""
    batch = _batch_process(built_index, *options)
    assert batch.stdin is not None and batch.stdout is not None
    for text in ["C9028", "E11.9"] * (POOL_AFTER // 2 + 3):
        batch.stdin.write(text + "\n")
        batch.stdin.flush()
        assert hit_codes_of(batch.stdout.readline())[0] == text
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 0 and stderr == ""


def hit_codes_of(line: str) -> list[str]:
    return [hit["code"] for hit in json.loads(line)["hits"]]


def _batch_at_work(built_index: Path) -> tuple[subprocess.Popen[str], set[int]]:
    """A two-worker batch that has answered its first line, and its workers."""
    batch = _batch_process(built_index, "--workers", "2")
    assert batch.stdin is not None and batch.stdout is not None
    batch.stdin.write("walker\n")
    batch.stdin.flush()
    assert batch.stdout.readline()
    return batch, _children_of(batch.pid)


def _wait_until_gone(workers: set[int]) -> None:
    """A bound on waiting for the kernel to end them, not a speed figure."""
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers outlived their batch"
        time.sleep(0.1)


def test_workers_die_with_a_killed_batch(built_index: Path) -> None:
    batch, workers = _batch_at_work(built_index)
    assert len(workers) == 2
    batch.kill()  # no chance to clean up: the kernel ends the workers (PR_SET_PDEATHSIG)
    batch.communicate(timeout=60)
    _wait_until_gone(workers)


def test_ctrl_c_ends_the_workers_without_a_traceback(built_index: Path) -> None:
    batch, workers = _batch_at_work(built_index)
    batch.send_signal(signal.SIGINT)
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130
    assert "Traceback" not in stderr
    assert len(workers) == 2
    # A worker the batch had not yet joined when Ctrl-C reached it is ended by the kernel as the
    # batch exits, a moment later.
    _wait_until_gone(workers)


def test_what_the_caller_had_not_flushed_is_written_once(built_index: Path) -> None:
    code = (
        "import sys, medcodes\n"
        "print('before the batch')\n"  # to a pipe: buffered, not yet written
        f"with medcodes.Searcher({str(built_index)!r}) as searcher:\n"
        "    print(len(list(searcher.search_many(['walker'] * 20, workers=2))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    assert done.stdout == "before the batch\n20\n"


def test_the_benchmark_runs_one_batch_both_ways(built_index: Path, tmp_path: Path) -> None:
    judged = tmp_path / "hcpcs-words.tsv"
    judged.write_text("qid\tquery\tsystem\tcode\tgrade\nq1\twalker\thcpcs\tE0135\t2\n", encoding="utf-8")
    plain = tmp_path / "codes.txt"
    plain.write_text("C9028\nJ92*\n\n", encoding="utf-8")
    script = ROOT / "bench" / "batch_throughput.py"
    args = [
        sys.executable,
        str(script),
        str(built_index),
        str(judged),
        str(plain),
        "--runs",
        "1",
        "--workers",
        "2",
    ]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "4 queries of 2 types" in done.stdout
    assert "identical to 1 (times aside): True" in done.stdout
    assert re.search(r"throughput ratio 2 workers / 1: [0-9.]+x", done.stdout)
    assert re.search(r"\| codes \| 3 \|", done.stdout) and "slowest query type (by mean): " in done.stdout
