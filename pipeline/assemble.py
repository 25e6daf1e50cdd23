"""Turn a layout-neutral draft (title, system line, blocks) into a CodePage.

Both front ends (text dumps and HTML) reduce a page to the same draft, so that every rule about
sections, labels and codes lives here once and every rendering of a page gives one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medcodes.errors import MedcodesError
from medcodes.pipeline.codes import CODE_TOKEN
from medcodes.pipeline.consistency import title_matches_content
from medcodes.pipeline.identify import Identity, identify, name_capped, url_from_path, url_slug
from medcodes.pipeline.labels import LabelReader, split_inline_labels
from medcodes.pipeline.records import CodePage, Section
from medcodes.pipeline.screen import NO_SECTIONS, not_a_code_page
from medcodes.pipeline.sections import (
    ALT_NAME_LABELS,
    is_known_label,
    section_for_heading,
    slug,
    template_sections,
)
from medcodes.pipeline.segments import UNPLACED, Segment, place_segments
from medcodes.pipeline.titles import SLUG_CAP, Title, read_title, slug_words

HEADING = "heading"
TEXT = "text"
ITEM = "item"
GAP = "gap"  # a run of blank lines where a heading was dropped (headless pages)
# "(HCPCS Code: J9229)", "(code 45380)": a code written beside a name, labelled as one.
_CODE_MENTION = re.compile(
    rf"\s*\((?:[A-Za-z][A-Za-z0-9-]*\s+)?codes?\s*[:#]?\s*{CODE_TOKEN}\)", re.IGNORECASE
)
# A system's name before a code ("HCPCS Code G8730", "CPT 45380").
_SYSTEM_WORD = r"(?:(?:HCPCS|CPT4?|ICD-?10(?:-?CM)?|ICD)\s+)"
# "####" inside a line: the mark of a heading the site ran into the line before (issue 12).
_STRAY_HASHES = re.compile(r"(?:^|\s)#{2,6}(?=\s|$)")


class PageParseError(MedcodesError, ValueError):
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
    condition: bool = False  # the page uses the condition template (sections.CONDITION_HEADINGS)


def assemble(draft: Draft, source: str) -> CodePage:
    """Group blocks into sections, read labels, and identify the code."""
    template = template_sections(draft.condition)
    url = draft.url or url_from_path(source)
    # A page whose headings were all lost is one run of parts, the first being the name block.
    headings = [block for block in draft.blocks if block.kind == HEADING]
    headless = not headings
    # Text before the first heading is the name block when that heading comes after it in the
    # template ("Name of the Procedure" was lost): a part to place. Else it is an `intro`.
    first = section_for_heading(headings[0].text, draft.condition) if headings else None
    lead_is_part = headless or (first is not None and first != "name")
    placed = place_segments(_segments(draft.blocks, draft.condition, lead_is_part), draft.condition)
    sections = _merge(placed.segments)
    if headless or not any(s.name in template for s in sections):
        reason = not_a_code_page(draft.title or "", [s.text for s in sections])
        # Without headings, a page with a code and text is still a code page (issue 12).
        if (
            not headless
            or reason != NO_SECTIONS
            or not any(s.name in template for s in sections)
            or _identify(draft, url, source, sections) is None
        ):
            raise PageParseError(reason)
    hint = url_slug(url, source)
    title = _title(draft, url, source, hint)
    identity = _identify(draft, url, source, sections, title.code)
    if identity is None:
        raise PageParseError("no code found (not in URL, file name, breadcrumb, title or page text)")
    if not title.text:
        raise PageParseError("no title found")
    notes = list(draft.notes)
    alt_names = _alt_names(sections, identity.code)
    if title.truncated:
        notes.append("title truncated")
        if hint and draft.title:
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
        url=url,
        source=source,
        alt_names=alt_names,
        notes=tuple(notes),
    )


def _title(draft: Draft, url: str | None, source: str, hint: str | None) -> Title:
    """The page's title; a page saved without its title line is titled by its URL slug.

    The page's own code, from where it was found, tells a code written into the title from an
    abbreviation in parentheses ("(A1C)").
    """
    known = _identify(draft, url, source, [])
    return read_title(
        draft.title or (slug_words(hint).capitalize() if hint else ""),
        hint,
        known.code if known else draft.breadcrumb[1],
        name_capped(draft.url, source, SLUG_CAP),
    )


def _identify(
    draft: Draft, url: str | None, source: str, sections: list[Section], title_code: str | None = None
) -> Identity | None:
    name = next((s for s in sections if s.name == "name"), sections[0] if sections else None)
    return identify(
        url=url,
        source_path=source,
        system_line=draft.system_line,
        name_text=name.text if name else "",
        breadcrumb=draft.breadcrumb,
        title_code=title_code,
    )


def _alt_names(sections: list[Section], code: str) -> tuple[str, ...]:
    """The names listed under the alternative-name labels, without any code written beside them."""
    return tuple(
        dict.fromkeys(
            bare
            for s in sections
            for label in s.labels
            if label.name in ALT_NAME_LABELS
            for name in re.split(r";\s*|\n", label.text)
            if (bare := _without_code(name, code))
        )
    )


def _without_code(name: str, code: str) -> str:
    """A name without the page's code beside it: a code is not a name.

    "Walker (HCPCS Code: E0135)", "Walker (E0135)", "E0135 - Walker" and "HCPCS Code E0135 -
    Walker" give "Walker"; other parentheses ("(A1C)") are the name's own.
    """
    name = _CODE_MENTION.sub("", name)
    for form in dict.fromkeys((code, code.replace(".", ""))):
        mention = rf"{_SYSTEM_WORD}?(?:codes?\s*[:#]?\s*)?{re.escape(form)}\b"
        name = re.sub(
            rf"^{mention}\s*[-–—:]?\s*|\s*[-–—,:]?\s*\(?{mention}\)?$", "", name, flags=re.IGNORECASE
        )
    return name.strip().rstrip(".,;").strip()


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


def _segments(blocks: list[Block], condition: bool, lead_is_part: bool = False) -> list[Segment]:
    """Split blocks at headings and gaps, reading labels inside each part.

    Text before the first heading is an `intro` section of its own, or, when `lead_is_part`
    (its heading was lost), a part to be placed like any other.
    """
    segments: list[Segment] = []
    reader: LabelReader | None = None
    heading_depth = 0
    for block in blocks:
        if block.kind == GAP or (
            block.kind == HEADING and not _is_subheading(block, reader, heading_depth, condition)
        ):
            if reader:
                reader.close()
            name = (
                None if block.kind == GAP else section_for_heading(block.text, condition) or slug(block.text)
            )
            heading = "" if block.kind == GAP else _clean_heading(block.text)
            segments.append(Segment(name, heading))
            reader = LabelReader(segments[-1])
            heading_depth = block.depth
            continue
        if reader is None:
            # Text before the first heading: kept, under a section of its own.
            segments.append(Segment(None if lead_is_part else "intro", ""))
            reader = LabelReader(segments[-1])
        if block.kind == HEADING:
            # An unknown heading below the section's own level names a label of the section.
            reader.add(f"{_clean_heading(block.text).rstrip(':')}:", 0, item=False)
        else:
            for piece in split_inline_labels(_unmark(" ".join(block.text.split()))):
                reader.add(piece, block.depth, item=block.kind == ITEM)
    if reader:
        reader.close()
    return segments


def _is_subheading(block: Block, reader: LabelReader | None, heading_depth: int, condition: bool) -> bool:
    """A heading below the section's own level that is not another section: a label.

    "Expected Benefits" names the benefits section on some pages and a label inside it on
    others; under a section heading it is the label (tests/pages/html-structures).
    """
    return (
        reader is not None
        and reader.segment.heading != ""
        and block.depth > heading_depth
        and (section_for_heading(block.text, condition) is None or is_known_label(block.text.rstrip(":")))
    )


def _unmark(text: str) -> str:
    """Drop stray Markdown heading marks inside a line ("… skin rash ##### Patient Criteria")."""
    return _STRAY_HASHES.sub(" ", text).strip()


def _clean_heading(text: str) -> str:
    return re.sub(r"^[#\s]+", "", text).strip().rstrip(":").strip()
