"""bytes -> CodePage: pick the front end (HTML or text), decode, assemble."""

from __future__ import annotations

import codecs
import re

from medcodes.pipeline.assemble import Draft, PageParseError, assemble
from medcodes.pipeline.html_layout import decode_html, decode_text, read_html
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import HTML
from medcodes.pipeline.text_bytes import looks_binary, wide_encoding
from medcodes.pipeline.text_layout import read_text
from medcodes.pipeline.time_budget import DEFAULT_PARSE_TIME_LIMIT, ParseTimeExpired, time_budget

__all__ = ["DEFAULT_PARSE_TIME_LIMIT", "PageParseError", "parse_page"]

_HTML_SNIFF = re.compile(rb"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<h1[\s>]|<p[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 2048
# Structure no code page has. Reading costs about 20 µs per element or line, whatever their
# size, so a page of one tag or one short line repeated (4 MB of "<li>" is a million elements)
# cost several seconds per MB; counted first (a C-speed scan), such a page is rejected at once.
# A site page has hundreds to a few thousand elements and under a hundred lines of text.
MAX_ELEMENTS = 20_000
MAX_LINES = 10_000
_ELEMENT = re.compile(rb"<[A-Za-z]")


def parse_page(
    data: bytes,
    source: str = "",
    url: str | None = None,
    kind: str | None = None,
    charset: str | None = None,
    time_limit: float | None = DEFAULT_PARSE_TIME_LIMIT,
) -> CodePage:
    """Parse one page. Raises PageParseError with the rejection reason.

    `kind` (sources.HTML or sources.TEXT) and `charset` are what the page's container said.
    A page not parsed within `time_limit` seconds (None: no limit) is rejected with
    "parse time limit" (see time_budget.py).

    >>> page = parse_page(open("examples/pages/hcpcs-C9028.txt", "rb").read(), "hcpcs-C9028.txt")
    >>> page.key
    'hcpcs:C9028'
    """
    if wide := wide_encoding(data):
        # UTF-16 and UTF-32 are full of NUL bytes: read them before telling text from binary.
        codec, bom = wide
        try:
            data, charset = data[bom:].decode(codec).encode("utf-8"), "utf-8"
        except UnicodeDecodeError as err:
            raise PageParseError(f"broken {codec.upper()} text: {err.reason}") from err
    # A UTF-8 mark and nothing else is empty too (bs4 would log a decoding warning for it).
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise PageParseError("empty file")
    if looks_binary(data[:_SNIFF_BYTES]):
        raise PageParseError("binary content, not a text or HTML page")
    try:
        with time_budget(time_limit):
            draft = _read(data, source, kind, charset)
            if url and not draft.url:
                draft.url = url
            return assemble(draft, source)
    except RecursionError as err:
        raise PageParseError("markup nested too deeply to read") from err
    except ParseTimeExpired:
        raise PageParseError(f"parse time limit: not parsed within {time_limit:g} s") from None


def _read(data: bytes, source: str, kind: str | None, charset: str | None) -> Draft:
    if kind == HTML or (kind is None and looks_like_html(data, source)):
        if (elements := len(_ELEMENT.findall(data))) > MAX_ELEMENTS:
            raise PageParseError(
                f"too much markup for a code page: {elements:,} elements (at most {MAX_ELEMENTS:,})"
            )
        return read_html(decode_html(data, charset))
    if (lines := max(data.count(b"\n"), data.count(b"\r"))) > MAX_LINES:
        raise PageParseError(f"too many lines for a code page: {lines:,} (at most {MAX_LINES:,})")
    return read_text(decode_text(data))


def looks_like_html(data: bytes, source: str) -> bool:
    if re.search(r"\.x?html?(\.gz)?$", source, re.IGNORECASE):
        return True
    return bool(_HTML_SNIFF.search(data[:_SNIFF_BYTES]))
