"""Tell text from binary, and read the byte-order marks of wide encodings, for pages and for
files of queries alike."""

from __future__ import annotations

import codecs
import re

# Control bytes that never occur in a text page; a few of them mean the file is binary.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
# UTF-32 first: its little-endian mark begins with UTF-16's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def looks_binary(head: bytes) -> bool:
    """True for the first bytes of a binary file (a NUL, or several other control bytes)."""
    return b"\x00" in head or len(_BINARY.findall(head)) > 4


def wide_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, length of the mark) when `data` starts with a UTF-16 or UTF-32 byte-order mark."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def decode_line(line: bytes) -> str:
    """UTF-8, else Windows-1252 (what a spreadsheet saves on Windows), as pages are decoded."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("windows-1252", errors="replace")
