"""Issue 17, item 1: pages of hostile shapes (one tag or token repeated, huge lists, many lines)
are read or rejected in time linear in their size, and a per-page time budget rejects a page
that outlasts it ("parse time limit") while the run goes on, in the process pool and in process.

No timing is asserted here: bench/hard_inputs.py measures the rate per MB of every shape."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.parse import MAX_ELEMENTS, MAX_LINES, PageParseError, parse_page
from medcodes.pipeline.time_budget import budget_available

BENCH = Path(__file__).resolve().parent.parent / "bench" / "hard_inputs.py"


def _hard_inputs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_hard_inputs", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHAPES = _hard_inputs().SHAPES
# What the structure bounds reject at once, whatever else the page holds.
OVER_BOUNDS = {
    "li-tags-html": "too much markup for a code page",
    "li-items": "too much markup for a code page",
    "br-lines": "too much markup for a code page",
    "div-nesting": "too much markup for a code page",
    "text-headings": "too many lines for a code page",
    "newline-token": "too many lines for a code page",
}


def _section_page(lines: int) -> bytes:
    """A text code page of `lines` short lines under headings: read, and slow enough to time out."""
    head = "Walker, folding (E0135)\n\nName of the Procedure:\nWalker\n\n"
    body = "".join(
        f"{('Risks:', 'Indications:', 'Recovery:')[n % 3]}\nLine {n} of the section.\n" for n in range(lines)
    )
    return (head + body).encode()


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_a_one_megabyte_page_of_each_hostile_shape_is_read_or_rejected(shape: str) -> None:
    _, source, build = SHAPES[shape]
    data = build(1_000_000)
    try:
        page = parse_page(data, source)
    except PageParseError as err:
        reason = str(err)
        assert reason and not reason.startswith("parse time limit")
        if shape in OVER_BOUNDS:
            assert reason.startswith(OVER_BOUNDS[shape]), reason
    else:
        assert shape not in OVER_BOUNDS and page.code


def test_pages_within_the_bounds_are_read() -> None:
    page = parse_page(_section_page(MAX_LINES // 2 - 10), "headings.txt")
    assert page.key == "hcpcs:E0135" and page.sections
    items = "".join(f"<li>Risk {n}: fever</li>" for n in range(MAX_ELEMENTS // 2))
    html = f"<html><body><h1>Walker (E0135)</h1><h2>Risks</h2><ul>{items}</ul></body></html>"
    assert parse_page(html.encode(), "walker.html").key == "hcpcs:E0135"


HOSTILE_UNITS = [
    b"<li>",
    b"<br>",
    b"<div>",
    b"<p>",
    b"- ",
    b"## ",
    b"Risks: ",
    b"(",
    b"walker\n",
    b"\n",
    b"<li>x</li>",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(HOSTILE_UNITS),
    st.integers(min_value=1, max_value=3 * MAX_ELEMENTS),
    st.sampled_from(["fuzz.html", "fuzz.txt", "fuzz"]),
)
def test_a_repeated_unit_is_read_or_rejected_never_raised(unit: bytes, count: int, name: str) -> None:
    outcomes = parse_input(name, b"<h1>Walker (E0135)</h1>\n" + unit * count)
    assert len(outcomes) == 1
    [outcome] = outcomes
    assert outcome.page is not None or outcome.reason
    assert "internal error" not in outcome.reason


def test_the_time_budget_rejects_a_page_that_outlasts_it() -> None:
    data = _section_page(4000)
    assert parse_page(data, "headings.txt").key == "hcpcs:E0135"  # the default budget: read
    with pytest.raises(PageParseError, match=r"^parse time limit: not parsed within 0\.001 s$"):
        parse_page(data, "headings.txt", time_limit=0.001)
    assert parse_page(data, "headings.txt", time_limit=None).key == "hcpcs:E0135"  # no timer left behind


def test_off_the_main_thread_there_is_no_budget() -> None:
    """A signal can only be received by the main thread: a server's thread parses unbounded."""
    found: list[str] = []
    worker = threading.Thread(
        target=lambda: found.append(
            str(budget_available()) + parse_page(_section_page(4000), "h.txt", time_limit=0.001).key
        )
    )
    worker.start()
    worker.join()
    assert found == ["Falsehcpcs:E0135"]


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "pool"])
def test_a_page_over_the_budget_is_rejected_and_the_run_goes_on(tmp_path: Path, workers: int) -> None:
    """Enough inputs for the pool (over IN_PROCESS_MAX): one slow page in the middle of them."""
    pages = tmp_path / "pages"
    for copy in range(2):
        shutil.copytree(EXAMPLES, pages / f"copy{copy}")
    (pages / "copy1" / "slow-E0135.txt").write_bytes(_section_page(4000))
    inputs = sum(1 for p in pages.rglob("*") if p.is_file())
    report = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", "medcodes", "ingest", str(pages), "--index", str(tmp_path / "ix")]
    command += ["--workers", str(workers), "--parse-time-limit", "0.001", "--report", str(report), "-q"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr
    assert result.returncode == 3, result.stderr  # done, some pages rejected: not a failed run
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(rows) == inputs  # every page has its outcome: no worker was lost
    [slow] = [row for row in rows if row["path"].endswith("slow-E0135.txt")]
    assert slow["status"] == "rejected" and slow["reason"] == "parse time limit: not parsed within 0.001 s"
    assert {row["status"] for row in rows} <= {"indexed", "duplicate", "rejected"}
