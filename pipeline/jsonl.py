"""Read a JSONL export: one object per line with `url` and one of `html`, `text`, `markdown`."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from medcodes.pipeline.sources import GZIP_MAGIC, HTML, TEXT, RawPage, Unreadable, too_large

# Which parser reads each content field; Markdown is read by the text parser.
CONTENT_FIELDS = {"html": HTML, "text": TEXT, "markdown": TEXT}


def read_jsonl(stream: BinaryIO, source: str, max_bytes: int) -> Iterator[RawPage | Unreadable]:
    compressed = stream.read(2) == GZIP_MAGIC
    stream.seek(0)
    lines: BinaryIO | gzip.GzipFile = gzip.GzipFile(fileobj=stream) if compressed else stream
    number = 0
    try:
        while line := lines.readline(max_bytes + 1):
            number += 1
            if len(line) > max_bytes and not line.endswith(b"\n"):
                _skip_rest_of_line(lines)
                yield Unreadable(f"{source}:{number}", too_large(len(line), max_bytes))
            elif line.strip():
                yield _read_line(line, f"{source}:{number}")
    except (OSError, EOFError, zlib.error) as err:
        yield Unreadable(f"{source}:{number + 1}", f"cannot read past line {number}: {err}")


def _read_line(line: bytes, source: str) -> RawPage | Unreadable:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        # Its own "line 2 column 1" counts lines within this one line (a line cut after a
        # newline inside it); the file's line number is in `source`, so say the column only.
        return Unreadable(source, f"invalid JSON line: column {err.pos + 1}: {err.msg.removesuffix(' at')}")
    except ValueError as err:  # UnicodeDecodeError
        return Unreadable(source, f"invalid JSON line: {err}")
    if not isinstance(item, dict):
        return Unreadable(source, "invalid JSON line: not an object")
    url = item.get("url")
    for name, kind in CONTENT_FIELDS.items():
        if isinstance(item.get(name), str):
            return RawPage(source, item[name].encode("utf-8"), url if isinstance(url, str) else None, kind)
    return Unreadable(source, "JSON line has no html, text or markdown field")


def _skip_rest_of_line(stream: BinaryIO | gzip.GzipFile) -> None:
    while (chunk := stream.readline(1 << 20)) and not chunk.endswith(b"\n"):
        pass
