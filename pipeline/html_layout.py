"""Read an HTML code page into a Draft; the only module that imports BeautifulSoup.

Generic structure, because the real site's markup is not available: headings, paragraphs,
lists, definition lists, tables and bold labels inside the main content; navigation, scripts
and banners are dropped. Nothing is ever fetched.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    PageElement,
    Tag,
    UnicodeDammit,
    XMLParsedAsHTMLWarning,
)

from medcodes.pipeline.assemble import HEADING, ITEM, TEXT, Block, Draft, PageParseError
from medcodes.pipeline.header import (
    is_category_line,
    is_site_line,
    is_system_line,
    read_breadcrumb,
    read_breadcrumb_parts,
)
from medcodes.pipeline.sections import is_condition_page, section_for_heading
from medcodes.pipeline.titles import restates_title

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
    "input",
)
# Class or id words of page furniture that is not content.
_FURNITURE = re.compile(
    r"cookie|consent|gdpr|banner|breadcrumb|skip-link|share|social|advert|popup|modal|newsletter",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(r"breadcrumb", re.IGNORECASE)
# Deeper than a browser nests what it renders: Chromium's HTML parser stops nesting elements at
# 512 levels. The fixture pages nest under 10, a site page a few dozen. Reading recurses once per
# level (a 1,000-deep page of <div> ran out of stack) and nested tables cost the cube of their
# depth (400 of them, 13 KB, took 8 s), so a deeper tree is rejected before it is read.
MAX_DEPTH = 512
# Browsers decode pages declared as Latin-1 (or plain ASCII) as Windows-1252 (WHATWG
# encoding standard); Python's latin-1 would turn its curly quotes into control characters.
_WINDOWS_1252_ALIASES = frozenset({"iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii"})
# Tried in order after a BOM and a declared charset. Latin-1 decodes any byte, so the five bytes
# Windows-1252 leaves undefined never make UnicodeDammit fall back to replacing characters (and
# logging a warning for each such page).
_FALLBACKS = ["utf-8", "windows-1252", "latin-1"]
# A bold paragraph longer than this is emphasis, not a label.
_MAX_LABEL_WORDS = 6
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "pre",
        *_HEADINGS,
    }
)


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode with the HTTP charset, a BOM, the page's declared charset, else UTF-8, else
    Windows-1252.

    The guessers UnicodeDammit may call (chardet, charset-normalizer) are kept out by listing
    our fallbacks first, so that a page decodes the same on every machine.
    """
    dammit = UnicodeDammit(
        data,
        known_definite_encodings=[charset] if charset else [],
        user_encodings=_FALLBACKS,
        is_html=True,
    )
    if dammit.original_encoding in _WINDOWS_1252_ALIASES:
        return data.decode("windows-1252", errors="replace")
    return dammit.unicode_markup or ""


def decode_text(data: bytes) -> str:
    """Decode a text page: valid UTF-8 (with or without BOM) at once, else as decode_html.

    Lives here because UnicodeDammit is BeautifulSoup's, and bs4 stays in this one module.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return UnicodeDammit(data, user_encodings=_FALLBACKS).unicode_markup or ""


def read_html(markup: str) -> Draft:
    with warnings.catch_warnings():
        # Advice to a programmer, printed once per process over the progress bar: a page saved
        # as XHTML starts with `<?xml`, and one whose whole text is a URL or a file name
        # "looks like" one; each is read as HTML all the same, as intended.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "lxml")
    survey = _survey(soup)
    breadcrumb = next((found for trail in survey.trails if (found := _read_trail(trail))), (None, None))
    title = _text(survey.h1) if survey.h1 is not None else None
    for tag in survey.furniture:
        tag.decompose()
    root = survey.main or soup.body or soup
    blocks: list[Block] = []
    _walk(root, blocks, depth=0)
    if title is None and soup.title and soup.title.string:
        title = soup.title.string.split("|")[0].strip()
    system_line, body = _strip_header(blocks, title)
    condition = is_condition_page(block.text for block in body if block.kind == HEADING)
    return Draft(
        title=title,
        system_line=system_line,
        blocks=body,
        url=survey.url,
        breadcrumb=breadcrumb,
        condition=condition,
    )


@dataclass
class _Survey:
    """What one pass over the tree finds before any of it is dropped."""

    url: str | None = None
    h1: Tag | None = None
    main: Tag | None = None
    trails: list[Tag] = field(default_factory=list)  # breadcrumb trails, read for the code
    furniture: list[Tag] = field(default_factory=list)  # outermost tags that are not content
    og_url: str | None = None


def _survey(soup: BeautifulSoup) -> _Survey:
    """One walk over every tag (bs4's find_all runs its filters over the whole tree each time,
    and that was most of the time spent in reading a page)."""
    survey = _Survey()
    main_rank = 9
    stack: list[tuple[Iterator[PageElement], bool]] = [(iter(soup.children), False)]
    while stack:
        children, dropped = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "link" and survey.url is None and "canonical" in (child.get("rel") or []):
            survey.url = str(child.get("href") or "").strip() or None
        elif name == "meta" and survey.og_url is None and child.get("property") == "og:url":
            survey.og_url = str(child.get("content") or "").strip() or None
        elif name == "h1" and survey.h1 is None:
            survey.h1 = child
        if _is_breadcrumb(child):
            survey.trails.append(child)
        drop = not dropped and (name in _DROP_TAGS or _is_furniture(child))
        if drop:
            survey.furniture.append(child)
        elif not dropped and (rank := _main_rank(child)) < main_rank:
            survey.main, main_rank = child, rank
        stack.append((iter(child.children), dropped or drop))
        if len(stack) > MAX_DEPTH:
            raise PageParseError(f"markup nested too deeply for a code page: over {MAX_DEPTH} levels")
    survey.url = survey.url or survey.og_url
    return survey


def _main_rank(tag: Tag) -> int:
    """The main content: <main>, else the first <article>, else role=main."""
    if tag.name == "main":
        return 0
    if tag.name == "article":
        return 1
    return 2 if tag.get("role") == "main" else 9


def _strip_header(blocks: list[Block], title: str | None) -> tuple[str | None, list[Block]]:
    """Take the system line out of the blocks, and drop the header's other lines before the
    first section: the site line, the title (again), a category line, a breadcrumb."""
    system_line = None
    body: list[Block] = []
    in_header = True
    for block in blocks:
        in_header = in_header and block.kind != HEADING
        if block.kind == HEADING and block.depth == 1 and block.text == title:
            continue
        if block.kind != TEXT:
            body.append(block)
        elif system_line is None and is_system_line(block.text):
            system_line = block.text
        elif not (is_site_line(block.text) or (in_header and _is_header_line(block.text, title))):
            body.append(block)
    return system_line, body


def _is_header_line(text: str, title: str | None) -> bool:
    return bool(is_category_line(text) or read_breadcrumb(text) or (title and restates_title(text, title)))


def _read_trail(trail: Tag) -> tuple[str | None, str | None] | None:
    """(system, code) from a breadcrumb trail: its items, or its text split at separators."""
    items = [_text(li) for li in trail.find_all("li")] or [_text(a) for a in trail.find_all("a")]
    found = read_breadcrumb_parts([i for i in items if i]) if len(items) > 1 else None
    return found or read_breadcrumb(_text(trail))


def _is_breadcrumb(tag: Tag) -> bool:
    marks = " ".join([*(tag.get("class") or []), str(tag.get("id", "")), str(tag.get("aria-label", ""))])
    return bool(_BREADCRUMB.search(marks))


def _is_furniture(tag: Tag) -> bool:
    if tag.name in ("html", "body", "main"):
        return False
    marks = " ".join([*(tag.get("class") or []), str(tag.get("id", "")), str(tag.get("role", ""))])
    return bool(marks.strip()) and bool(_FURNITURE.search(marks))


def _walk(element: Tag, blocks: list[Block], depth: int) -> None:
    """Emit blocks in document order; inline runs between block elements become text blocks."""
    inline: list[str] = []

    def flush() -> None:
        text = " ".join("".join(inline).split())
        if text:
            blocks.append(Block(TEXT, text))
        inline.clear()

    for child in element.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or doctype
                inline.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            flush()
        elif name in _HEADINGS:
            flush()
            blocks.append(Block(HEADING, _text(child), _HEADINGS[name]))
        elif name in ("ul", "ol"):
            flush()
            _walk_list(child, blocks, depth)
        elif name == "dl":
            flush()
            _walk_definitions(child, blocks, depth)
        elif name == "table":
            flush()
            _walk_table(child, blocks, depth)
        elif name == "p" and not _has_block_child(child):
            flush()
            blocks.extend(_paragraph(child))
        elif name in _BLOCK_TAGS or _has_block_child(child):
            flush()
            _walk(child, blocks, depth)
        else:
            inline.append(child.get_text())
    flush()


def _walk_list(element: Tag, blocks: list[Block], depth: int) -> None:
    for item in element.find_all("li", recursive=False):
        nested = [c for c in item.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
        for sub in nested:
            sub.extract()
        text = _labelled_text(item)
        if text:
            blocks.append(Block(ITEM, text, depth))
        for sub in nested:
            _walk_list(sub, blocks, depth + 1)


def _walk_definitions(element: Tag, blocks: list[Block], depth: int) -> None:
    term = ""
    for child in element.find_all(["dt", "dd"]):
        if child.name == "dt":
            term = _text(child)
        else:
            value = _text(child)
            blocks.append(Block(ITEM, f"{term}: {value}" if term else value, depth))


def _walk_table(element: Tag, blocks: list[Block], depth: int) -> None:
    for row in element.find_all("tr"):
        found = row.find_all(["th", "td"])
        if len(found) > 1 and all(cell.name == "th" for cell in found):
            continue  # a header row ("Label | Details") names columns, not content
        cells = [" ".join(cell.get_text(" ").split()) for cell in found]
        cells = [c for c in cells if c]
        if len(cells) == 2:
            blocks.append(Block(ITEM, f"{cells[0].rstrip(':')}: {cells[1]}", depth))
        elif cells:
            blocks.append(Block(ITEM, " | ".join(cells), depth))


def _paragraph(paragraph: Tag) -> list[Block]:
    """A paragraph; one that is all bold is a heading when it names a section, else a label
    ("<p><b>Inspection and Biopsy</b></p>" before a list; tests/pages/html-structures)."""
    text = _labelled_text(paragraph)
    if not text:
        return []
    parts = [c for c in paragraph.children if not (isinstance(c, NavigableString) and not c.strip())]
    if len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name in ("strong", "b"):
        if section_for_heading(text):
            return [Block(HEADING, text, 2)]
        if len(text.split()) <= _MAX_LABEL_WORDS and not text.endswith((":", ".")):
            return [Block(TEXT, f"{text}:")]
    return [Block(TEXT, text)]


def _labelled_text(item: Tag) -> str:
    """An item's or paragraph's text; a leading <strong>/<b> without a colon reads as a label."""
    first = next((c for c in item.children if not (isinstance(c, NavigableString) and not c.strip())), None)
    text = _text(item)
    if isinstance(first, Tag) and first.name in ("strong", "b"):
        label = _text(first)
        if label and not label.endswith(":") and text.startswith(label) and len(text) > len(label):
            return f"{label}: {text[len(label) :].strip()}"
    return text


def _has_block_child(tag: Tag) -> bool:
    return any(
        isinstance(c, Tag) and (c.name in _BLOCK_TAGS or c.name in ("ul", "ol", "br")) for c in tag.children
    )


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text().split())
