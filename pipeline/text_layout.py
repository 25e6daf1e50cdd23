"""Read a text dump of a code page (the seed's layout) into a Draft."""

from __future__ import annotations

import re

from pipeline.assemble import HEADING, ITEM, TEXT, Block, Draft
from pipeline.codes import system_from_text
from pipeline.sections import section_for_heading

SITE_LINES = frozenset({"search all medical codes"})
# How far into the page the header (site line, title, system line) may reach.
_HEADER_LINES = 8
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-•*‣◦▪–]|\d{1,3}[.)])\s+(?P<text>\S.*)$")
_MARKDOWN_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
# "HCPCS code", "CPT4 code", "ICD-10-CM code": a line that only names the code system.
_SYSTEM_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 .-]{1,20}?)\s+codes?\s*$", re.IGNORECASE)


def read_text(text: str) -> Draft:
    """Split a text dump into header (title, system line) and body blocks."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    title, system_line, body_start = _read_header(lines)
    blocks = [block for line in lines[body_start:] if (block := _classify(line))]
    return Draft(title=title, system_line=system_line, blocks=blocks)


def is_system_line(line: str) -> bool:
    match = _SYSTEM_LINE.match(line)
    return bool(match and system_from_text(match.group(1)))


def _read_header(lines: list[str]) -> tuple[str | None, str | None, int]:
    """Find the title and system line before the first section heading."""
    title: str | None = None
    for index, line in enumerate(lines[:_HEADER_LINES]):
        stripped = line.strip()
        if not stripped or stripped.lower() in SITE_LINES:
            continue
        if is_system_line(stripped):
            return title, stripped, index + 1
        if section_for_heading(stripped):
            return title, None, index
        if title is None:
            title = stripped
    if title is not None:
        # No system line: the body starts right after the title.
        return title, None, lines.index(next(line for line in lines if line.strip() == title)) + 1
    return None, None, 0


def _classify(line: str) -> Block | None:
    if not line.strip():
        return None
    if match := _MARKDOWN_HEADING.match(line):
        return Block(HEADING, match.group("text"), len(match.group("hashes")))
    if section_for_heading(line):
        return Block(HEADING, line.strip(), 2)
    if match := _ITEM.match(line):
        depth = len(match.group("indent").expandtabs(4)) // 2
        return Block(ITEM, match.group("text"), depth)
    return Block(TEXT, line.strip())
