"""Read an HTML code page into a Draft; the only module that imports BeautifulSoup.

Generic structure, because the real site's markup is not available: headings, paragraphs,
lists, definition lists, tables and bold labels inside the main content; navigation, scripts
and banners are dropped. Nothing is ever fetched.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit

from pipeline.assemble import HEADING, ITEM, TEXT, Block, Draft
from pipeline.text_layout import SITE_LINES, is_system_line

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
    r"cookie|consent|gdpr|banner|breadcrumb|skip-link|share|social|advert|popup|modal", re.IGNORECASE
)
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


def decode_html(data: bytes) -> str:
    """Decode with the page's declared charset, a BOM, or a best guess (UnicodeDammit)."""
    return UnicodeDammit(data, is_html=True).unicode_markup or ""


def read_html(markup: str) -> Draft:
    soup = BeautifulSoup(markup, "lxml")
    url = _canonical_url(soup)
    heading = soup.find("h1")
    title = _text(heading) if isinstance(heading, Tag) else None
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_furniture):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup
    blocks: list[Block] = []
    _walk(root, blocks, depth=0)
    system_line = None
    body: list[Block] = []
    for block in blocks:
        if block.kind == HEADING and block.depth == 1 and block.text == title:
            continue
        if system_line is None and block.kind == TEXT and is_system_line(block.text):
            system_line = block.text
        elif block.kind == TEXT and block.text.lower() in SITE_LINES:
            continue
        else:
            body.append(block)
    if title is None and soup.title and soup.title.string:
        title = soup.title.string.split("|")[0].strip()
    return Draft(title=title, system_line=system_line, blocks=body, url=url)


def _canonical_url(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    if isinstance(link, Tag) and link.get("href"):
        return str(link["href"]).strip()
    meta = soup.find("meta", property="og:url")
    if isinstance(meta, Tag) and meta.get("content"):
        return str(meta["content"]).strip()
    return None


def _is_furniture(tag: Tag) -> bool:
    if tag.name in ("html", "body", "main"):
        return False
    marks = " ".join([*tag.get("class", []), str(tag.get("id", "")), str(tag.get("role", ""))])
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
        cells = [" ".join(cell.get_text(" ").split()) for cell in row.find_all(["th", "td"])]
        cells = [c for c in cells if c]
        if len(cells) == 2:
            blocks.append(Block(ITEM, f"{cells[0].rstrip(':')}: {cells[1]}", depth))
        elif cells:
            blocks.append(Block(ITEM, " | ".join(cells), depth))


def _labelled_text(item: Tag) -> str:
    """An item's text; a leading <strong>/<b> without a colon still reads as a label."""
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
