"""Turn a layout-neutral draft (title, system line, blocks) into a CodePage.

Both front ends (text dumps and HTML) reduce a page to the same draft, so that every rule about
sections, labels and codes lives here once and every rendering of a page gives one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from pipeline.consistency import title_matches_content
from pipeline.identify import identify, url_slug
from pipeline.records import CodePage, Label, Section
from pipeline.screen import not_a_code_page
from pipeline.sections import (
    ALT_NAME_LABELS,
    SECTION_NAMES,
    is_known_label,
    label_key,
    section_for_heading,
    slug,
)
from pipeline.segments import UNPLACED, Segment, place_segments
from pipeline.titles import read_title, slug_words

HEADING = "heading"
TEXT = "text"
ITEM = "item"
GAP = "gap"  # a run of blank lines where a heading was dropped (headless pages)

# "Common Risks: Fever, nausea" — a short capitalised label, a colon, then the value.
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z0-9/()'&,\- ]{1,60}?)\s*:\s*(?P<value>.*)$")
_MAX_LABEL_WORDS = 6
# A known label starting mid-line: single-newline renderings sometimes run an item and the next
# label together ("... undergoing this procedure Goals: ..."; tests/pages/single-newline).
_INLINE_LABEL = re.compile(r"(?<=[^\s:])\s+(?=(?P<label>[A-Z][\w/()'&-]*(?: [\w/()'&-]+){0,5})\s*:\s)")


class PageParseError(ValueError):
    """A page that cannot become a record; the message is the rejection reason."""


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or heading, in page order."""

    kind: str  # HEADING, TEXT, ITEM or GAP
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


def assemble(draft: Draft, source: str) -> CodePage:
    """Group blocks into sections, read labels, and identify the code."""
    placed = place_segments(_segments(draft.blocks))
    sections = _merge(placed.segments)
    if not any(s.name in SECTION_NAMES for s in sections):
        raise PageParseError(not_a_code_page(draft.title or "", [s.text for s in sections]))
    title = read_title(draft.title or "", url_slug(draft.url, source), draft.breadcrumb[1])
    name = next((s for s in sections if s.name == "name"), sections[0])
    identity = identify(
        url=draft.url,
        source_path=source,
        system_line=draft.system_line,
        name_text=name.text,
        breadcrumb=draft.breadcrumb,
        title_code=title.code,
    )
    if identity is None:
        raise PageParseError("no code found (not in URL, file name, breadcrumb, title or page text)")
    if not title.text:
        raise PageParseError("no title found")
    notes = list(draft.notes)
    alt_names = _alt_names(sections)
    if title.truncated:
        notes.append("title truncated")
        if hint := url_slug(draft.url, source):
            # The slug spells the whole title: keep its words searchable (issue 3, variation 5).
            alt_names = (*alt_names, slug_words(hint))
    if placed.recovered:
        notes.append(f"sections placed without headings: {', '.join(placed.recovered)}")
    if placed.unplaced:
        notes.append(f"unplaced text: {placed.unplaced} block(s) kept in section '{UNPLACED}'")
    if not title_matches_content(title.text, [s.text for s in sections if s.name in ("name", "summary")]):
        notes.append("content may not match the title")
    return CodePage(
        system=identity.system,
        code=identity.code,
        title=title.text,
        sections=tuple(sections),
        url=draft.url,
        source=source,
        alt_names=alt_names,
        notes=tuple(notes),
    )


def _alt_names(sections: list[Section]) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            name.strip()
            for s in sections
            for label in s.labels
            if label.name in ALT_NAME_LABELS
            for name in re.split(r";\s*|\n", label.text)
            if name.strip()
        )
    )


def _merge(segments: list[Segment]) -> list[Section]:
    """Sections sharing a name are merged in page order; empty ones are dropped."""
    by_name: dict[str, Segment] = {}
    for segment in segments:
        if not segment.lines:
            continue
        assert segment.name is not None  # place_segments names every segment
        first = by_name.setdefault(segment.name, Segment(segment.name, segment.heading))
        first.lines.extend(segment.lines)
        first.labels.extend(segment.labels)
    return [Section(s.name or "", "\n".join(s.lines), tuple(s.labels), s.heading) for s in by_name.values()]


def _segments(blocks: list[Block]) -> list[Segment]:
    """Split blocks at headings and gaps, reading labels inside each part."""
    segments: list[Segment] = []
    reader: _LabelReader | None = None
    heading_depth = 0
    for block in blocks:
        if block.kind == GAP or (block.kind == HEADING and not _is_subheading(block, reader, heading_depth)):
            if reader:
                reader.close()
            name = None if block.kind == GAP else section_for_heading(block.text) or slug(block.text)
            heading = "" if block.kind == GAP else _clean_heading(block.text)
            segments.append(Segment(name, heading))
            reader = _LabelReader(segments[-1])
            heading_depth = block.depth
            continue
        if reader is None:
            # Text before the first heading: kept, under a section of its own.
            segments.append(Segment("intro", ""))
            reader = _LabelReader(segments[-1])
        if block.kind == HEADING:
            # An unknown heading below the section's own level names a label of the section.
            reader.add(TEXT, f"{_clean_heading(block.text).rstrip(':')}:", 0)
        else:
            for piece in _split_inline_labels(" ".join(block.text.split())):
                reader.add(block.kind, piece, block.depth)
    if reader:
        reader.close()
    return segments


def _is_subheading(block: Block, reader: _LabelReader | None, heading_depth: int) -> bool:
    """A heading below the section's own level that is not another section: a label.

    "Expected Benefits" names the benefits section on some pages and a label inside it on
    others; under a section heading it is the label (tests/pages/html-structures).
    """
    return (
        reader is not None
        and reader.segment.heading != ""
        and block.depth > heading_depth
        and (section_for_heading(block.text) is None or is_known_label(block.text.rstrip(":")))
    )


def _split_inline_labels(text: str) -> list[str]:
    cuts = [m.start() for m in _INLINE_LABEL.finditer(text) if is_known_label(m.group("label"))]
    if not cuts:
        return [text] if text else []
    bounds = [0, *cuts, len(text)]
    return [piece for a, b in pairwise(bounds) if (piece := text[a:b].strip())]


class _LabelReader:
    """Reads the lines of one segment, collecting labels and the lines listed under them.

    A label with no value on its line ("Usage Instructions:", or a known label standing alone
    without a colon) owns the lines after it: nested items, or the sibling items that
    single-newline renderings flatten them into, up to the next label. A lone line under it
    joins it ("Goals: ...") so that `<h3>Goals</h3><p>...</p>` reads like "- Goals: ...".
    """

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.pending: tuple[str, str, int, int] | None = None  # label, its kind, depth, line index
        self.owned: list[tuple[str, str]] = []  # (kind, text) of the lines under the label

    def add(self, kind: str, text: str, depth: int) -> None:
        match = _LABEL.match(text)
        if match and len(match.group("label").split()) > _MAX_LABEL_WORDS:
            match = None
        standalone = match is None and is_known_label(text) and section_for_heading(text) is None
        if self.pending and not match and not standalone and self._owns(kind, depth):
            self.owned.append((kind, text))
            self.segment.lines.append(text)
            return
        self.close()
        if standalone:
            text = f"{text}:"
            match = _LABEL.match(text)
        self.segment.lines.append(text)
        if match is None:
            return
        value = match.group("value").strip()
        if value:
            self.segment.labels.append(Label(label_key(match.group("label")), value))
        else:
            self.pending = (match.group("label"), kind, depth, len(self.segment.lines) - 1)

    def _owns(self, kind: str, depth: int) -> bool:
        assert self.pending is not None
        _, label_kind, label_depth, _ = self.pending
        if kind == ITEM:
            return label_kind != ITEM or depth >= label_depth
        return label_kind != ITEM

    def close(self) -> None:
        if self.pending is None:
            return
        label, _, _, index = self.pending
        if len(self.owned) == 1 and self.owned[0][0] == TEXT:
            lines = self.segment.lines
            lines[index : index + 2] = [f"{label}: {self.owned[0][1]}"]
        if self.owned:
            self.segment.labels.append(Label(label_key(label), "\n".join(text for _, text in self.owned)))
        self.pending = None
        self.owned = []


def _clean_heading(text: str) -> str:
    return re.sub(r"^[#\s]+", "", text).strip().rstrip(":").strip()
