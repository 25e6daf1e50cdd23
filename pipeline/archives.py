"""Read the pages stored in zip and tar archives; each member is a page of its own."""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from medcodes.pipeline.sources import InputReadError, RawPage, Unreadable, gunzip_page, too_large

# What zipfile raises on damaged archives: BadZipFile for a bad CRC or a cut archive,
# RuntimeError for an encrypted member, NotImplementedError for an unknown compression,
# ValueError and OverflowError for offsets that point outside the file.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
    ValueError,
    TypeError,
    OverflowError,
    OSError,
    EOFError,
    zlib.error,
)
# tarfile raises TypeError on a gzip header cut short (found by tests/test_properties.py).
_TAR_ERRORS = (tarfile.TarError, ValueError, TypeError, OSError, EOFError, zlib.error)


def read_zip(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    try:
        archive = zipfile.ZipFile(stream)
    except _ZIP_ERRORS as err:
        raise InputReadError(f"broken zip archive: {err}") from err
    with archive:
        for info in archive.infolist():
            if info.is_dir() or _is_hidden(info.filename):
                continue
            member = f"{source}#{info.filename}"
            if info.file_size > max_bytes:
                yield Unreadable(member, too_large(info.file_size, max_bytes))
                continue
            try:
                with archive.open(info) as handle:
                    yield _page(member, handle.read(max_bytes + 1), max_bytes)
            except _ZIP_ERRORS as err:
                yield Unreadable(member, f"cannot read zip member: {err}")


def read_tar(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    count = 0
    member = None  # the member being read when the archive broke off
    try:
        # Streaming mode: members are read in order, without seeking, whatever the compression.
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for info in archive:
                if not info.isfile() or _is_hidden(info.name):
                    continue
                member = f"{source}#{info.name}"
                if info.size > max_bytes:
                    yield Unreadable(member, too_large(info.size, max_bytes))
                else:
                    handle = archive.extractfile(info)
                    data = handle.read() if handle else b""
                    if len(data) < info.size:
                        raise EOFError("member cut short")
                    yield _page(member, data, max_bytes)
                count, member = count + 1, None
    except _TAR_ERRORS as err:
        if count == 0 and member is None:
            raise InputReadError(f"broken tar archive: {err}") from err
        yield Unreadable(member or f"{source}#end", f"truncated or corrupt tar archive: {err}")


def _page(member: str, data: bytes, max_bytes: int) -> RawPage | Unreadable:
    if len(data) > max_bytes:
        return Unreadable(member, too_large(len(data), max_bytes))
    try:
        return RawPage(member, gunzip_page(data, max_bytes))
    except InputReadError as err:
        return Unreadable(member, str(err))


def _is_hidden(name: str) -> bool:
    """Hidden files, and the resource forks macOS adds to zips (`__MACOSX/`)."""
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts)
