"""Read the pages stored in zip and tar archives; each member is a page of its own."""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from pipeline.sources import InputReadError, RawPage, Unreadable, gunzip_page, too_large


def read_zip(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as err:
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
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error) as err:
                # RuntimeError: an encrypted member; BadZipFile: a bad CRC or a cut archive.
                yield Unreadable(member, f"cannot read zip member: {err}")


def read_tar(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    count = 0
    try:
        # Streaming mode: members are read in order, without seeking, whatever the compression.
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for info in archive:
                if not info.isfile() or _is_hidden(info.name):
                    continue
                count += 1
                member = f"{source}#{info.name}"
                if info.size > max_bytes:
                    yield Unreadable(member, too_large(info.size, max_bytes))
                    continue
                handle = archive.extractfile(info)
                yield _page(member, handle.read() if handle else b"", max_bytes)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        if count == 0:
            raise InputReadError(f"broken tar archive: {err}") from err
        yield Unreadable(
            f"{source}#after-member-{count}", f"truncated or corrupt tar after {count} pages: {err}"
        )


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
