"""Turn a layout-neutral draft (title, system line, blocks) into a CodePage.

Both front ends (text dumps and HTML) reduce a page to the same draft, so that every rule about
sections, labels and codes lives here once and the two renderings of a page give one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.identify import identify
from pipeline.records import CodePage, Label, Section
from pipeline.sections import ALT_NAME_LABELS, label_key, section_for_heading, slug

HEADING = "heading"
TEXT = "text"
ITEM = "item"

# "Common Risks: Fever, nausea" — a short capitalised label, a colon, then the value.
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z0-9/()'&,\- ]{1,60}?)\s*:\s*(?P<value>.*)$")
_MAX_LABEL_WORDS = 6
# A code in parentheses closing the title of a markdown rendering: "# Walker, folding (E0135)".
_TITLE_CODE = re.compile(r"\s*\((?:[A-Za-z -]+:\s*)?[A-Z0-9]{3,7}(?:\.[A-Z0-9]{1,4})?\)\s*$")


class PageParseError(ValueError):
    """A page that cannot become a record; the message is the rejection reason."""


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or heading, in page order."""

    kind: str  # HEADING, TEXT or ITEM
    text: str
    depth: int = 0  # list nesting for items, heading level for headings


@dataclass
class Draft:
    """What a front end read from a page, before any interpretation of its meaning."""

    title: str | None
    system_line: str | None
    blocks: list[Block]
    url: str | None = None
    breadcrumb: tuple[str | None, str | None] = (None, None)
    notes: list[str] = field(default_factory=list)


@dataclass
class _OpenSection:
    name: str
    heading: str
    lines: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def assemble(draft: Draft, source: str) -> CodePage:
    """Group blocks under their headings, read labels, and identify the code."""
    sections = _group_sections(draft.blocks)
    if not any(s.lines for s in sections):
        raise PageParseError("not a code page: no sections found")
    name_section = next((s for s in sections if s.name == "name"), None)
    name_text = "\n".join(name_section.lines) if name_section else ""
    identity = identify(
        url=draft.url,
        source_path=source,
        system_line=draft.system_line,
        name_text=name_text or "\n".join(sections[0].lines),
        breadcrumb=draft.breadcrumb,
    )
    if identity is None:
        raise PageParseError("no code found (not in URL, file name, system line or page text)")
    title = _clean_title(draft.title or "")
    if not title:
        raise PageParseError("no title found")
    frozen = tuple(
        Section(s.name, "\n".join(s.lines), tuple(s.labels), s.heading) for s in sections if s.lines
    )
    alt_names = tuple(
        dict.fromkeys(
            name.strip()
            for s in frozen
            for label in s.labels
            if label.name in ALT_NAME_LABELS
            for name in re.split(r";\s*|\n", label.text)
            if name.strip()
        )
    )
    return CodePage(
        system=identity.system,
        code=identity.code,
        title=title,
        sections=frozen,
        url=draft.url,
        source=source,
        alt_names=alt_names,
        notes=tuple(draft.notes),
    )


def _group_sections(blocks: list[Block]) -> list[_OpenSection]:
    """Split blocks at headings; sections sharing a name are merged in page order."""
    by_name: dict[str, _OpenSection] = {}
    current: _OpenSection | None = None
    pending_label: tuple[str, list[str], int] | None = None  # label, its items, its depth

    def close_label() -> None:
        nonlocal pending_label
        if pending_label and current is not None:
            label, items, _ = pending_label
            current.labels.append(Label(label_key(label), "\n".join(items)))
        pending_label = None

    for block in blocks:
        if block.kind == HEADING:
            close_label()
            name = section_for_heading(block.text) or slug(block.text)
            current = by_name.setdefault(name, _OpenSection(name, _clean_heading(block.text)))
            continue
        if current is None:
            # Text before the first heading: keep it, under a section of its own.
            current = by_name.setdefault("intro", _OpenSection("intro", ""))
        text = " ".join(block.text.split())
        if not text:
            continue
        current.lines.append(text)
        if pending_label and block.kind == ITEM and block.depth > pending_label[2]:
            pending_label[1].append(text)
            continue
        close_label()
        match = _LABEL.match(text)
        if match and len(match.group("label").split()) <= _MAX_LABEL_WORDS:
            value = match.group("value").strip()
            if value:
                current.labels.append(Label(label_key(match.group("label")), value))
            else:
                pending_label = (match.group("label"), [], block.depth)
    close_label()
    return list(by_name.values())


def _clean_heading(text: str) -> str:
    return re.sub(r"^[#\s]+", "", text).strip()


def _clean_title(title: str) -> str:
    title = " ".join(re.sub(r"^#+\s*", "", title).split())
    return _TITLE_CODE.sub("", title).strip()
