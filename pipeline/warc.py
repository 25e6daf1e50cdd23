"""Read the HTML pages of a WARC crawl (plain or gzipped); the only module importing warcio.

Only `response` records whose payload is HTML are pages; requests, metadata, images and
stylesheets in the same crawl are not inputs. A record cut short (a crawler killed mid-write)
is a rejection, and the records before it are still read.

Memory stays bounded whatever a crawl decompresses to: warcio reads a gzip member 16 KB of
compressed bytes at a time, record bodies are read up to --max-bytes, and header lines — which
warcio reads without a bound — are given at most HEADER_LIMIT bytes in a row (_BoundedReader).
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from typing import BinaryIO, TypeVar

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from medcodes.pipeline.sources import (
    HTML,
    RawPage,
    Unreadable,
    describe_damage,
    escaped,
    too_large,
    too_large_decompressed,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Header lines read in a row (a record's WARC and HTTP headers, and the blank lines before
# them): far more than any crawler writes, and a bound on a "line" of zeros that never ends.
HEADER_LIMIT = 1 << 20
_NO_HEADER = f"no record header within {HEADER_LIMIT} bytes"
# What a reason quotes of warcio's messages, which may hold a whole header line.
_REASON_CHARS = 200
_HTML_TYPES = re.compile(r"text/html|application/xhtml\+xml", re.IGNORECASE)
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
# What warcio raises on a record it cannot parse (a cut header, a bad gzip member, a header
# without its URI: AttributeError; found by tests/test_properties.py).
_BROKEN = (
    ArchiveLoadFailed,
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    EOFError,
    OSError,
    zlib.error,
)


class _RecordLoader(ArcWarcRecordLoader):
    """warcio's record loader, reading a record that has no WARC-Target-URI like any other.

    warcio tests `uri.startswith("http")` to decide whether a record holds HTTP headers: a
    response record without a URI raised AttributeError there and ended the crawl, its later
    records unread. Such a record is now read (its source numbered, as it has no URL).
    """

    def load_http_headers(self, rec_type: str, uri: str | None, stream: object, length: object) -> object:
        return super().load_http_headers(rec_type, "http:" if uri is None else uri, stream, length)


def read_warc(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    records = _BoundedIterator(stream)
    records.loader = _RecordLoader(verify_http=False, arc2warc=False)  # ArchiveIterator's defaults
    reader = records.reader
    count = 0
    try:
        for record in _quietly(records):
            if reader.overflowed:
                # The HTTP headers of this record did not end within the bound; the record is
                # skipped (warcio reads its body in blocks) and the next one is read.
                reader.overflowed = False
                count += 1
                url = record.rec_headers.get_header("WARC-Target-URI")
                reason = f"WARC record headers longer than {HEADER_LIMIT} bytes"
                yield Unreadable(_record_source(source, url, count), reason)
                continue
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            if not _HTML_TYPES.search(content_type):
                log.debug("%s: skipped a %s response", source, content_type or "untyped")
                continue
            count += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            yield _read_record(record, _record_source(source, url, count), url, content_type, max_bytes)
    except _BROKEN as err:
        where = f"{source}#after-record-{count}"
        reason = _NO_HEADER if reader.overflowed else _damage(err, where)
        yield Unreadable(where, f"corrupt WARC after {count} pages: {_shorten(reason)}")
        return
    if reader.overflowed:
        yield Unreadable(f"{source}#after-record-{count}", f"corrupt WARC after {count} pages: {_NO_HEADER}")
    elif (unread := _unread_bytes(stream, records.offset)) > 0:
        yield Unreadable(f"{source}#end", f"truncated WARC record at the end ({unread} bytes cut short)")


def _record_source(source: str, url: str | None, count: int) -> str:
    """A record's source: the crawl's, "#" and the record's URL, or its number when it has none."""
    return f"{source}#{escaped(url) if url else count}"


def _read_record(
    record: ArcWarcRecord, source: str, url: str | None, content_type: str, max_bytes: int
) -> RawPage | Unreadable:
    status = record.http_headers.get_statuscode() or ""
    if not status.startswith("2"):
        return Unreadable(source, f"HTTP {status} response, not a page")
    if record.length and record.length > max_bytes:
        return Unreadable(source, too_large(record.length, max_bytes))
    try:
        with _stderr_logged():
            data = _content(record, max_bytes + 1).read(max_bytes + 1)
    except _BROKEN as err:
        return Unreadable(source, f"truncated or corrupt WARC record: {_shorten(_damage(err, source))}")
    if len(data) > max_bytes:  # read up to the bound only: checked before a cut short record
        if record.http_headers.get_header("Content-Encoding"):
            return Unreadable(source, too_large_decompressed(max_bytes))
        return Unreadable(source, too_large(len(data), max_bytes))
    if record.raw_stream.limit > 0:
        return Unreadable(source, "truncated WARC record (archive ends inside it)")
    charset = match.group(1) if (match := _CHARSET.search(content_type)) else None
    return RawPage(source, data, url=url, kind=HTML, charset=charset)


def _quietly(records: Iterator[T]) -> Iterator[T]:
    """The records, warcio's messages on reaching each one logged instead of printed."""
    while True:
        with _stderr_logged():
            record = next(records, None)
        if record is None:
            return
        yield record


@contextmanager
def _stderr_logged() -> Iterator[None]:
    """warcio writes to stderr itself, over the progress bar and quoting raw bytes of the crawl:
    "WARNING: Record not followed by newline…" for a wrong Content-Length, a gzip error midway.
    What it says is damage the reader reports in its own words; the words are logged (-v)."""
    said = io.StringIO()
    try:
        with redirect_stderr(said):
            yield
    finally:
        if said.getvalue().strip():
            log.info("warcio: %s", said.getvalue().strip().encode("unicode_escape").decode("ascii"))


def _damage(err: Exception, source: str) -> str:
    """What broke: warcio's own message quotes the bytes it could not read as a record."""
    if isinstance(err, ArchiveLoadFailed):
        return "no WARC record header where the next record should start"
    return describe_damage(err, source)


def _unread_bytes(stream: BinaryIO, offset: int) -> int:
    """Bytes after the last record warcio could read: a record whose header was cut off."""
    try:
        end = stream.seek(0, 2)
    except OSError:
        return 0
    return end - offset


def _content(record: ArcWarcRecord, limit: int) -> BufferedReader:
    """The record's payload, de-chunked and decompressed as its HTTP headers say, from at most
    `limit` bytes of the record (a record without a length would run to the end of the crawl).

    Like warcio's `content_stream`, but decompressing 16 KB at a time: warcio decompresses a
    whole HTTP chunk at once, and a chunk of a few MB of gzip may hold gigabytes.
    """
    headers = record.http_headers
    encoding = (headers.get_header("Content-Encoding") or "").lower()
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    body = LimitReader(record.raw_stream, limit)
    if headers.get_header("Transfer-Encoding") == "chunked":
        body = ChunkedDataReader(body)
    return BufferedReader(body, decomp_type=encoding)


def _shorten(text: str) -> str:
    return text if len(text) <= _REASON_CHARS else f"{text[:_REASON_CHARS]}…"


class _BoundedReader(DecompressingBufferedReader):
    """warcio's reader, with at most HEADER_LIMIT bytes of lines read in a row (between reads
    of record bodies). The line that passes it is cut, `overflowed` is set and `readline`
    reads nothing more until the next read: warcio then sees the record's headers end (the
    record is rejected and its body skipped), or no record where one should start."""

    def __init__(self, stream: BinaryIO, block_size: int) -> None:
        super().__init__(stream, block_size=block_size)
        self.line_bytes = 0
        self.overflowed = False

    def readline(self, length: int | None = None) -> bytes:
        room = HEADER_LIMIT - self.line_bytes
        if room <= 0:
            self.overflowed = True
            return b""
        wanted = room if length is None or length < 0 or length > room else length
        # warcio's readline may stop short of the length it is given, mid-line: read on.
        parts: list[bytes] = []
        while wanted > 0 and (part := super().readline(wanted)):
            parts.append(part)
            wanted -= len(part)
            if part.endswith(b"\n"):
                break
        line = b"".join(parts)
        self.line_bytes += len(line)
        if self.line_bytes >= HEADER_LIMIT and not line.endswith(b"\n"):
            # The start of the line, not nothing: an empty line would end the record silently.
            # Short, because warcio prints a line it did not expect to stderr.
            self.overflowed = True
            return line[:_REASON_CHARS]
        return line

    def read(self, length: int | None = None) -> bytes:
        self.line_bytes = 0
        data: bytes = super().read(length)
        return data


class _BoundedIterator(ArchiveIterator):
    """warcio's ArchiveIterator reading through a _BoundedReader."""

    reader: _BoundedReader

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(stream)
        # Set before the first record is read: the iterator reads only through `self.reader`.
        self.reader = _BoundedReader(self.fh, block_size=self.reader.block_size)
