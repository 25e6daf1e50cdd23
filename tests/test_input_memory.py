"""Hostile containers and standard input are read in bounded memory (issue 19, items 1, 7, 9).

Each bomb is ingested by a real `medcodes ingest` process whose peak resident memory (its own
and its workers', from wait4) must stay under PEAK_MB whatever the input decompresses to; each
decompresses to 400 MB, which a reader that holds it whole goes past. The process runs under
an address-space limit, so that a reader that stops streaming fails here instead of taking
the machine down.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from medcodes.index.build import ingest
from medcodes.index.sync import InputStatus, ReadProgress
from medcodes.pipeline.sources import RawPage, Unreadable, read_input

PAGES = Path(__file__).resolve().parent / "pages"
PAGE = PAGES / "html" / "cpt4-45380.html"  # an ordinary page, key cpt:45380
PEAK_MB = 300
AS_LIMIT = 2_500_000_000  # bytes of address space the ingest process may map
BOMB = 400 << 20  # what each bomb decompresses to: more than PEAK_MB if held whole
CHUNK = 64 << 20
HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
RECORD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Run:
    exit_code: int
    peak_mb: float
    report: list[dict[str, str]]
    stderr: str


def run_ingest(tmp_path: Path, *args: str, stdin_bytes: int = 0) -> Run:
    """`medcodes ingest ARGS` in a process of its own; `stdin_bytes` of text piped to it."""
    report = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", "medcodes", "ingest", *args, "--index", str(tmp_path / "ix")]
    command += ["--report", str(report), "--workers", "1"]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    stdin = subprocess.PIPE if stdin_bytes else subprocess.DEVNULL
    with open(tmp_path / "stderr.txt", "w+b") as errors:
        process = subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=errors, preexec_fn=limit
        )
        if stdin_bytes:
            threading.Thread(target=_feed, args=(process, stdin_bytes), daemon=True).start()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    return Run(
        os.waitstatus_to_exitcode(status),
        usage.ru_maxrss / 1024,
        [json.loads(line) for line in lines],
        stderr,
    )


def _feed(process: subprocess.Popen[bytes], size: int) -> None:
    assert process.stdin is not None
    block = b"a line of text that is not a code page at all\n" * 20_000
    with contextlib.suppress(BrokenPipeError):  # it stopped reading at its bound
        try:
            for _ in range(0, size, len(block)):
                process.stdin.write(block)
        finally:
            process.stdin.close()


def gzip_of(head: bytes, zeros: int, tail: bytes = b"") -> bytes:
    """One gzip member: `head`, `zeros` zero bytes, `tail` (compressed a chunk at a time)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(head)]
    for start in range(0, zeros, CHUNK):
        parts.append(packer.compress(bytes(min(CHUNK, zeros - start))))
    parts += [packer.compress(tail), packer.flush()]
    return b"".join(parts)


@functools.cache
def bzip2_of(head: bytes, zeros: int) -> bytes:
    """bzip2 of `head` and `zeros` zero bytes: a few hundred bytes, slow to make (kept)."""
    packer = bz2.BZ2Compressor()
    parts = [packer.compress(head)]
    for start in range(0, zeros, CHUNK):
        parts.append(packer.compress(bytes(min(CHUNK, zeros - start))))
    return b"".join([*parts, packer.flush()])


def warc_head(url: str, length: int) -> bytes:
    return (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
        "WARC-Date: 2026-11-02T10:00:00Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000007>\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def ordinary_record() -> bytes:
    http = HTTP_OK + b"\r\n" + PAGE.read_bytes()
    return gzip_of(warc_head("https://medcodes.example/cpt/45380", len(http)) + http, 0, RECORD_END)


def zeros_warc(folder: Path) -> Path:
    """A crawl that is one gzip member of zeros: no record header, ever."""
    path = folder / "zeros.warc.gz"
    path.write_bytes(gzip_of(b"", BOMB))
    return path


def zeros_record_warc(folder: Path) -> Path:
    """A record whose HTTP message is all zeros (its header line never ends), then a page."""
    path = folder / "zeros-record.warc.gz"
    path.write_bytes(
        gzip_of(warc_head("https://medcodes.example/zeros", BOMB), BOMB, RECORD_END) + ordinary_record()
    )
    return path


def chunk_bomb_warc(folder: Path) -> Path:
    """A record of 1 MB: one HTTP chunk of gzip that inflates to 1 GB, then a page."""
    body = gzip_of(b"<html><body>", BOMB)
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    http = HTTP_OK + b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
    bomb = gzip_of(warc_head("https://medcodes.example/bomb", len(http)) + http, 0, RECORD_END)
    path = folder / "chunk-bomb.warc.gz"
    path.write_bytes(bomb + ordinary_record())
    return path


def zeros_member_header() -> bytes:
    """The tar header of a member of BOMB zero bytes."""
    header = tarfile.TarInfo("zeros.html")
    header.size = BOMB
    return header.tobuf()


def bzip2_tar(folder: Path) -> Path:
    """A tar.bz2 of a page, then a member of zeros in a bzip2 stream of a few hundred bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        page = PAGE.read_bytes()
        info = tarfile.TarInfo("cpt4-45380.html")
        info.size = len(page)
        archive.addfile(info, io.BytesIO(page))
        end = archive.offset  # where the end-of-archive blocks start
    path = folder / "bomb.tar.bz2"
    path.write_bytes(bz2.compress(buffer.getvalue()[:end]) + bzip2_of(zeros_member_header(), BOMB))
    return path


def lying_bzip2_zip(folder: Path) -> Path:
    """A zip whose bzip2 member says it holds 1,000 bytes and holds 1 GB of zeros."""
    path = folder / "lying.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("cpt4-45380.html", PAGE.read_bytes())
        archive.writestr("zeros.html", b"")
    data = bytearray(path.read_bytes())
    packed = bzip2_of(zeros_member_header(), BOMB)  # the same bytes as bzip2_tar's, made once
    # Rewrite the zeros member in place: its data, its sizes in both headers.
    local = data.rindex(b"PK\x03\x04")
    name_end = local + 30 + len("zeros.html")
    central = data.rindex(b"PK\x01\x02")
    old_size = int.from_bytes(data[local + 18 : local + 22], "little")
    rest = data[name_end + old_size :]
    data[name_end:] = packed + rest
    central += len(packed) - old_size
    for at, size_at in ((local, 18), (central, 20)):
        data[at + size_at : at + size_at + 4] = len(packed).to_bytes(4, "little")  # compressed size
        data[at + size_at + 4 : at + size_at + 8] = (1000).to_bytes(4, "little")  # declared size
    end = data.rindex(b"PK\x05\x06")
    offset = int.from_bytes(data[end + 16 : end + 20], "little") + len(packed) - old_size
    data[end + 16 : end + 20] = offset.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def zeros_jsonl(folder: Path) -> Path:
    """A gzipped JSONL export whose second line is 1 GB of zeros, then a good line."""
    good = json.dumps({"url": "https://medcodes.example/cpt/45380", "html": PAGE.read_text(encoding="utf-8")})
    path = folder / "zeros.jsonl.gz"
    path.write_bytes(gzip_of(good.encode() + b"\n", BOMB, b"\n" + good.encode() + b"\n"))
    return path


BOMBS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zeros-warc": (zeros_warc, "corrupt WARC after 0 pages: no record header within"),
    "zeros-record-warc": (zeros_record_warc, "WARC record headers longer than"),
    "chunk-bomb-warc": (chunk_bomb_warc, "page too large once decompressed"),
    "bzip2-tar": (bzip2_tar, "page too large"),
    "lying-bzip2-zip": (lying_bzip2_zip, "page too large"),
    "zeros-jsonl-gz": (zeros_jsonl, "page too large"),
}


@pytest.mark.parametrize("name", list(BOMBS), ids=list(BOMBS))
def test_a_container_bomb_is_rejected_in_bounded_memory(name: str, tmp_path: Path) -> None:
    build, reason = BOMBS[name]
    run = run_ingest(tmp_path, str(build(tmp_path)))
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"
    assert "Traceback" not in run.stderr
    rejected = [line for line in run.report if line["status"] == "rejected"]
    assert len(rejected) == 1 and reason in rejected[0]["reason"], run.report
    if name != "zeros-warc":
        # The page beside the bomb is still read.
        assert any(
            line["code"] == "cpt:45380" for line in run.report if line["status"] in ("indexed", "duplicate")
        )


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_bzip2_and_lzma_zip_members_are_read_by_the_bounded_reader(method: int, tmp_path: Path) -> None:
    path = tmp_path / "pages.zip"
    page = PAGE.read_bytes()
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("a.html", page)
        archive.writestr("b.html", page + b"<!-- another copy -->")
    items = list(read_input(str(path), max_bytes=len(page) + 10))
    assert [(type(item), item.source) for item in items] == [
        (RawPage, f"{path}#a.html"),
        (Unreadable, f"{path}#b.html"),
    ]
    assert isinstance(items[0], RawPage) and items[0].data == page
    # A damaged member is rejected, not read as some other page.
    data = bytearray(path.read_bytes())
    start = data.index(b"a.html") + len("a.html")
    data[start + 40 : start + 200] = bytes(160)
    path.write_bytes(bytes(data))
    reasons = [item.reason for item in read_input(str(path)) if isinstance(item, Unreadable)]
    assert reasons and reasons[0].startswith("cannot read zip member"), reasons


def test_standard_input_over_the_bound_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    run = run_ingest(tmp_path, "-", stdin_bytes=BOMB)
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"
    assert run.exit_code == 3, run.stderr
    assert [(line["path"], line["status"]) for line in run.report] == [("-", "rejected")]
    assert "input too large (more than the limit of 5242880 bytes)" in run.report[0]["reason"]


def test_a_container_on_standard_input_is_read_page_by_page(tmp_path: Path) -> None:
    """Larger than the bound as a whole, as a container may be; each page within it."""
    path = tmp_path / "export.jsonl"
    line = json.dumps({"url": "https://medcodes.example/cpt/45380", "html": PAGE.read_text(encoding="utf-8")})
    path.write_text((line + "\n") * 40, encoding="utf-8")
    with open(path, "rb") as stdin:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "medcodes",
                "ingest",
                "-",
                "--index",
                str(tmp_path / "ix"),
                "--max-bytes",
                "20000",
            ],
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert path.stat().st_size > 20_000
    assert result.returncode == 0, result.stderr
    assert "indexed 1, duplicates 39, rejected 0 of 40 inputs" in result.stderr


def test_the_pages_of_a_container_are_accounted_for_as_they_are_read(tmp_path: Path) -> None:
    """Each page is reported, and counted in the progress, before the next one is read."""
    archive = tmp_path / "pages.zip"
    pages = sorted((PAGES / "html").glob("*.html"))[:3] + sorted((PAGES / "markdown").glob("*.md"))[:3]
    with zipfile.ZipFile(archive, "w") as packed:
        for page in pages:
            packed.write(page, page.name)
    events: list[InputStatus | ReadProgress] = []
    ingest([str(archive)], tmp_path / "ix", workers=1, on_status=events.append, on_progress=events.append)
    statuses = [event for event in events if isinstance(event, InputStatus)]
    assert len(statuses) == len(pages)
    # Between two reports, the progress has counted one more page of the archive, not read yet.
    reads = [event for event in events if isinstance(event, ReadProgress)]
    assert [(read.inputs_read, read.pages) for read in reads] == [(0, n) for n in range(len(pages) + 1)] + [
        (1, len(pages))
    ]
    kinds = ["status" if isinstance(event, InputStatus) else "read" for event in events]
    assert kinds == ["read"] + ["read", "status"] * len(pages) + ["read"]
