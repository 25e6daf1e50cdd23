"""Read a file of queries (`search --queries`), one a line, decoded the way pages are.

A UTF-16 or UTF-32 file is told by its byte-order mark; otherwise each line is UTF-8 (a UTF-8
mark on the first line is dropped), else Windows-1252. Lines are read one at a time, so that a
batch from a pipe is answered as it arrives.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import IO

from medcodes.errors import MedcodesError
from medcodes.pipeline.text_bytes import decode_line, looks_binary, wide_encoding

_SNIFF_BYTES = 2048


class QueryFileError(MedcodesError, ValueError):
    """A file of queries that is not text."""


def read_query_lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """Each line of `stream` without its line ending; QueryFileError for binary input.

    >>> list(read_query_lines(io.BytesIO(b"walker\\r\\ncaf\\xe9\\n"), "queries.txt"))
    ['walker', 'café']
    """
    buffered = _peekable(stream)
    head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    if wide := wide_encoding(head):
        codec, bom = wide
        buffered.read(bom)
        for text in codecs.getreader(codec)(buffered, "replace"):
            yield text.rstrip("\r\n")
        return
    if looks_binary(head):
        raise QueryFileError(f"{name} is binary, not a text file of queries")
    if head.startswith(codecs.BOM_UTF8):
        buffered.read(len(codecs.BOM_UTF8))
    for line in buffered:
        if looks_binary(line):
            raise QueryFileError(f"{name} is binary, not a text file of queries")
        yield decode_line(line).rstrip("\r\n")


def _peekable(stream: IO[bytes]) -> io.BufferedReader:
    """`stream` as a BufferedReader, which can peek at the head without consuming it."""
    if isinstance(stream, io.BufferedReader):
        return stream
    if isinstance(stream, io.RawIOBase | io.BufferedIOBase):  # a BytesIO, a raw file: still read as it comes
        return io.BufferedReader(stream)
    return io.BufferedReader(io.BytesIO(stream.read()))  # any other reader of bytes, read whole
