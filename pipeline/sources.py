"""Find inputs (folders, globs, files, .gz) and read each into raw pages with their origin."""

from __future__ import annotations

import glob
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"
_GLOB_CHARS = frozenset("*?[")


class InputError(ValueError):
    """A path the user named does not exist or matches nothing."""


class InputReadError(ValueError):
    """One input could not be read; the message is the rejection reason."""


@dataclass(frozen=True)
class RawPage:
    """The bytes of one page and where they came from."""

    source: str
    data: bytes
    url: str | None = None


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
) -> Iterator[RawPage]:
    """Yield the pages stored in one input (`data` when its bytes are already read).

    Raises InputReadError when the input cannot be read at all.
    """
    if data is None:
        data = _read_file(source, max_bytes)
    elif len(data) > max_bytes:
        raise InputReadError(f"input too large ({len(data)} bytes > limit {max_bytes})")
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, max_bytes)
    yield RawPage(source, data)


def _read_file(source: str, max_bytes: int) -> bytes:
    try:
        size = os.path.getsize(source)
        if size > max_bytes:
            raise InputReadError(f"file too large ({size} bytes > limit {max_bytes})")
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise InputReadError(f"cannot read: {err.strerror or err}") from err


def _gunzip(data: bytes, max_bytes: int) -> bytes:
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
