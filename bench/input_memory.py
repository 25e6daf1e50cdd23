"""Peak memory of `medcodes ingest` on hostile and large inputs (issue 19, items 1, 7 and 9).

Each case is built in a temporary folder and ingested by a subprocess of its own, under an
address-space limit (`--as-limit`, default 3 GB) so that a reader that does not stream cannot
take the machine down: it fails instead (MemoryError or killed), and its peak is at the limit.
The peak is the largest resident set of the process and its parser workers (wait4's
ru_maxrss), in MB; the counts come from the run's --report lines.

    python bench/input_memory.py                     # every case
    python bench/input_memory.py zeros-warc stdin    # some of them

Cases:
- zeros-warc: a 4 MB `.warc.gz` holding one gzip member of about 4 GB of zeros;
- big-record-warc: a `.warc.gz` whose first response record decompresses to 100 MB of zeros,
  followed by one ordinary page;
- members-600-zip: a zip of 600 pages of about 45 KB each (repetitive, so it is small);
- pages-3000-zip / pages-3000-folder: the same 3,000 generated pages as one zip and as files;
- stdin-1gb: 1 GB of text piped to `medcodes ingest -`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.generate_corpus import DEFAULT_DATA, FALLBACK_DATA, generate  # noqa: E402

MEDCODES = [str(Path(sys.executable).with_name("medcodes"))]
ZEROS_BYTES = 4 << 30
BIG_RECORD_BYTES = 100 << 20
STDIN_BYTES = 1 << 30
WIDE_MEMBERS = 600
WIDE_MEMBER_SECTIONS = 10
MANY_PAGES = 3000
CHUNK = 64 << 20


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]  # what follows `medcodes ingest`
    stdin_bytes: int = 0  # bytes of text fed to standard input


@dataclass(frozen=True)
class Run:
    case: str
    peak_mb: float
    seconds: float
    first_report: float  # seconds until the report file was first written to
    exit_code: int
    counts: Counter[str]
    first_problem: str


def zeros_member(zeros: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """One gzip member of `head`, `zeros` zero bytes and `tail`, compressed a chunk at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    out.write(packer.compress(head))
    block = bytes(min(CHUNK, zeros))
    left = zeros
    while left > 0:
        out.write(packer.compress(block[: min(left, CHUNK)]))
        left -= CHUNK
    out.write(packer.compress(tail))
    out.write(packer.flush())
    return out.getvalue()


def warc_head(url: str, http_length: int) -> bytes:
    """The WARC header block of a response record whose HTTP message is `http_length` bytes."""
    return (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Target-URI: {url}\r\n"
        "WARC-Date: 2026-11-02T10:00:00Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {http_length}\r\n\r\n"
    ).encode()


HTTP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
RECORD_END = b"\r\n\r\n"


def zeros_warc(work: Path) -> Case:
    path = work / "zeros.warc.gz"
    path.write_bytes(zeros_member(ZEROS_BYTES))
    return Case("zeros-warc", [str(path)])


def big_record_warc(work: Path) -> Case:
    """A response record of a 100 MB page of zeros, then an ordinary page in a member of its own."""
    path = work / "big-record.warc.gz"
    big_url, url = "https://medcodes.example/zeros", "https://medcodes.example/page"
    big = zeros_member(
        BIG_RECORD_BYTES, warc_head(big_url, len(HTTP_HEAD) + BIG_RECORD_BYTES) + HTTP_HEAD, RECORD_END
    )
    path.write_bytes(big + ordinary_member(work, url))
    return Case("big-record-warc", [str(path)])


def zeros_record_warc(work: Path) -> Case:
    """A response record whose 100 MB HTTP message is all zeros (no status line, no headers),
    then an ordinary page in a member of its own."""
    path = work / "zeros-record.warc.gz"
    big_url, url = "https://medcodes.example/zeros", "https://medcodes.example/page"
    big = zeros_member(BIG_RECORD_BYTES, warc_head(big_url, BIG_RECORD_BYTES), RECORD_END)
    path.write_bytes(big + ordinary_member(work, url))
    return Case("zeros-record-warc", [str(path)])


def ordinary_member(work: Path, url: str) -> bytes:
    body = (
        HTTP_HEAD
        + next(p for p in generate(2, work / "one", FALLBACK_DATA) if p.suffix == ".html").read_bytes()
    )
    return zeros_member(0, warc_head(url, len(body)) + body, RECORD_END)


def members_600_zip(work: Path) -> Case:
    path = work / "members-600.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, page in enumerate(generate(WIDE_MEMBERS, work / "wide-src", FALLBACK_DATA)):
            text = page.read_text(encoding="utf-8")
            # The page's sections again and again: a long page that compresses well.
            archive.writestr(f"p{number}{page.suffix}", text + text.split("\n", 3)[-1] * WIDE_MEMBER_SECTIONS)
    return Case("members-600-zip", [str(path)])


def pages_3000(work: Path) -> Path:
    """3,000 pages from the public-domain code lists in ../shared/data (800 from the excerpt in
    bench/data when it is not there)."""
    folder = work / "pages-3000"
    if not folder.exists():
        data = DEFAULT_DATA if DEFAULT_DATA.is_dir() else FALLBACK_DATA
        generate(MANY_PAGES if data == DEFAULT_DATA else 800, folder, data)
    return folder


def pages_3000_zip(work: Path) -> Case:
    folder = pages_3000(work)
    path = work / "pages-3000.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for page in sorted(folder.rglob("*.*")):
            archive.write(page, page.relative_to(folder).as_posix())
    return Case("pages-3000-zip", [str(path)])


def pages_3000_folder(work: Path) -> Case:
    return Case("pages-3000-folder", [str(pages_3000(work))])


def stdin_1gb(work: Path) -> Case:
    return Case("stdin-1gb", ["-"], stdin_bytes=STDIN_BYTES)


BUILDERS: dict[str, Callable[[Path], Case]] = {
    "zeros-warc": zeros_warc,
    "big-record-warc": big_record_warc,
    "zeros-record-warc": zeros_record_warc,
    "members-600-zip": members_600_zip,
    "pages-3000-zip": pages_3000_zip,
    "pages-3000-folder": pages_3000_folder,
    "stdin-1gb": stdin_1gb,
}


def run_case(case: Case, work: Path, as_limit: int) -> Run:
    """Ingest one case into a fresh index in a subprocess; its peak RSS comes from wait4, and
    the time of its first report line from watching the report file grow."""
    index = work / f"index-{case.name}"
    report = work / f"report-{case.name}.jsonl"
    command = [*MEDCODES, "ingest", *case.args, "--index", str(index), "--report", str(report), "-q"]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if case.stdin_bytes else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            preexec_fn=limit,
        )
        if case.stdin_bytes:
            threading.Thread(target=_feed, args=(process, case.stdin_bytes), daemon=True).start()
        first_report = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if first_report is None and report.exists() and report.stat().st_size:
                first_report = time.monotonic() - started
            time.sleep(0.05)
        seconds = time.monotonic() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    process.returncode = os.waitstatus_to_exitcode(status)
    counts: Counter[str] = Counter()
    first = ""
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            counts[item["status"]] += 1
            if not first and item["status"] in ("rejected", "unreadable"):
                first = f"{item['status']}: {item['reason']}"
    if not first and process.returncode not in (0, 3):
        first = stderr.splitlines()[-1] if stderr else ""
    return Run(
        case.name, usage.ru_maxrss / 1024, seconds, first_report or seconds, process.returncode, counts, first
    )


def _feed(process: subprocess.Popen[bytes], size: int) -> None:
    """Write `size` bytes of one repeated line to the process's stdin; stop when it closes it."""
    assert process.stdin is not None
    block = (b"E0100 cane adjustable " * 3000 + b"\n") * 16
    with contextlib.suppress(BrokenPipeError):  # it read what it needed and rejected the rest
        try:
            for _ in range(0, size, len(block)):
                process.stdin.write(block)
        finally:
            process.stdin.close()


def table(runs: list[Run]) -> str:
    lines = [f"{'case':<20} {'peak MB':>8} {'seconds':>8} {'first':>6} {'exit':>5}  counts / first problem"]
    for run in runs:
        counts = " ".join(f"{key} {value}" for key, value in sorted(run.counts.items())) or "-"
        lines.append(
            f"{run.case:<20} {run.peak_mb:>8.0f} {run.seconds:>8.1f} {run.first_report:>6.1f}"
            f" {run.exit_code:>5}  {counts}"
        )
        if run.first_problem:
            lines.append(f"{'':<53}{run.first_problem[:100]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="names of the cases to run (default: all)")
    parser.add_argument("--as-limit", type=int, default=3_000_000_000, help="address-space limit, bytes")
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(BUILDERS)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))} (known: {', '.join(BUILDERS)})")
    runs = []
    with tempfile.TemporaryDirectory(prefix="medcodes-input-memory-") as tmp:
        work = Path(tmp)
        for name in args.cases or BUILDERS:
            runs.append(run_case(BUILDERS[name](work), work, args.as_limit))
            print(table(runs[-1:]), flush=True)
    print()
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
