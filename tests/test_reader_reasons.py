"""Every line of an export and every member of an archive gets a report line, with a reason in
plain words (issue 19, items 8, 11, 12).

Through the real command in a real process (archives and exports written in tmp_path, a real
index on disk): a JSONL line nested too deep, archive members that are links, devices or have
unsafe names, a WARC record without a URI, a page saved as XHTML. The report accounts for each,
and nothing of Python's internals (a traceback, an exception's name, raw control bytes) reaches
the terminal or the report.
"""

from __future__ import annotations

import io
import json
import logging
import re
import stat
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from medcodes.pipeline.batch import PARSER_FAILED, READER_FAILED, parse_inputs, parse_raw
from medcodes.pipeline.html_layout import MAX_DEPTH
from medcodes.pipeline.parse import PageParseError, parse_page
from medcodes.pipeline.sources import RawPage

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
C9028 = (PAGES / "single-newline" / "hcpcs-C9028.txt").read_bytes()
E0100 = (PAGES / "single-newline" / "hcpcs-E0100.txt").read_bytes()
HTML_C9028 = (PAGES / "html" / "hcpcs-C9028.html").read_bytes()
# What no report line or terminal output may hold.
LEAKS = ("Traceback", "Error:", "NoneType", "RecursionError", "AttributeError", "\x1b", "\x00", "\x07")


def ingest(
    tmp_path: Path, *inputs: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    """Run `medcodes ingest` on `inputs`; its result and its report by source."""
    report = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", "medcodes", "ingest", *map(str, inputs), "--index", str(tmp_path / "ix")]
    result = subprocess.run(
        [*command, "--report", str(report), "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    for text in (result.stdout, result.stderr, report.read_text(encoding="utf-8")):
        assert not [leak for leak in LEAKS if leak in text], text
    return result, {line["path"]: line for line in lines}


def test_a_deep_json_line_is_rejected_and_the_lines_after_it_are_read(tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    lines = [
        {"url": "https://medcodes.example/code/hcpcs/C9028", "text": C9028.decode()},
        '{"a":' * 1000 + "1" + "}" * 1000,  # 6 KB; the decoder runs out of stack
        {"url": "https://medcodes.example/code/hcpcs/E0100", "text": E0100.decode() + "\ud800"},
        '{"url": "x", "text": ' + "9" * 5000 + "}",  # a number Python will not convert
        b'{"url": "caf\xe9", "text": "x"}',  # not UTF-8
        '{"url": "https://medcodes.example/x", "text": "' + "[" * 3000 + '"}',  # deep, but a string
    ]
    with export.open("wb") as handle:
        for line in lines:
            text = line if isinstance(line, (str, bytes)) else json.dumps(line)
            handle.write((text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")) + b"\n")
    result, report = ingest(tmp_path, export)
    assert result.returncode == 3, result.stderr
    assert "rejected 4 of 6 inputs" in result.stderr
    assert [report[f"{export}:{n}"]["status"] for n in range(1, 7)] == [
        "indexed",
        "rejected",
        "indexed",  # the lone surrogate is read as U+FFFD, as a decoder reads a bad byte
        "rejected",
        "rejected",
        "rejected",
    ]
    assert report[f"{export}:2"]["reason"] == "invalid JSON line: nested too deep"
    assert report[f"{export}:4"]["reason"] == "invalid JSON line: a number too long to read"
    assert report[f"{export}:5"]["reason"] == "invalid JSON line: not UTF-8 (byte 0xe9 at column 13)"
    assert report[f"{export}:3"]["code"] == "hcpcs:E0100"


def _page_with(markup: str) -> bytes:
    """The C9028 HTML page with `markup` at the start of its body."""
    return HTML_C9028.replace(b"<body>", b"<body>" + markup.encode(), 1)


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        ("<div>", "</div>"),
        ("<ul><li>", "</li></ul>"),
        ("<table><tr><td>", "</td></tr></table>"),
        ("<b>", "</b>"),
    ],
    ids=["div", "list", "table", "inline"],
)
def test_markup_nested_deeper_than_a_browser_nests_is_rejected(opening: str, closing: str) -> None:
    """Before the bound, 1,000 <div> ran out of stack and 400 nested tables took 8 s (their
    cells read once per enclosing row); read just within it, a page is parsed."""
    levels = MAX_DEPTH // opening.count("<")
    within = _page_with(opening * (levels - 4) + "x" + closing * (levels - 4))
    assert parse_page(within, "page.html", time_limit=None).key == "hcpcs:C9028"
    deep = _page_with(opening * (levels + 2) + "x" + closing * (levels + 2))
    with pytest.raises(
        PageParseError, match=rf"^markup nested too deeply for a code page: over {MAX_DEPTH} levels$"
    ):
        parse_page(deep, "page.html", time_limit=None)


def _tar_member(
    tar: tarfile.TarFile, name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **more: str
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(data)
    for field, value in more.items():
        setattr(info, field, value)
    tar.addfile(info, io.BytesIO(data) if data else None)


def _hostile_tar(path: Path) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        _tar_member(tar, "pages/hcpcs-C9028.txt", data=C9028)
        _tar_member(tar, "../hcpcs-E0100.txt", data=E0100)
        _tar_member(tar, "/tmp/hcpcs-E0100.txt", data=E0100)
        _tar_member(tar, "pages/link.txt", tarfile.SYMTYPE, linkname="hcpcs-C9028.txt")
        _tar_member(tar, "pages/hard.txt", tarfile.LNKTYPE, linkname="pages/hcpcs-C9028.txt")
        _tar_member(tar, "dev/null", tarfile.CHRTYPE)
        _tar_member(tar, "dev/sda", tarfile.BLKTYPE)
        _tar_member(tar, "pages/pipe", tarfile.FIFOTYPE)
        # A pax header keeps the name whole past the NUL (a plain tar header ends it there).
        _tar_member(tar, "x", data=E0100, pax_headers={"path": "pages/e0100\x00.txt"})
        _tar_member(tar, "pages/\x1b]0;owned\x07.txt", data=E0100)
        _tar_member(tar, "pages/.hidden.txt", data=E0100)
        _tar_member(tar, "pages/sub", tarfile.DIRTYPE)
        _tar_member(tar, "pages/hcpcs-E0100.txt", data=E0100)


def _hostile_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pages/hcpcs-C9028.txt", C9028)
        archive.writestr("..\\hcpcs-E0100.txt", E0100)
        archive.writestr("/hcpcs-E0100.txt", E0100)
        link = zipfile.ZipInfo("pages/link.txt")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "hcpcs-C9028.txt")
        fifo = zipfile.ZipInfo("pages/fifo")
        fifo.create_system, fifo.external_attr = 3, (stat.S_IFIFO | 0o644) << 16
        archive.writestr(fifo, "")
        archive.writestr("pages/e0100@.txt", E0100)  # its @ becomes a NUL below
        archive.writestr("__MACOSX/pages/._hcpcs-C9028.txt", b"\x00\x05\x16\x07")
        archive.writestr("pages/sub/", b"")
    # zipfile cannot write a NUL in a name (it cuts the name there): put one in its place.
    data = path.read_bytes()
    assert data.count(b"pages/e0100@.txt") == 2  # the local header and the central directory
    path.write_bytes(data.replace(b"pages/e0100@.txt", b"pages/e0100\x00.txt"))


def test_every_archive_member_is_accounted_for(tmp_path: Path) -> None:
    tar, zipped = tmp_path / "pages.tar.gz", tmp_path / "pages.zip"
    _hostile_tar(tar)
    _hostile_zip(zipped)
    result, report = ingest(tmp_path, tar, zipped)
    expected = {
        f"{tar}#pages/hcpcs-C9028.txt": "",
        f"{tar}#../hcpcs-E0100.txt": "unsafe member name (.. in the path)",
        f"{tar}#/tmp/hcpcs-E0100.txt": "unsafe member name (absolute path)",
        f"{tar}#pages/link.txt": "not a regular file (symbolic link)",
        f"{tar}#pages/hard.txt": "not a regular file (hard link)",
        f"{tar}#dev/null": "not a regular file (character device)",
        f"{tar}#dev/sda": "not a regular file (block device)",
        f"{tar}#pages/pipe": "not a regular file (FIFO)",
        f"{tar}#pages/e0100\\x00.txt": "unsafe member name (control characters)",
        f"{tar}#pages/\\x1b]0;owned\\x07.txt": "unsafe member name (control characters)",
        f"{tar}#pages/hcpcs-E0100.txt": "",
        f"{zipped}#pages/hcpcs-C9028.txt": "same page as ",
        f"{zipped}#..\\hcpcs-E0100.txt": "unsafe member name (.. in the path)",
        f"{zipped}#/hcpcs-E0100.txt": "unsafe member name (absolute path)",
        f"{zipped}#pages/link.txt": "not a regular file (symbolic link)",
        f"{zipped}#pages/fifo": "not a regular file (FIFO)",
        f"{zipped}#pages/e0100\\x00.txt": "unsafe member name (control characters)",
    }
    assert set(report) == set(expected)  # hidden members, __MACOSX/ and folders pass unreported
    for source, reason in expected.items():
        assert report[source]["reason"].startswith(reason), (source, report[source])
    assert "indexed 2, duplicates 1, rejected 14 of 17 inputs" in result.stderr
    assert result.returncode == 3


def test_damage_a_library_does_not_describe_is_reported_in_plain_words(tmp_path: Path) -> None:
    """A zip whose directory claims to start 100 bytes later than it does: zipfile seeks before
    the first member and raises ValueError("negative seek value -100"), Python's words."""
    zipped = tmp_path / "pages.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a/hcpcs-C9028.txt", C9028)
        archive.writestr("b/hcpcs-E0100.txt", E0100)
    data = bytearray(zipped.read_bytes())
    end = data.rfind(b"PK\x05\x06")  # the end of central directory record
    (start,) = struct.unpack_from("<I", data, end + 16)
    struct.pack_into("<I", data, end + 16, start + 100)
    zipped.write_bytes(bytes(data))
    result, report = ingest(tmp_path, zipped)
    assert (
        report[f"{zipped}#a/hcpcs-C9028.txt"]["reason"]
        == "cannot read zip member: corrupt data (details in the log)"
    )
    assert (
        report[f"{zipped}#b/hcpcs-E0100.txt"]["reason"]
        == "cannot read zip member: Bad magic number for file header"
    )
    assert "seek" not in result.stderr


def test_a_member_name_that_is_not_utf8_is_read_under_an_escaped_name(tmp_path: Path) -> None:
    """tarfile decodes such a name to lone surrogates, which the report could not write."""
    tar = tmp_path / "latin.tar"
    with tarfile.open(tar, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as archive:
        _tar_member(archive, "caf\xe9/hcpcs-C9028.txt", data=C9028)
    result, report = ingest(tmp_path, tar)
    assert result.returncode == 0, result.stderr
    assert report[f"{tar}#caf\\xe9/hcpcs-C9028.txt"]["code"] == "hcpcs:C9028"


def _warc_response(body: bytes, uri: str | None) -> bytes:
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    target = f"WARC-Target-URI: {uri}\r\n".encode() if uri else b""
    return (
        b"WARC/1.0\r\nWARC-Type: response\r\n"
        + b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        + target
        + b"WARC-Date: 2026-11-02T10:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
        + b"\r\n\r\n"
    )


def test_a_warc_record_without_a_uri_does_not_end_the_crawl(tmp_path: Path) -> None:
    """warcio raised "'NoneType' object has no attribute 'startswith'" on it: the crawl was
    rejected from there on, that message its reason. A URI's control characters are escaped
    in the source, as a member name's are."""
    crawl = tmp_path / "crawl.warc"
    e0100 = (PAGES / "html" / "hcpcs-E0100.html").read_bytes()
    cpt = (PAGES / "html" / "cpt4-45380.html").read_bytes()
    crawl.write_bytes(
        _warc_response(HTML_C9028, "https://medcodes.example/code/hcpcs/C9028")
        + _warc_response(HTML_C9028.replace(b"C9028", b"J9229"), None)
        + _warc_response(e0100, "https://medcodes.example/code/hcpcs/E0100")
        + _warc_response(cpt, "https://medcodes.example/code/cpt/45380\x1b[31m")
    )
    result, report = ingest(tmp_path, crawl)
    assert result.returncode == 0, result.stderr
    assert [line["status"] for line in report.values()] == ["indexed"] * 4
    assert report[f"{crawl}#2"]["code"] == "hcpcs:J9229"
    assert report[f"{crawl}#https://medcodes.example/code/cpt/45380\\x1b[31m"]["code"] == "cpt:45380"


def test_warcio_prints_nothing_of_its_own(tmp_path: Path) -> None:
    """A record longer than its Content-Length says: warcio wrote "WARNING: Record not followed
    by newline…" to stderr itself, quoting the crawl's raw bytes."""
    crawl = tmp_path / "crawl.warc"
    record = _warc_response(HTML_C9028, "https://medcodes.example/code/hcpcs/C9028")
    length = int(re.search(rb"Content-Length: (\d+)", record).group(1))
    short = record.replace(f"Content-Length: {length}".encode(), f"Content-Length: {length - 40}".encode())
    crawl.write_bytes(short + _warc_response(HTML_C9028, "https://medcodes.example/code/hcpcs/J9229"))
    result, report = ingest(tmp_path, crawl)
    assert report[f"{crawl}#after-record-1"]["reason"] == (
        "corrupt WARC after 1 pages: no WARC record header where the next record should start"
    )
    assert result.stderr.startswith("indexed 1, duplicates 0, rejected 1 of 2 inputs"), result.stderr
    assert "WARNING" not in result.stderr


def test_pages_bs4_would_warn_about_print_only_the_summary(tmp_path: Path) -> None:
    """A page saved as XHTML (XMLParsedAsHTMLWarning), one that is only a URL
    (MarkupResemblesLocatorWarning), one that is only a UTF-8 mark (a decoding warning)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "hcpcs-C9028.html").write_bytes(b'<?xml version="1.0" encoding="utf-8"?>\n' + HTML_C9028)
    (folder / "url-only.html").write_bytes(b"https://medcodes.example/code/hcpcs/C9028")
    (folder / "mark-only.html").write_bytes(b"\xef\xbb\xbf")
    result, report = ingest(tmp_path, folder)
    assert report[f"{folder}/hcpcs-C9028.html"]["code"] == "hcpcs:C9028"
    assert report[f"{folder}/mark-only.html"]["reason"] == "empty file"
    assert result.returncode == 3
    assert result.stderr.startswith("indexed 1, duplicates 0, rejected 2 of 3 inputs"), result.stderr
    assert "Warning" not in result.stderr and "WARNING" not in result.stderr


def test_a_failure_no_reader_expects_is_a_plain_reason_with_the_details_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The last-resort boundary. A path holding a NUL byte (only the API can pass one: no
    argument or file name can) makes os.open raise ValueError, which no reader expects."""
    with caplog.at_level(logging.INFO, logger="medcodes.pipeline.batch"):
        [read] = parse_inputs(["pages/hcpcs-C9028\x00.txt"], workers=1)
        parsed = parse_raw(RawPage("pages/hcpcs-C9028\x00.txt", None), 1 << 20)
    assert (read.page, read.reason) == (None, READER_FAILED)
    assert (parsed.page, parsed.reason) == (None, PARSER_FAILED)
    assert READER_FAILED == "could not read this input (internal error; details in the log)"
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 2 and all(record.levelno == logging.INFO for record in logged)
    assert all("embedded null byte" in str(record.exc_info[1]) for record in logged if record.exc_info)
