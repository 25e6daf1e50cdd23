"""`medcodes reindex` as cron, systemd and monitoring see it: output, exit codes, logs, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, write_lock_holder

from medcodes.cli import cli

MEDCODES = [sys.executable, "-m", "medcodes"]


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def index_dir(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    assert run(runner, "ingest", str(pages_dir), "--index", str(root), "-q", "--workers", "1").exit_code == 0
    return root


def test_nothing_changed_says_so(runner: CliRunner, index_dir: Path) -> None:
    result = run(runner, "reindex", "--index", str(index_dir), "--json", "--workers", "1")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("added", "updated", "deleted", "unchanged", "rejected")} == {
        "added": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 26,
        "rejected": 0,
    }
    assert isinstance(summary["seconds"], float)
    assert result.stderr.startswith("reindex: nothing changed in ")
    assert ": 26 pages up to date, 0 rejected (" in result.stderr


def test_changes_report_and_log(runner: CliRunner, index_dir: Path, pages_dir: Path, tmp_path: Path) -> None:
    (pages_dir / "icd10cm-I10.html").unlink()
    (pages_dir / "broken.html").write_text("")
    report, log = tmp_path / "report.jsonl", tmp_path / "runs.jsonl"
    args = ["reindex", "--index", str(index_dir), "--report", str(report), "--log-json", str(log)]
    result = run(runner, *args, "--workers", "1")
    assert result.exit_code == 3  # done, with a rejected page
    assert "added 0, updated 0, deleted 1, unchanged 25, duplicates 0, rejected 1" in result.stderr
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(lines) == 27
    assert {(line["status"], Path(line["path"]).name) for line in lines if line["status"] != "unchanged"} == {
        ("deleted", "icd10cm-I10.html"),
        ("rejected", "broken.html"),
    }
    # Monitoring keeps seeing the rejected page until it is fixed, without re-parsing it.
    again = run(runner, *args, "--workers", "1")
    assert again.exit_code == 3 and "nothing changed" in again.stderr
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["status"], r["exit_code"], r["deleted"]) for r in runs] == [
        ("rejected", 3, 1),
        ("rejected", 3, 0),
    ]
    assert {"started", "finished", "index", "seconds", "pages"} <= set(runs[0])


def test_failures_are_one_line_and_logged(runner: CliRunner, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    result = run(runner, "reindex", "--index", str(tmp_path / "none"), "--log-json", str(log))
    assert result.exit_code == 1
    assert result.stderr == f"Error: no index at {tmp_path / 'none'} — run medcodes ingest first\n"
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (record["status"], record["exit_code"]) == ("error", 1)
    assert run(runner, "reindex", "--every", "soon").exit_code == 2


def test_lock_busy_exits_75_naming_the_holder(index_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    with write_lock_holder(index_dir) as holder:
        result = subprocess.run(
            [*MEDCODES, "reindex", "--index", str(index_dir), "--wait", "0.3", "--log-json", str(log)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 75
        assert f"is being written by pid {holder.pid} on " in result.stderr
        assert json.loads(log.read_text())["status"] == "busy"
    # The holder was killed -9: its lock is taken over, and the takeover is logged.
    result = subprocess.run(
        [*MEDCODES, "reindex", "--index", str(index_dir), "--wait", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert f"took over the write lock of pid {holder.pid}" in result.stderr


@pytest.mark.slow
def test_every_runs_until_sigterm(index_dir: Path, pages_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    loop = subprocess.Popen(
        [*MEDCODES, "reindex", "--index", str(index_dir), "--every", "0.5s", "--log-json", str(log)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 2)
        (pages_dir / "hcpcs-C9028.txt").unlink()  # the loop picks changes up on its next run
        wait_for(lambda: any(json.loads(line)["deleted"] == 1 for line in log.read_text().splitlines()))
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(timeout=30) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()
    assert loop.stderr is not None
    stderr = loop.stderr.read()
    loop.stderr.close()
    assert "SIGTERM received, stopping after this run" in stderr
    assert stderr.rstrip().endswith("reindex: stopped")
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(r["status"] == "ok" for r in runs) and len(runs) >= 3


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_check_after_reindex(runner: CliRunner, index_dir: Path, pages_dir: Path) -> None:
    (pages_dir / "hcpcs-C9028.txt").unlink()
    assert run(runner, "reindex", "--index", str(index_dir), "-q", "--workers", "1").exit_code == 0
    result = run(runner, "check", "--index", str(index_dir))
    assert result.exit_code == 0 and result.output.startswith("ok: 25 pages")


def test_full_rebuild_summary(runner: CliRunner, index_dir: Path) -> None:
    result = run(runner, "reindex", "--index", str(index_dir), "--full", "--workers", "1")
    assert result.exit_code == 0
    assert result.stderr.startswith("full rebuild (asked for): added 0, updated 0, deleted 0, unchanged 26")


def test_index_from_the_environment_and_json_on_stdout(index_dir: Path) -> None:
    env = {**os.environ, "MEDCODES_INDEX": str(index_dir)}
    result = subprocess.run(
        [*MEDCODES, "reindex", "--json"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0 and json.loads(result.stdout)["unchanged"] == 26
