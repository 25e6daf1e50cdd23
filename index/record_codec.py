"""How a page's record is kept in its Whoosh document: compact JSON text.

Whoosh pickles stored fields with protocol 2, which writes a bytes value as latin-1 text
re-encoded in UTF-8 (half again larger for compressed bytes), and compresses the stored fields
of each document itself. So the record is stored as plain JSON text, which Whoosh's own zlib
compresses — 2.7 KB a page where our zlib-compressed bytes took 3.2 KB (issue 6's note). A label's
text is nearly always the end of one line of its section, or the lines after a label line: it is
stored as a pointer into the section's lines, and as text only when no pointer reproduces it.
"""

from __future__ import annotations

import json
from typing import Any

from medcodes.pipeline.records import CodePage, Label, Section
from medcodes.pipeline.sections import is_names_section


def encode_record(page: CodePage) -> str:
    sections = [
        [s.name, s.heading, s.text, [_label_ref(label, s.text.split("\n")) for label in s.labels]]
        for s in page.sections
    ]
    record = {
        "system": page.system,
        "code": page.code,
        "title": page.title,
        "url": page.url,
        "source": page.source,
        "alt_names": list(page.alt_names),
        "notes": list(page.notes),
        "hash": page.content_hash,
        "sections": sections,
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def decode_record(text: str, labels: bool = True) -> CodePage:
    """The page; with labels=False its sections have none."""
    record = json.loads(text)
    sections = []
    for name, heading, body, refs in record["sections"]:
        found: tuple[Label, ...] = ()
        if labels and refs:
            lines = body.split("\n")
            found = tuple(Label(ref[0], _label_text(ref, lines)) for ref in refs)
        sections.append(Section(name, body, found, heading))
    return CodePage(
        system=record["system"],
        code=record["code"],
        title=record["title"],
        sections=tuple(sections),
        url=record["url"],
        source=record["source"],
        alt_names=tuple(record["alt_names"]),
        notes=tuple(record["notes"]),
        content_hash=record["hash"],
    )


def encode_head(page: CodePage) -> bytes:
    """What re-ranking reads of a page — system, code, title, other names and the sections that
    list names — kept in a column beside the record: reading a hundred candidates' stored
    records and their JSON took 6 ms of a word query at 100,000 pages (issue 6's note)."""
    names = [[s.name, s.heading, s.text] for s in page.sections if is_names_section(s.name)]
    head = [page.system, page.code, page.title, list(page.alt_names), names, page.content_hash]
    return json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_head(data: bytes) -> CodePage:
    """The page as far as its head tells: no other sections, no labels, no URL or source."""
    system, code, title, alt_names, names, content_hash = json.loads(data)
    sections = tuple(Section(name, text, (), heading) for name, heading, text in names)
    return CodePage(system, code, title, sections, alt_names=tuple(alt_names), content_hash=content_hash)


def _label_ref(label: Label, lines: list[str]) -> list[Any]:
    """[name, first line, line count, first column], or [name, text] when no lines match."""
    wanted = label.text.split("\n")
    count = len(wanted)
    for first, line in enumerate(lines[: len(lines) - count + 1]):
        if line.endswith(wanted[0]) and lines[first + 1 : first + count] == wanted[1:]:
            ref = [label.name, first, count, len(line) - len(wanted[0])]
            if _label_text(ref, lines) == label.text:
                return ref
    return [label.name, label.text]


def _label_text(ref: list[Any], lines: list[str]) -> str:
    if len(ref) == 2:
        return ref[1]
    _, first, count, column = ref
    return "\n".join([lines[first][column:], *lines[first + 1 : first + count]])
