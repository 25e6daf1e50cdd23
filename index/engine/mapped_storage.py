"""Read a segment's parts straight from its memory map, without copying them first.

Whoosh maps a compound segment file, then opens each part (terms, postings, columns) as a
BufferFile over a BytesIO of the mapped bytes — a copy. So every searcher held the whole index
in memory and opening one cost a pass over it (96 MB and most of a search's cold start at
20,000 pages; issue 6's note). Reading the parts from the map directly makes opening free and
keeps warm queries within a few percent (a BufferFile's positioned reads already slice the
buffer; only sequential reads go through the Python reader below).

Whoosh is pinned (2.7.5); the one name replaced is the BufferFile that
`whoosh.filedb.compound.CompoundStorage.open_file` creates, with a subclass that differs only
in not copying, installed by `install()` when the engine opens an index (opening.py), for
every reader and writer of the process from then on.
"""

from __future__ import annotations

from typing import Any

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

# What peek returns at most: pickle asks for 8 KB ahead, a block header needs a few dozen bytes.
_PEEK = 256


class _MemoryReader:
    """The read side of a file over a memoryview: what StructFile and pickle call."""

    def __init__(self, buf: memoryview) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = max(end, start)
        return bytes(self._buf[start:end])

    def peek(self, size: int = 1) -> bytes:
        """The next bytes without consuming them: pickle reads ahead with this, one call per
        pickle where it would otherwise call read() for every opcode."""
        return bytes(self._buf[self._pos : self._pos + min(max(size, 1), _PEEK)])

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        start, limit = self._pos, len(self._buf)
        if size is not None and size >= 0:
            limit = min(limit, start + size)
        end = start
        while end < limit and self._buf[end] != 0x0A:
            end += 1
        return self.read(min(end + 1, limit) - start)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._buf))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = memoryview(b"")


class MappedPart(BufferFile):
    """A BufferFile reading its mapped buffer in place."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MemoryReader(memoryview(buf))


def install() -> None:
    """Make Whoosh's compound storage open parts as MappedPart (idempotent)."""
    compound.BufferFile = MappedPart


__all__ = ["MappedPart", "install"]
