"""Load and faults for `medcodes serve` (issue 14), on loopback only, bounded in time.

    python bench/serve_load.py --pages /tmp/serve-bench/corpus-10000 --work /tmp/serve-bench/w10k \
        [--clients 16 64] [--seconds 60] [--workers 1] [--out report.md]

The pages are copied into WORK once and ingested there (not timed); the copy is what the run
changes. Then `medcodes serve` starts on a free port of 127.0.0.1 and, for each client count N:
N clients, each a keep-alive connection in its own thread, send /search (bench/querymix.py's
fixed mix) for SECONDS, then /suggest (prefixes of the same titles and codes, as typed) for
SECONDS; p50/p95/p99 latency, requests/s and errors (any status but 200, any broken connection);
/healthz for a quarter of that, at the first client count, is the HTTP stack alone.
During the first /search phase, 1% of the pages get a new word and `medcodes reindex` publishes
them: failed requests are counted as for any other, and a probe asks for the word every 20 ms
from the moment CURRENT changes until every changed page is found (the time to the new state).
Then the faults, each while 4 clients keep searching: clients that disconnect in the middle of a
streamed /lookup answer, a 10 MB body (with Content-Length and chunked), and 1,000 idle
connections held open; the server must keep answering the others.

The clients run in this process (Python threads): on a 2-core machine they take one core, so
requests/s is what one server process gives with the other core busy sending.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import querymix  # noqa: E402
from run import machine, percentile  # noqa: E402

from medcodes.pipeline.sources import expand_inputs  # noqa: E402

HOST = "127.0.0.1"
CHANGED_SHARE = 0.01
PROBE_EVERY_S = 0.02
FAULT_CLIENTS = 4
FAULT_SECONDS = 10
IDLE_CONNECTIONS = 1000
BIG_BODY = 10 * 1024 * 1024


@dataclass
class Tally:
    """Latencies (ms) of the requests that succeeded and the count of those that did not."""

    ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, kind: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="a corpus (bench/generate_corpus.py)")
    parser.add_argument("--work", type=Path, required=True, help="where the copy and its index live")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="medcodes serve --workers")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()

    pages, index = prepare(args.pages, args.work)
    files = sorted(Path(p) for p in expand_inputs([str(pages)]))
    sample = querymix.sample_pages(files, 300)
    searches = [f"/search?{urllib.parse.urlencode({'q': q})}" for _, q in querymix.query_mix(sample)]
    suggests = [f"/suggest?{urllib.parse.urlencode({'q': q})}" for q in typed_prefixes(sample)]
    lines = [f"# medcodes serve under load: {len(files):,} pages, {args.workers} worker process(es)", ""]
    lines.append(f"machine: {machine()}")
    lines.append(f"command: python bench/serve_load.py {' '.join(sys.argv[1:])}")
    lines.append("")
    with Server(index, args.workers) as server:
        lines += ["| endpoint | clients | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"]
        lines += ["|---|---|---|---|---|---|---|---|---|"]
        reindex_note = ""
        for number, clients in enumerate(args.clients):
            during = None
            if number == 0:
                during = lambda: reindex_while_served(server, index, files)  # noqa: E731
            tally, seconds, extra = load(server.port, searches, clients, args.seconds, during)
            lines.append(row("/search", clients, seconds, tally))
            reindex_note = reindex_note or extra
            tally, seconds, _ = load(server.port, suggests, clients, args.seconds)
            lines.append(row("/suggest", clients, seconds, tally))
            if number == 0:  # the HTTP stack alone: what no search costs
                tally, seconds, _ = load(server.port, ["/healthz"], clients, args.seconds / 4)
                lines.append(row("/healthz", clients, seconds, tally))
            print("\n".join(lines[-3:]), flush=True)
        lines += [
            "",
            reindex_note,
            "",
            "| fault, while 4 clients search | result | their p95 ms | their errors |",
        ]
        lines += ["|---|---|---|---|"]
        for name, fault in FAULTS.items():
            tally, _, outcome = load(
                server.port, searches, FAULT_CLIENTS, FAULT_SECONDS, lambda f=fault: f(server)
            )
            lines.append(f"| {name} | {outcome} | {percentile(tally.ms, 0.95):.1f} | {tally.errors} |")
            print(lines[-1], flush=True)
        alive = get_status(server.port, "/healthz")
        lines += ["", f"after the faults: /healthz {alive}; server errors logged: {server.errors_logged()}"]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)
    return 0


def prepare(pages: Path, work: Path) -> tuple[Path, Path]:
    """The work copy of the pages and its index, made once."""
    copy, index = work / "pages", work / "index"
    if not (work / ".ready").exists():
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(pages, copy)
        medcodes(["ingest", str(copy), "--index", str(index), "-q"])
        (work / ".ready").write_text("")
    return copy, index


def medcodes(args: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "medcodes", *args], check=True, cwd=HERE.parent)


def typed_prefixes(pages: list, seed: int = 7) -> list[str]:
    """What a coder has typed so far: code beginnings and title words cut short, with and
    without a finished word before them, deterministically."""
    rng = random.Random(seed)
    typed = []
    for page in pages:
        code = page.code
        typed.append(code[: rng.randint(2, max(2, len(code) - 1))])
        words = [w for w in page.title.lower().replace(",", " ").split() if len(w) >= 4]
        if words:
            word = rng.choice(words)
            typed.append(word[: rng.randint(3, len(word))])
        if len(words) >= 2:
            first, second = words[0], words[1]
            typed.append(f"{first} {second[: rng.randint(3, len(second))]}")
    rng.shuffle(typed)
    return typed


class Server:
    """`medcodes serve` on a free loopback port, its log in a file; stopped on leaving."""

    def __init__(self, index: Path, workers: int) -> None:
        self.index, self.workers = index, workers
        self.log = index.parent / "serve.log"

    def __enter__(self) -> Server:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "medcodes", "serve", "--index", str(self.index)]
        command += ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        self.log_file = self.log.open("w")
        self.process = subprocess.Popen(command, cwd=HERE.parent, stderr=self.log_file)
        deadline = time.monotonic() + 60
        while get_status(self.port, "/healthz") != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the server did not start: see {self.log}")
            time.sleep(0.1)
        for path in ("/search?q=warm", "/suggest?q=war"):  # the vocabulary is read on first need
            get_status(self.port, path)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log_file.close()

    def errors_logged(self) -> int:
        text = self.log.read_text(errors="replace")
        return text.count(" ERROR ") + text.count("Traceback")


def get_status(port: int, path: str) -> int:
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return 0


def load(
    port: int, paths: list[str], clients: int, seconds: float, during: Callable[[], str] | None = None
) -> tuple[Tally, float, str]:
    """`clients` threads sending `paths` round-robin for `seconds`; `during` runs meanwhile
    (its note is returned)."""
    tally = Tally()
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(port, paths, offset * 7, tally, stop), daemon=True)
        for offset in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    note = ""
    if during is not None:
        time.sleep(min(seconds / 3, 20))
        note = during()
    remaining = seconds - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return tally, time.perf_counter() - started, note


def client(port: int, paths: list[str], start: int, tally: Tally, stop: threading.Event) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    at = start
    while not stop.is_set():
        path = paths[at % len(paths)]
        at += 1
        began = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as err:
            tally.fail(type(err).__name__)
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        if response.status != 200:
            tally.fail(str(response.status))
            continue
        ms = (time.perf_counter() - began) * 1000
        with tally.lock:
            tally.ms.append(ms)
    connection.close()


def row(endpoint: str, clients: int, seconds: float, tally: Tally) -> str:
    count = len(tally.ms)
    kinds = f" ({', '.join(f'{k} {n}' for k, n in tally.error_kinds.items())})" if tally.errors else ""
    return (
        f"| {endpoint} | {clients} | {seconds:.0f} | {count} | {count / seconds:.0f} | "
        f"{percentile(tally.ms, 0.5):.1f} | {percentile(tally.ms, 0.95):.1f} | "
        f"{percentile(tally.ms, 0.99):.1f} | {tally.errors}{kinds} |"
    )


def reindex_while_served(server: Server, index: Path, files: list[Path]) -> str:
    """Give 1% of the pages a new word, reindex, and time from the publish (CURRENT changes)
    until /search finds every changed page."""
    marker = f"zqserve{int(time.time())}"
    changed = random.Random(marker).sample(files, max(1, int(len(files) * CHANGED_SHARE)))
    for path in changed:
        text = path.read_text(encoding="utf-8", errors="replace")
        path.write_text(
            text.replace("This page describes ", f"This page describes {marker} ", 1), encoding="utf-8"
        )
    current = (index / "CURRENT").read_text()
    began = time.perf_counter()
    reindex = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medcodes",
            "reindex",
            "--index",
            str(index),
            "--workers",
            "1",
            "-q",
            "--json",
        ],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    while (index / "CURRENT").read_text() == current and reindex.poll() is None:
        time.sleep(0.005)
    published = time.perf_counter()
    served_after = None
    probe = f"/search?{urllib.parse.urlencode({'q': marker, 'limit': 1})}"
    while time.perf_counter() - published < 30:
        try:
            connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
            connection.request("GET", probe)
            answer = json.loads(connection.getresponse().read())
            connection.close()
        except (OSError, ValueError):
            answer = {}
        if answer.get("total") == len(changed):
            served_after = time.perf_counter() - published
            break
        time.sleep(PROBE_EVERY_S)
    output, _ = reindex.communicate(timeout=600)
    counts = json.loads(output) if output.strip() else {}
    served = f"{served_after:.2f} s" if served_after is not None else "not within 30 s"
    return (
        f"reindex during the first /search phase: {len(changed)} pages changed "
        f"(updated {counts.get('updated', '?')}), published {published - began:.1f} s after it started; "
        f"the new state was served {served} after the publish (probe every {PROBE_EVERY_S * 1000:.0f} ms)"
    )


def disconnect_mid_response(server: Server) -> str:
    """20 clients ask for a 1,000-query /lookup and hang up after its first bytes."""
    body = json.dumps(["injection"] * 1000).encode()
    for _ in range(20):
        with socket.create_connection((HOST, server.port), timeout=10) as raw:
            raw.sendall(
                b"POST /lookup?limit=100 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            raw.recv(512)
    return f"20 hang-ups; /healthz then {get_status(server.port, '/healthz')}"


def big_body(server: Server) -> str:
    """10 MB to /lookup, once announced by Content-Length and once chunked: what the server
    answers, and how much of the body it took before answering."""
    began = time.perf_counter()
    announced = _send_big(server.port, f"Content-Length: {BIG_BODY}\r\n".encode(), lambda: [b" " * BIG_BODY])
    chunk = 65536
    framed = f"{chunk:x}\r\n".encode() + b" " * chunk + b"\r\n"
    chunked = _send_big(
        server.port, b"Transfer-Encoding: chunked\r\n", lambda: [framed] * (BIG_BODY // chunk)
    )
    return f"Content-Length: {announced}; chunked: {chunked}; {time.perf_counter() - began:.2f} s"


def _send_big(port: int, header: bytes, body: Callable[[], list[bytes]]) -> str:
    """Send the head, look for an early answer, then the body piece by piece until the server
    stops taking it; the status line it answered and the bytes it took."""
    sent = 0
    with socket.create_connection((HOST, port), timeout=10) as raw:
        raw.sendall(
            b"POST /lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + header + b"\r\n"
        )
        raw.settimeout(0.5)
        answer = b""
        with contextlib.suppress(TimeoutError):  # no early answer: send the body
            answer = raw.recv(4096)
        raw.settimeout(10)
        if not answer:
            try:
                for piece in body():
                    raw.sendall(piece)
                    sent += len(piece)
            except OSError:
                pass
            try:
                answer = raw.recv(4096)
            except OSError as err:
                answer = type(err).__name__.encode()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed without an answer"
    return f"{status} after {sent / 1e6:.1f} MB sent"


def idle_connections(server: Server) -> str:
    """1,000 connections opened and left silent for the phase."""
    held = []
    for _ in range(IDLE_CONNECTIONS):
        try:
            held.append(socket.create_connection((HOST, server.port), timeout=10))
        except OSError:
            break
    opened = len(held)
    time.sleep(FAULT_SECONDS / 2)
    status = get_status(server.port, "/healthz")
    still_open = 0
    for sock in held:
        sock.setblocking(False)
        try:
            still_open += sock.recv(1) != b""  # b"": closed by the server
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        sock.close()
    waited = f"{FAULT_SECONDS / 2:.0f} s"
    return f"{opened} opened, {still_open} still open after {waited}; /healthz meanwhile {status}"


FAULTS = {
    "clients hang up mid-response (/lookup)": disconnect_mid_response,
    "10 MB body (Content-Length, chunked)": big_body,
    "1,000 idle connections": idle_connections,
}


if __name__ == "__main__":
    sys.exit(main())
