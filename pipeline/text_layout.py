"""Read a text dump of a code page (any of its renderings) into a Draft.

Renderings seen on real scraped pages (issue 3): blank-line separated with indented `•` and
numbered lists; one line per block with `- ` items; Markdown (`#` headings, `**bold**`, trailing
two-space breaks); and "headless" pages whose headings were dropped, leaving only a run of
blank lines where each stood. Every rendering reduces to the same blocks.
"""

from __future__ import annotations

import re
from collections import Counter

from medcodes.pipeline.assemble import GAP, HEADING, ITEM, TEXT, Block, Draft
from medcodes.pipeline.header import is_category_line, is_site_line, is_system_line, read_breadcrumb
from medcodes.pipeline.sections import is_condition_page, section_for_heading
from medcodes.pipeline.titles import restates_title

# How far into the page the header (site line, breadcrumb, title, system line) may reach.
_HEADER_LINES = 10
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-•*+‣◦▪–·]|\(?\d{1,3}[.)]|[a-z][.)])\s+(?P<text>\S.*)$")
_MARKDOWN_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]*\)")


def read_text(text: str) -> Draft:
    """Split a text dump into header (title, system line, breadcrumb) and body blocks."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [_unmark(line) for line in text.split("\n")]
    condition = is_condition_page(_heading_text(line) for line in lines)
    draft, header = _read_header(lines, condition)
    draft.condition = condition
    # Each line is read once: a blank line is None.
    blocks = [_classify(line, condition) if line.strip() else None for line in lines]
    body = [block for index, block in enumerate(blocks) if index not in header]
    draft.blocks = _body_blocks(body, _usual_gap(blocks))
    return draft


def _unmark(line: str) -> str:
    """Drop Markdown's inline markup and hard-break marks; keep the words."""
    line = line.rstrip().removesuffix("\\").rstrip()
    return _LINK.sub(r"\1", _EMPHASIS.sub(r"\2", line))


def _heading_text(line: str) -> str:
    match = _MARKDOWN_HEADING.match(line.strip())
    return match.group("text") if match else line.strip()


def _read_header(lines: list[str], condition: bool) -> tuple[Draft, set[int]]:
    """Find the title, system line and breadcrumb before the first section heading.

    Returns the draft and the indexes of the lines that were header; any other line before
    the first heading (text the header does not explain) stays in the body.
    """
    draft = Draft(title=None, system_line=None, blocks=[])
    header: set[int] = set()
    seen = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        seen += 1
        text = _heading_text(stripped)
        if section_for_heading(text, condition) or seen > _HEADER_LINES:
            break
        if is_site_line(text) or (draft.system_line and is_category_line(text)):
            header.add(index)
        elif draft.system_line is None and is_system_line(text):
            draft.system_line = text
            header.add(index)
        elif draft.breadcrumb == (None, None) and (crumb := read_breadcrumb(text)):
            draft.breadcrumb = crumb
            header.add(index)
        elif draft.title is None:
            draft.title = text
            header.add(index)
        elif restates_title(text, draft.title):
            header.add(index)
    return draft, header


def _usual_gap(lines: list[Block | None]) -> int:
    """The most blank lines that separate two blocks of one section on this page.

    The page's own headings tell: the blank lines that stand before a heading separate
    sections, so no more than that separates paragraphs, and a longer run is where a heading
    was dropped (headless pages). Without a heading, a blank line is a paragraph break: on
    blank-line pages whose list items follow each other with single newlines, the most common
    run is zero, and reading every paragraph break as a lost heading scattered the page's last
    sections into "unplaced" (issue 12).
    """
    before_headings: Counter[int] = Counter()
    runs: Counter[int] = Counter()
    blank = 0
    for block in lines:
        if block is None:
            blank += 1
            continue
        runs[blank] += 1
        if block.kind == HEADING:
            before_headings[blank] += 1
        blank = 0
    if before_headings:
        # On a tie, the longer run: a heading may sit right under a paragraph now and then.
        return max(before_headings, key=lambda run: (before_headings[run], run))
    return max(1, runs.most_common(1)[0][0]) if runs else 0


def _body_blocks(lines: list[Block | None], usual_gap: int) -> list[Block]:
    """The body's blocks; a run of blank lines longer than usual marks a lost heading."""
    blocks: list[Block] = []
    blank = 0
    for block in lines:
        if block is None:
            blank += 1
            continue
        if blank > usual_gap and blocks:
            blocks.append(Block(GAP, ""))
        blank = 0
        blocks.append(block)
    return blocks


def _classify(line: str, condition: bool) -> Block:
    if match := _MARKDOWN_HEADING.match(line):
        return Block(HEADING, match.group("text"), len(match.group("hashes")))
    if section_for_heading(line, condition):
        return Block(HEADING, line.strip(), 2)
    if match := _ITEM.match(line):
        depth = len(match.group("indent").expandtabs(4)) // 2
        return Block(ITEM, match.group("text"), depth)
    return Block(TEXT, line.strip())
