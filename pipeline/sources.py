"""Find inputs (folders, globs, files, stdin) and read each into raw pages with their origin.

An input is a page (plain or gzipped) or a container of pages: a WARC crawl, a JSONL export,
a zip or tar archive. Each page in a container is an input of its own in the report, with a
source such as `crawl.warc.gz#https://…`, `pages.zip#hcpcs/C9028.txt` or `export.jsonl:17`.
In a source the input's path has its `#`, `:` and `\\` escaped by a backslash
(`pages/a.txt\\#b.txt` is a page file, `pages/a.txt#b.txt` a member of the archive `pages/a.txt`),
so that a file named like a container's page is never taken for one (`input_source`,
`split_source`).
"""

from __future__ import annotations

import errno
import glob
import io
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from medcodes.errors import MedcodesError

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
_GLOB_CHARS = frozenset("*?[")
# What follows an input's path in the source of a page inside it: "#" and the member's name or
# URL, ":" and the line number. In the path itself they, and the escaping backslash, are escaped.
MEMBER_SEPARATORS = "#:"
# A byte of a file name that is not UTF-8 (os.listdir keeps it as a lone surrogate, which no
# report or manifest could write) is written `\xNN` in a source, and read back to itself.
_SOURCE_SPECIAL = re.compile(r"[\\#:]|[\udc80-\udcff]")
_SOURCE = re.compile(r"((?:[^\\#:]|\\.?)*)(?:([#:])(.*))?", re.DOTALL)
_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|.)", re.DOTALL)

# What a container says a page is: read as HTML, or by the text parser (Markdown too).
HTML = "html"
TEXT = "text"

WARC = "warc"
JSONL = "jsonl"
ZIP = "zip"
TAR = "tar"
_SNIFF_BYTES = 4096
_COPY_BYTES = 1 << 20
# An export read from stdin or saved without its extension: a JSON object naming its fields.
_JSONL_HEAD = re.compile(rb'\s*\{\s*"(?:url|html|text|markdown)"\s*:')
_NAME_KINDS = (
    ((".warc", ".warc.gz", ".arc", ".arc.gz"), WARC),
    ((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"), JSONL),
    ((".zip",), ZIP),
    ((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"), TAR),
)

# What a reader library raises from its own code when damaged bytes break an assumption of its,
# rather than to describe the damage: the message names Python internals ("'NoneType' object has
# no attribute 'startswith'", "negative seek value -3"), so it is logged and not shown.
_UNDESCRIBED = (AttributeError, TypeError, KeyError, IndexError, ValueError, OverflowError)

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


class InputError(MedcodesError, ValueError):
    """A path the user named does not exist or matches nothing."""


class InputReadError(MedcodesError, ValueError):
    """One input could not be read; the message is the rejection reason."""


class InputUnreadableError(InputReadError):
    """An input is there but may not be read (permissions, an I/O error): its earlier pages are
    kept, unlike those of an input that is gone or broken."""


def input_source(path: str) -> str:
    """How reports and records name an input file: its path, with `#`, `:` and `\\` escaped.

    The pages inside a container are named by this followed by "#name" or ":line".
    >>> input_source("pages/x.zip#y.txt")
    'pages/x.zip\\\\#y.txt'
    """
    return _SOURCE_SPECIAL.sub(_escape_in_source, path)


def _escape_in_source(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char) - 0xDC00:02x}" if char >= "\udc80" else "\\" + char


def _unescape_in_source(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return chr(0xDC00 + int(escaped[1:], 16)) if len(escaped) == 3 else escaped


def split_source(source: str) -> tuple[str, str | None]:
    """The input path a source names, and what follows its separator ("#name" or ":17"), or
    None for a page file: the inverse of `input_source`, and of the readers' "#name", ":line".

    >>> split_source("pages.zip#hcpcs/C9028.txt")
    ('pages.zip', '#hcpcs/C9028.txt')
    >>> split_source("pages/a.txt\\\\#b.txt")
    ('pages/a.txt#b.txt', None)
    """
    match = _SOURCE.fullmatch(source)
    assert match is not None  # every string matches
    path = _ESCAPE.sub(_unescape_in_source, match.group(1))
    return path, (match.group(2) + match.group(3)) if match.group(2) else None


def came_from(source: str, path: str) -> bool:
    """True when `source` is the input `path` itself or a page inside it."""
    name = input_source(path)
    return source == name or (
        source.startswith(name) and source[len(name) : len(name) + 1] in tuple(MEMBER_SEPARATORS)
    )


def saved_path(source: str) -> str:
    """The path a page was saved under: a container member's name or a WARC record's URL, a
    page file's path; "" for a JSONL line, which has no name of its own."""
    path, member = split_source(source)
    if member is None:
        return path
    return member[1:] if member.startswith("#") else ""


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


@dataclass(frozen=True)
class Skipped:
    """Something found among the inputs that is not read, and why."""

    source: str
    reason: str


@dataclass
class InputListing:
    """What `find_inputs` found under the paths it was given.

    `files` are read; `skipped` are special files (FIFOs, sockets, devices), never opened;
    `unreadable` are folders that could not be listed and files that could not be looked at;
    `index_folders` are folders holding a medcodes index, not entered; `empty` are folders, at
    any depth, that hold no input at all (an emptied folder, or a mount point whose file system
    is not mounted): only the outermost of a nested run of them.
    """

    files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[Skipped] = field(default_factory=list)
    index_folders: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


def find_inputs(paths: Iterable[str], skip_folder: Callable[[Path], bool] | None = None) -> InputListing:
    """Every input under `paths`, in a stable order; hidden files and folders are skipped, and
    every folder for which `skip_folder` is true (a medcodes index) is listed in `index_folders`
    and not entered.

    Raises InputError for a path that does not exist or a glob that matches nothing, before any
    work is done, so a typo never looks like an empty corpus.
    """
    listing = InputListing()
    skip = skip_folder or (lambda _: False)
    for path in named_paths(paths):
        if path == STDIN:
            listing.files.append(path)
        else:
            _walk(Path(path), listing, skip)
    listing.files = list(dict.fromkeys(listing.files))
    listing.unreadable = list({item.source: item for item in listing.unreadable}.values())
    listing.skipped = list({item.source: item for item in listing.skipped}.values())
    listing.index_folders = list(dict.fromkeys(listing.index_folders))
    listing.empty = list(dict.fromkeys(listing.empty))
    return listing


def named_paths(paths: Iterable[str]) -> list[str]:
    """The paths named, globs expanded; InputError for one that does not exist or matches nothing.

    Cheap (no folder is walked): ingest calls it before taking the write lock, so that a typo
    creates no index folder.
    """
    found: list[str] = []
    for raw in paths:
        if raw == STDIN or os.path.lexists(raw):
            _refuse_special(raw)
            found.append(raw)
        elif _GLOB_CHARS & set(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise InputError(f"no files match {raw}")
            found.extend(matches)
        else:
            raise InputError(f"no such file or folder: {raw}")
    return found


def _refuse_special(raw: str) -> None:
    """A FIFO, socket or device named as an input (itself or through a link) is an error: it is
    never read, and reporting it skipped would make a run that read nothing exit 0. Inside a
    folder the same file is skipped and reported, and the rest is read."""
    if raw == STDIN:
        return
    try:
        mode = os.stat(raw).st_mode
    except OSError:
        return  # a broken link or an unreadable path: reported as such when it is walked
    kind = None if stat.S_ISDIR(mode) else special_file_kind(mode)
    if kind is not None:
        raise InputError(f"{raw} is {kind}, not a regular file or a folder")


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """The readable input files under `paths`, for tests and benchmarks only: it drops what
    find_inputs reports as unreadable, skipped, an index or empty, without a word."""
    return find_inputs(paths).files


def _walk(path: Path, listing: InputListing, skip: Callable[[Path], bool]) -> None:
    """Add the inputs at or under `path` to `listing`, and the folders that hold none."""
    mode = _mode_or_note(str(path), listing)
    if mode is None:
        return
    if not stat.S_ISDIR(mode):
        _add_file(str(path), mode, listing)
        return
    if skip(path):
        listing.index_folders.append(str(path))
        return
    top = str(path)
    folders: list[str] = []  # every folder listed, in walk order (parents first)
    holding: set[str] = set()  # folders with an input somewhere below them

    def found_in(folder: str) -> None:
        # Mark the folder and its ancestors up to `top`; stop at one already marked.
        while folder not in holding:
            holding.add(folder)
            if folder == top:
                return
            folder = os.path.dirname(folder)

    def unlistable(err: OSError) -> None:
        where = err.filename or top
        listing.unreadable.append(Skipped(where, f"cannot list folder: {err.strerror or err}"))
        found_in(os.path.dirname(where) if where != top else top)

    for folder, dirnames, filenames in os.walk(top, onerror=unlistable):
        folders.append(folder)
        entered = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            if skip(Path(folder, name)):
                listing.index_folders.append(os.path.join(folder, name))
                found_in(folder)
            else:
                entered.append(name)
        dirnames[:] = entered
        before = len(listing.files) + len(listing.skipped) + len(listing.unreadable)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = os.path.join(folder, name)
            if (mode := _mode_or_note(file, listing)) is not None:
                _add_file(file, mode, listing)
        if len(listing.files) + len(listing.skipped) + len(listing.unreadable) > before:
            found_in(folder)
    for folder in folders:
        if folder not in holding and (folder == top or os.path.dirname(folder) in holding):
            listing.empty.append(folder)  # the outermost of a run of empty folders


def _mode_or_note(file: str, listing: InputListing) -> int | None:
    """The mode of `file`; None once a file that cannot be looked at is noted in `listing`."""
    try:
        return os.stat(file).st_mode
    except FileNotFoundError:
        listing.files.append(file)  # a broken link: rejected as unreadable where it is read
    except OSError as err:
        listing.unreadable.append(Skipped(file, f"cannot read: {err.strerror or err}"))
    return None


def _add_file(file: str, mode: int, listing: InputListing) -> None:
    kind = special_file_kind(mode)
    if kind is None:
        listing.files.append(file)
    else:
        listing.skipped.append(Skipped(file, f"{kind}, not a regular file"))


def special_file_kind(mode: int) -> str | None:
    """What a file that is not a regular one is ("a FIFO (named pipe)", "a socket", …); None
    for a regular file. Such a file is never opened: reading a FIFO or a device may never end."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in _SPECIAL_KINDS:
        if test(mode):
            return kind
    return "a special file"


def read_input(
    source: str, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None
) -> Iterator[RawPage | Unreadable]:
    """Yield the pages stored in one input (`data` when its bytes are already read).

    Raises InputReadError when the input cannot be read at all.
    """
    kind = container_kind(source, data)
    if kind is None:
        yield RawPage(input_source(source), read_page(source, max_bytes, data))
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


def read_stdin(max_bytes: int, stream: BinaryIO | None = None) -> tuple[str | None, bytes | BinaryIO]:
    """Standard input, read within bounds: its kind (as container_kind) and its bytes.

    A page is read up to `max_bytes`, and one larger is an InputReadError as soon as the bound
    is passed. A container may hold any number of pages, each bounded on its own, and a zip
    must be read from its end: it is copied to an unnamed temporary file (disk, not memory),
    which is returned open, for the caller to read and close.
    """
    stream = stream if stream is not None else sys.stdin.buffer
    head = _read_up_to(stream, _SNIFF_BYTES)
    kind = container_kind(STDIN, head)
    if kind is None:
        data = head + _read_up_to(stream, max_bytes + 1 - len(head))
        if len(data) > max_bytes:
            raise InputReadError(f"input too large (more than the limit of {max_bytes} bytes)")
        return None, data
    spool = tempfile.TemporaryFile(prefix="medcodes-stdin-")  # noqa: SIM115 (returned open)
    try:
        spool.write(head)
        shutil.copyfileobj(stream, spool, _COPY_BYTES)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return kind, spool


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """At most `size` bytes, fewer only at the end of the stream (a pipe gives what it has)."""
    parts: list[bytes] = []
    while size > 0 and (part := stream.read(min(size, _COPY_BYTES))):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def read_container(
    source: str, kind: str, max_bytes: int, data: bytes | BinaryIO | None = None
) -> Iterator[RawPage | Unreadable]:
    """The pages of one container, each read and bounded on its own (from `data`, bytes or an
    open file, when given)."""
    # Imported here: each reader pulls in its own library, needed only for its kind of input.
    if kind == WARC:
        from medcodes.pipeline.warc import read_warc as reader
    elif kind == JSONL:
        from medcodes.pipeline.jsonl import read_jsonl as reader
    else:
        from medcodes.pipeline.archives import read_tar, read_zip

        reader = read_zip if kind == ZIP else read_tar
    with _open(source, data) as stream:
        # Readers name each page by the input's source followed by "#name" or ":line".
        yield from reader(stream, input_source(source), max_bytes)


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


def escaped(text: str) -> str:
    """`text` whole, with each control character (a NUL byte, ESC, a newline…) written as `\\xNN`,
    harmless on a terminal, and each byte that was not UTF-8 (tarfile decodes it to a lone
    surrogate, which no report or manifest could write) as `\\xNN` too."""
    return "".join(_escape(c) if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape kept it
        code -= 0xDC00
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def describe_damage(err: Exception, source: str) -> str:
    """What a reason says of the error a reader raised on damaged input: its message when that
    describes the damage ("Bad CRC-32 for file …"), printable; else plain words, the details
    logged (shown by -v)."""
    # A seek to an offset the damaged bytes gave: ValueError in memory, EINVAL on a file.
    if isinstance(err, _UNDESCRIBED) or (isinstance(err, OSError) and err.errno == errno.EINVAL):
        log.info("%s: %s: %s", source, type(err).__name__, err, exc_info=err)
        return "corrupt data (details in the log)"
    if isinstance(err, OSError) and err.strerror:
        return escaped(err.strerror)  # "Input/output error", without "[Errno 5]"
    return escaped(str(err))


def too_large(size: int, max_bytes: int) -> str:
    return f"page too large ({size} bytes > limit {max_bytes})"


def too_large_decompressed(max_bytes: int) -> str:
    """The reason for a page that decompresses past the bound (read up to it only, so its size
    is not known)."""
    return f"page too large once decompressed (> limit {max_bytes})"


def _read_file(source: str, max_bytes: int) -> bytes:
    with open_regular(source) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise InputReadError(f"file too large ({size} bytes > limit {max_bytes})")
        try:
            return handle.read()
        except OSError as err:
            raise InputUnreadableError(f"cannot read: {err.strerror or err}") from err


def open_regular(source: str) -> io.BufferedReader:
    """Open an input file for reading, refusing anything but a regular file.

    O_NONBLOCK: opening a FIFO that was put in place of a page must not wait for a writer.
    A file that is gone is an InputReadError; one that may not be read, InputUnreadableError.
    """
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as err:
        raise InputReadError(f"cannot read: {err.strerror or err}") from err
    except OSError as err:
        raise InputUnreadableError(f"cannot read: {err.strerror or err}") from err
    kind = special_file_kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise InputReadError(f"{kind}, not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _head(source: str) -> bytes:
    try:
        with open_regular(source) as handle:
            return handle.read(_SNIFF_BYTES)
    except (OSError, InputReadError):
        return b""  # reported when the page itself is read


def _open(source: str, data: bytes | BinaryIO | None) -> BinaryIO:
    if isinstance(data, bytes):
        return io.BytesIO(data)
    if data is not None:
        return data  # closed, with the pages read, by the caller's `with`
    return open_regular(source)
