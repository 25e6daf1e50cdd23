"""Read a JSONL export: one object per line with `url` and one of `html`, `text`, `markdown`."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from medcodes.pipeline.sources import GZIP_MAGIC, HTML, TEXT, RawPage, Unreadable, describe_damage, too_large

# Which parser reads each content field; Markdown is read by the text parser.
CONTENT_FIELDS = {"html": HTML, "text": TEXT, "markdown": TEXT}
# `"\ud800"` is valid JSON but no character: UTF-8 cannot encode it, nor a report or the index.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
        yield Unreadable(
            f"{source}:{number + 1}", f"cannot read past line {number}: {describe_damage(err, source)}"
        )


def _read_line(line: bytes, source: str) -> RawPage | Unreadable:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        # Its own "line 2 column 1" counts lines within this one line (a line cut after a
        # newline inside it); the file's line number is in `source`, so say the column only.
        return Unreadable(source, f"invalid JSON line: column {err.pos + 1}: {err.msg.removesuffix(' at')}")
    except UnicodeDecodeError as err:
        byte = err.object[err.start : err.start + 1].hex()
        return Unreadable(
            source, f"invalid JSON line: not {err.encoding.upper()} (byte 0x{byte} at column {err.start + 1})"
        )
    except ValueError:
        # The other ValueError json raises: an integer of over 4,300 digits, which Python
        # refuses to convert (a guard against quadratic time).
        return Unreadable(source, "invalid JSON line: a number too long to read")
    except RecursionError:
        # The decoder recurses once per nested array or object: a 2 KB line of `{"a":` ends
        # the interpreter's stack. No export nests that deep; the next lines are still read.
        return Unreadable(source, "invalid JSON line: nested too deep")
    if not isinstance(item, dict):
        return Unreadable(source, "invalid JSON line: not an object")
    url = item.get("url")
    for name, kind in CONTENT_FIELDS.items():
        if isinstance(item.get(name), str):
            content = _characters(item[name]).encode("utf-8")
            return RawPage(source, content, _characters(url) if isinstance(url, str) else None, kind)
    return Unreadable(source, "JSON line has no html, text or markdown field")


def _characters(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, as a decoder does an invalid byte."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _skip_rest_of_line(stream: BinaryIO | gzip.GzipFile) -> None:
    while (chunk := stream.readline(1 << 20)) and not chunk.endswith(b"\n"):
        pass
