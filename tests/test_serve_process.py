"""A real `medcodes serve` process on 127.0.0.1: it answers, logs each request, and serves a
reindex's new state without a restart, no request failing meanwhile."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import medcodes
from tests.conftest import ROOT, age_files

# Generous: a shared 2-core machine may be slow to start a Python process or to reindex.
STARTUP_S = 60
NEW_STATE_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextmanager
def serving(root: Path, *options: str, health: int = 200) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`medcodes serve` on a free port, answering /healthz with `health`; stopped with SIGTERM
    on leaving."""
    port = free_port()
    command = [sys.executable, "-m", "medcodes", "serve", "--index", str(root), "--port", str(port), *options]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if get(port, "/healthz")[0] == health:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)
        yield port, server
    finally:
        if server.returncode is None:
            server.terminate()
            try:
                server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.communicate()


@pytest.mark.slow
def test_a_served_index_answers_from_a_new_generation_without_restart(
    pages_dir: Path, tmp_path: Path, summary_lines: list[str]
) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    with serving(root, "--log-json") as (port, server):
        status, before = get(port, "/search?q=zorbulation")
        assert status == 200 and before["total"] == 0
        generation = get(port, "/healthz")[1]["generation"]

        page = pages_dir / "hcpcs-E0135.txt"
        page.write_text(page.read_text().replace("Walker", "Walker zorbulation", 1))
        age_files(pages_dir, 30)
        reindex = subprocess.run(
            [sys.executable, "-m", "medcodes", "reindex", "--index", str(root), "--workers", "1", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert reindex.returncode == 0, reindex.stderr
        published = time.monotonic()
        statuses = []
        while True:
            status, answer = get(port, "/search?q=zorbulation")
            statuses.append(status)
            if answer.get("total"):
                break
            assert time.monotonic() - published < NEW_STATE_S, "the new generation was not served"
            time.sleep(0.05)
        waited = time.monotonic() - published
        assert [hit["code"] for hit in answer["hits"]] == ["E0135"]
        assert set(statuses) == {200}
        assert get(port, "/healthz")[1]["generation"] != generation
        summary_lines.append(f"serve: new generation served {waited:.2f} s after reindex published it")
        server.terminate()
        _, log = server.communicate(timeout=20)
    assert server.returncode in (0, -signal.SIGTERM), (
        log
    )  # uvicorn ends as the signal asked, after a clean shutdown
    assert "Application shutdown complete" in log
    requests = [json.loads(line) for line in log.splitlines() if '"medcodes.server.access"' in line]
    assert {"method": "GET", "path": "/search", "status": 200} in [
        {k: entry[k] for k in ("method", "path", "status")} for entry in requests
    ]
    assert all(entry["ms"] >= 0 for entry in requests)
    assert "Traceback" not in log


@pytest.mark.slow
def test_several_worker_processes_answer(built_index: Path) -> None:
    with serving(built_index, "--workers", "2") as (port, _server):
        for _ in range(4):
            status, answer = get(port, "/search?" + urllib.parse.urlencode({"q": "walker", "limit": 1}))
            assert status == 200 and answer["hits"][0]["code"] == "E0135"


@pytest.mark.slow
def test_a_server_started_before_its_index_serves_it_once_published(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "later"
    with serving(root, health=503) as (port, server):
        status, answer = get(port, "/search?q=walker")
        assert status == 503 and answer["error"]["code"] == "index_unavailable"
        medcodes.ingest([str(pages_dir)], root, workers=1)
        status, answer = get(port, "/search?q=walker")
        assert status == 200 and answer["hits"][0]["code"] == "E0135"
        server.terminate()
        _, log = server.communicate(timeout=20)
    assert f"warning: no index at {root}: /healthz answers 503 until an index is published" in log


def closed_by_server(connection: socket.socket, within: float, trickle: bytes = b"") -> bool:
    """Whether the server closes `connection` within `within` seconds, while the client sends
    `trickle` a byte a second (a request head that never ends)."""
    connection.settimeout(1.0)
    deadline = time.monotonic() + within
    sent = 0
    while time.monotonic() < deadline:
        try:
            if connection.recv(1024) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionResetError:
            return True
        if sent < len(trickle):
            try:
                connection.sendall(trickle[sent : sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return True
            sent += 1
    return False


@pytest.mark.slow
def test_connections_that_send_no_whole_request_head_are_closed(built_index: Path) -> None:
    """uvicorn closed neither a connection that never sends a request nor one sending its head a
    byte at a time; each held a socket for as long as the client liked. A request head must
    now arrive within 5 s (medcodes.server.idle); a client that does send one is answered."""
    endless_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 60
    with serving(built_index) as (port, _server):
        with (
            socket.create_connection(("127.0.0.1", port)) as idle,
            socket.create_connection(("127.0.0.1", port)) as slow,
        ):
            assert closed_by_server(idle, within=20)
            assert closed_by_server(slow, within=20, trickle=endless_head)
        with socket.create_connection(("127.0.0.1", port)) as prompt:
            prompt.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert prompt.recv(1024).startswith(b"HTTP/1.1 200")
