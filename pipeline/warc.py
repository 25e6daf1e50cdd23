"""Read the HTML pages of a WARC crawl (plain or gzipped); the only module importing warcio.

Only `response` records whose payload is HTML are pages; requests, metadata, images and
stylesheets in the same crawl are not inputs. A record cut short (a crawler killed mid-write)
is a rejection, and the records before it are still read.
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
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from medcodes.pipeline.sources import HTML, RawPage, Unreadable, describe_damage, escaped, too_large

log = logging.getLogger(__name__)
T = TypeVar("T")

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
    records = ArchiveIterator(stream)
    records.loader = _RecordLoader(verify_http=False, arc2warc=False)  # ArchiveIterator's defaults
    count = 0
    try:
        for record in _quietly(records):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            if not _HTML_TYPES.search(content_type):
                log.debug("%s: skipped a %s response", source, content_type or "untyped")
                continue
            count += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            yield _read_record(
                record, f"{source}#{escaped(url) if url else count}", url, content_type, max_bytes
            )
    except _BROKEN as err:
        where = f"{source}#after-record-{count}"
        yield Unreadable(where, f"corrupt WARC after {count} pages: {_damage(err, where)}")
        return
    if (unread := _unread_bytes(stream, records.offset)) > 0:
        yield Unreadable(f"{source}#end", f"truncated WARC record at the end ({unread} bytes cut short)")


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
            data = record.content_stream().read(max_bytes + 1)
    except _BROKEN as err:
        return Unreadable(source, f"truncated or corrupt WARC record: {_damage(err, source)}")
    if record.raw_stream.limit > 0:
        return Unreadable(source, "truncated WARC record (archive ends inside it)")
    if len(data) > max_bytes:
        return Unreadable(source, too_large(len(data), max_bytes))
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
