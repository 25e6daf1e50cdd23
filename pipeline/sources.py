"""Find inputs (folders, globs, files, stdin) and read each into raw pages with their origin.

An input is a page (plain or gzipped) or a container of pages: a WARC crawl, a JSONL export,
a zip or tar archive. Each page in a container is an input of its own in the report, with a
source such as `crawl.warc.gz#https://…`, `pages.zip#hcpcs/C9028.txt` or `export.jsonl:17`.
"""

from __future__ import annotations

import glob
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
_GLOB_CHARS = frozenset("*?[")

# What a container says a page is: read as HTML, or by the text parser (Markdown too).
HTML = "html"
TEXT = "text"

WARC = "warc"
JSONL = "jsonl"
ZIP = "zip"
TAR = "tar"
_SNIFF_BYTES = 4096
# An export read from stdin or saved without its extension: a JSON object naming its fields.
_JSONL_HEAD = re.compile(rb'\s*\{\s*"(?:url|html|text|markdown)"\s*:')
_NAME_KINDS = (
    ((".warc", ".warc.gz", ".arc", ".arc.gz"), WARC),
    ((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"), JSONL),
    ((".zip",), ZIP),
    ((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"), TAR),
)


class InputError(ValueError):
    """A path the user named does not exist or matches nothing."""


class InputReadError(ValueError):
    """One input could not be read; the message is the rejection reason."""


@dataclass(frozen=True)
class RawPage:
    """The bytes of one page and what its container said about it.

    `data` is None for a plain file not read yet: it is read where it is parsed, so that a
    pool of parsers reads files in parallel instead of piping their bytes.
    """

    source: str
    data: bytes | None
    url: str | None = None
    kind: str | None = None  # HTML or TEXT when the container says which
    charset: str | None = None  # from an HTTP Content-Type header


@dataclass(frozen=True)
class Unreadable:
    """A page inside a container that could not be read; the container goes on."""

    source: str
    reason: str


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """Every input file under `paths`, in a stable order; hidden files and folders are skipped.

    Raises InputError for a path that does not exist or a glob that matches nothing, before any
    work is done, so a typo never looks like an empty corpus.
    """
    found: list[str] = []
    for raw in paths:
        if raw == STDIN:
            found.append(raw)
            continue
        if not os.path.exists(raw) and _GLOB_CHARS & set(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise InputError(f"no files match {raw}")
            for match in matches:
                found.extend(_walk(Path(match)))
            continue
        path = Path(raw)
        if not path.exists():
            raise InputError(f"no such file or folder: {raw}")
        found.extend(_walk(path))
    return list(dict.fromkeys(found))


def _walk(path: Path) -> Iterator[str]:
    if path.is_file():
        yield str(path)
        return
    for folder, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield os.path.join(folder, name)


def read_input(
    source: str, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None
) -> Iterator[RawPage | Unreadable]:
    """Yield the pages stored in one input (`data` when its bytes are already read).

    Raises InputReadError when the input cannot be read at all.
    """
    kind = container_kind(source, data)
    if kind is None:
        yield RawPage(source, read_page(source, max_bytes, data))
    else:
        yield from read_container(source, kind, max_bytes, data)


def container_kind(source: str, data: bytes | None = None) -> str | None:
    """WARC, JSONL, ZIP or TAR when the input is a container of pages, else None.

    By name first, then by content, so that a crawl saved without its extension is still read.
    """
    name = Path(source).name.lower()
    for suffixes, kind in _NAME_KINDS:
        if name.endswith(suffixes):
            return kind
    head = data[:_SNIFF_BYTES] if data is not None else _head(source)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ZIP
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _SNIFF_BYTES)
        except zlib.error:
            return None  # read as a page, and rejected there as broken gzip
    if head.startswith(b"WARC/"):
        return WARC
    if head[257:262] == b"ustar":
        return TAR
    if _JSONL_HEAD.match(head):
        return JSONL
    return None


def read_container(
    source: str, kind: str, max_bytes: int, data: bytes | None = None
) -> Iterator[RawPage | Unreadable]:
    """The pages of one container, each read and bounded on its own."""
    # Imported here: each reader pulls in its own library, needed only for its kind of input.
    if kind == WARC:
        from pipeline.warc import read_warc as reader
    elif kind == JSONL:
        from pipeline.jsonl import read_jsonl as reader
    else:
        from pipeline.archives import read_tar, read_zip

        reader = read_zip if kind == ZIP else read_tar
    with _open(source, data) as stream:
        yield from reader(stream, source, max_bytes)


def read_page(source: str, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None) -> bytes:
    """The bytes of one page file, gunzipped when they are gzip; bounded by `max_bytes`."""
    if data is None:
        data = _read_file(source, max_bytes)
    elif len(data) > max_bytes:
        raise InputReadError(f"input too large ({len(data)} bytes > limit {max_bytes})")
    return gunzip_page(data, max_bytes)


def gunzip_page(data: bytes, max_bytes: int) -> bytes:
    """`data` itself, or its gzip content (detected by magic bytes) within `max_bytes`."""
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = decompressor.decompress(data, max_bytes + 1)
    except zlib.error as err:
        raise InputReadError(f"broken gzip: {err}") from err
    if len(out) > max_bytes:
        raise InputReadError(f"file too large once decompressed (> limit {max_bytes})")
    if not decompressor.eof:
        raise InputReadError("broken gzip: truncated")
    return out


def too_large(size: int, max_bytes: int) -> str:
    return f"page too large ({size} bytes > limit {max_bytes})"


def _read_file(source: str, max_bytes: int) -> bytes:
    try:
        size = os.path.getsize(source)
        if size > max_bytes:
            raise InputReadError(f"file too large ({size} bytes > limit {max_bytes})")
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise InputReadError(f"cannot read: {err.strerror or err}") from err


def _head(source: str) -> bytes:
    try:
        with open(source, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError:
        return b""  # reported when the page itself is read


def _open(source: str, data: bytes | None) -> BinaryIO:
    if data is not None:
        return io.BytesIO(data)
    try:
        return open(source, "rb")
    except OSError as err:
        raise InputReadError(f"cannot read: {err.strerror or err}") from err
