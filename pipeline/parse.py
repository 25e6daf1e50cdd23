"""bytes -> CodePage: pick the front end (HTML or text), decode, assemble."""

from __future__ import annotations

import re

from medcodes.pipeline.assemble import Draft, PageParseError, assemble
from medcodes.pipeline.html_layout import decode_html, decode_text, read_html
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sources import HTML
from medcodes.pipeline.text_bytes import looks_binary, wide_encoding
from medcodes.pipeline.text_layout import read_text

__all__ = ["PageParseError", "parse_page"]

_HTML_SNIFF = re.compile(rb"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<h1[\s>]|<p[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 2048


def parse_page(
    data: bytes, source: str = "", url: str | None = None, kind: str | None = None, charset: str | None = None
) -> CodePage:
    """Parse one page. Raises PageParseError with the rejection reason.

    `kind` (sources.HTML or sources.TEXT) and `charset` are what the page's container said.

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
    if not data.strip():
        raise PageParseError("empty file")
    if looks_binary(data[:_SNIFF_BYTES]):
        raise PageParseError("binary content, not a text or HTML page")
    try:
        draft = _read(data, source, kind, charset)
    except RecursionError as err:
        raise PageParseError("markup nested too deeply to read") from err
    if url and not draft.url:
        draft.url = url
    return assemble(draft, source)


def _read(data: bytes, source: str, kind: str | None, charset: str | None) -> Draft:
    if kind == HTML or (kind is None and looks_like_html(data, source)):
        return read_html(decode_html(data, charset))
    return read_text(decode_text(data))


def looks_like_html(data: bytes, source: str) -> bool:
    if re.search(r"\.x?html?(\.gz)?$", source, re.IGNORECASE):
        return True
    return bool(_HTML_SNIFF.search(data[:_SNIFF_BYTES]))
