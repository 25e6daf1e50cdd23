"""Read the pages stored in zip and tar archives; each member is a page of its own.

Every member is accounted for: a page, or a rejection with its reason. Only directories (and,
like hidden files in a folder, hidden members and macOS's `__MACOSX/` forks) pass unreported.
A member is read only when it is a regular file under a relative name without `..`: a link,
a device or a FIFO is not a page, and a name that could point outside the archive, or that
tools would print or cut differently (a NUL byte, control characters), is refused.

Decompression is bounded: a member is decompressed up to --max-bytes and no further, whatever
its header says (zipfile decompresses a bzip2 or LZMA read whole, tarfile a compressed block
whole, and a few KB of bzip2 may hold gigabytes: those two are decompressed here).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import stat
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol, cast

from medcodes.pipeline.sources import (
    GZIP_MAGIC,
    InputReadError,
    RawPage,
    Unreadable,
    describe_damage,
    escaped,
    gunzip_page,
    too_large,
    too_large_decompressed,
)

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
    lzma.LZMAError,
)
# tarfile raises TypeError on a gzip header cut short (found by tests/test_properties.py).
_TAR_ERRORS = (tarfile.TarError, ValueError, TypeError, OSError, EOFError, zlib.error, lzma.LZMAError)
_LOCAL_HEADER_BYTES = 30  # a zip member's local header, before its name and extra field
_CHUNK_BYTES = 1 << 16


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


_TAR_KINDS = {
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
}
# The file type a zip made on Unix keeps in the high bits of a member's external attributes.
_ZIP_KINDS = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}
# Archives made on Windows may separate folders with a backslash; a drive letter is absolute.
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"[A-Za-z]:")


def read_zip(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    try:
        archive = zipfile.ZipFile(stream)
    except _ZIP_ERRORS as err:
        raise InputReadError(f"broken zip archive: {describe_damage(err, source)}") from err
    with archive:
        for info in archive.infolist():
            # The name as stored: zipfile cuts `filename` at a NUL byte.
            name, file_type = info.orig_filename, stat.S_IFMT(info.external_attr >> 16)
            if info.is_dir() or file_type == stat.S_IFDIR:
                continue
            unsafe = _unsafe_name(name)
            if unsafe is None and _is_hidden(name):
                continue
            member = f"{source}#{escaped(name)}"
            if refusal := unsafe or _not_a_file(_zip_kind(file_type)):
                yield Unreadable(member, refusal)
                continue
            if info.file_size > max_bytes:
                yield Unreadable(member, too_large(info.file_size, max_bytes))
                continue
            try:
                yield _page(member, _read_member(archive, info, stream, max_bytes + 1), max_bytes)
            except _ZIP_ERRORS as err:
                yield Unreadable(member, f"cannot read zip member: {describe_damage(err, member)}")


def read_tar(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    count = 0
    member = None  # the member being read when the archive broke off
    try:
        # Streaming mode: members are read in order, without seeking, whatever the compression.
        with tarfile.open(fileobj=_decompressed(stream), mode="r|") as archive:
            for info in archive:
                if info.isdir():
                    continue
                unsafe = _unsafe_name(info.name)
                if unsafe is None and _is_hidden(info.name):
                    continue
                member = f"{source}#{escaped(info.name)}"
                if refusal := unsafe or _not_a_file(_tar_kind(info)):
                    yield Unreadable(member, refusal)
                elif info.size > max_bytes:
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
            raise InputReadError(f"broken tar archive: {describe_damage(err, source)}") from err
        where = member or f"{source}#end"
        yield Unreadable(where, f"truncated or corrupt tar archive: {describe_damage(err, where)}")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, stream: BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes of a zip member, decompressed."""
    with archive.open(info) as handle:  # checks its header; refuses an encrypted member
        if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Bounded already: zipfile inflates at most what is asked for.
            return handle.read(limit)
    # zipfile would decompress bzip2 and LZMA a read at a time, however much that holds.
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER_BYTES)
    stream.seek(int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"), 1)
    end = stream.tell() + info.compress_size
    decompressor: _Decompressor
    if info.compress_type == zipfile.ZIP_BZIP2:
        decompressor = bz2.BZ2Decompressor()
    elif info.compress_type == zipfile.ZIP_LZMA:
        decompressor = _zip_lzma_decompressor(stream)
    else:
        raise NotImplementedError(f"compression method {info.compress_type}")
    data = _decompress(_chunks(stream, end - stream.tell()), decompressor, limit)
    # An LZMA member need not mark its end: it ends with its compressed bytes.
    if len(data) < limit and zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def _chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    while size > 0 and (chunk := stream.read(min(size, _CHUNK_BYTES))):
        size -= len(chunk)
        yield chunk


def _zip_lzma_decompressor(stream: BinaryIO) -> lzma.LZMADecompressor:
    """A zip's LZMA member starts with a version (2 bytes), the size of the properties (2) and
    the properties: literal and position bits (1), then the dictionary size (4)."""
    head = stream.read(4)
    props = stream.read(int.from_bytes(head[2:4], "little"))
    if len(props) < 5:
        raise EOFError("member cut short")
    bits = props[0]
    lzma1 = {
        "id": lzma.FILTER_LZMA1,
        "dict_size": int.from_bytes(props[1:5], "little"),
        "lc": bits % 9,
        "lp": bits // 9 % 5,
        "pb": bits // 45,
    }
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[lzma1])


def _decompress(chunks: Iterator[bytes], decompressor: _Decompressor, limit: int) -> bytes:
    """At most `limit` bytes out of `decompressor`, fed `chunks` as it needs them."""
    out = bytearray()
    for chunk in chunks:
        out += decompressor.decompress(chunk, limit - len(out))
        while len(out) < limit and not decompressor.eof and not decompressor.needs_input:
            out += decompressor.decompress(b"", limit - len(out))
        if len(out) >= limit or decompressor.eof:
            break
    return bytes(out)


def _decompressed(stream: BinaryIO) -> BinaryIO:
    """A tar archive's stream, decompressed as it is read (by the magic bytes it starts with:
    gzip, bzip2, xz or the older lzma format)."""
    head = stream.read(6)
    stream.seek(0)
    if head.startswith(GZIP_MAGIC):
        return cast(BinaryIO, _CutShortAsEnd(gzip.GzipFile(fileobj=stream, mode="rb")))
    if head.startswith(b"BZh"):
        return cast(BinaryIO, _CutShortAsEnd(bz2.BZ2File(stream)))
    if head.startswith((b"\xfd7zXZ\x00", b"\x5d\x00\x00\x80")):
        return cast(BinaryIO, _CutShortAsEnd(lzma.LZMAFile(stream)))
    return stream


class _CutShortAsEnd:
    """A decompressing file read as tarfile reads its own: what could be decompressed, then
    the end (tarfile reports the member the archive breaks off in)."""

    def __init__(self, file: gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile) -> None:
        self.file = file

    def read(self, size: int = -1) -> bytes:
        try:
            return self.file.read1(size if size >= 0 else _CHUNK_BYTES)
        except EOFError:
            return b""


def _page(member: str, data: bytes, max_bytes: int) -> RawPage | Unreadable:
    if len(data) > max_bytes:
        # Read up to the bound only: more than its header said it holds.
        return Unreadable(member, too_large_decompressed(max_bytes))
    try:
        return RawPage(member, gunzip_page(data, max_bytes))
    except InputReadError as err:
        return Unreadable(member, str(err))


def _unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe to take as a page's path, or None."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "unsafe member name (absolute path)"
    if ".." in _SEPARATORS.split(name):
        return "unsafe member name (.. in the path)"
    if any(unicodedata.category(c) == "Cc" for c in name):
        return "unsafe member name (control characters)"
    return None


def _tar_kind(info: tarfile.TarInfo) -> str | None:
    """What a tar member that is not a regular file is, or None for a regular file."""
    if info.isfile():
        return None
    return _TAR_KINDS.get(info.type, "unknown member type")


def _zip_kind(file_type: int) -> str | None:
    """What a zip member of this Unix file type is, or None for a regular file (or no type
    recorded, as in zips made on Windows)."""
    if file_type in (0, stat.S_IFREG):
        return None
    return _ZIP_KINDS.get(file_type, "unknown file type")


def _not_a_file(kind: str | None) -> str | None:
    return None if kind is None else f"not a regular file ({kind})"


def _is_hidden(name: str) -> bool:
    """Hidden files, and the resource forks macOS adds to zips (`__MACOSX/`)."""
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts)
