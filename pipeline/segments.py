"""Name the parts of a page that lost their headings, from their labels and their order.

Headless pages (issue 3, variation 4) keep only "Name of the Procedure", "Procedure
Description" and sometimes "Risks and Complications"; a run of blank lines stands where each
other heading was. A part is named by the section its labels belong to ("Common Risks:" ->
risks), else by its place between two named sections when that leaves exactly one choice per
part. A part that fits nowhere keeps its text in an "unplaced" section: nothing is dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipeline.records import Label
from pipeline.sections import LABEL_SECTIONS, PROSE_SECTIONS, SECTION_NAMES, section_order

UNPLACED = "unplaced"


@dataclass
class Segment:
    """A run of lines under one heading, or under none (name None) after a gap."""

    name: str | None
    heading: str
    lines: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    segments: list[Segment]
    recovered: tuple[str, ...] = ()  # sections named without a heading, in page order
    unplaced: int = 0  # parts kept under UNPLACED


def place_segments(segments: list[Segment]) -> Placement:
    """Give every segment a name; a nameless one without lines is dropped."""
    segments = [s for s in segments if s.name is not None or s.lines]
    nameless = [s for s in segments if s.name is None]
    for segment in nameless:
        segment.name = _section_by_labels(segment)
    taken = {s.name for s in segments if s.name}
    unplaced = 0
    index = 0
    while index < len(segments):
        if segments[index].name is not None:
            index += 1
            continue
        end = index
        while end < len(segments) and segments[end].name is None:
            end += 1
        run = segments[index:end]
        names = _names_by_order(run, segments[:index], segments[end:], taken)
        for segment, name in zip(run, names, strict=True):
            segment.name = name or UNPLACED
            unplaced += name is None
            taken.add(name)
        index = end
    recovered = (s.name for s in nameless if s.name != UNPLACED)
    return Placement(segments, tuple(dict.fromkeys(recovered)), unplaced)


def _section_by_labels(segment: Segment) -> str | None:
    votes = Counter(LABEL_SECTIONS[label.name] for label in segment.labels if label.name in LABEL_SECTIONS)
    return votes.most_common(1)[0][0] if votes else None


def _names_by_order(
    run: list[Segment], before: list[Segment], after: list[Segment], taken: set[str | None]
) -> list[str | None]:
    """Names for a run of unnamed parts from the canonical sections free between its neighbours."""
    low = _order_before(before)
    high = _order_after(after)
    free = [name for name in SECTION_NAMES[low + 1 : high] if name not in taken]
    if not free:
        # Nothing is missing here: a stray blank run inside a section, which goes on.
        previous = before[-1].name if before else None
        return [previous for _ in run]
    if len(free) == len(run):
        return list(free)
    prose = [name for name in free if name in PROSE_SECTIONS]
    if len(prose) == len(run) and not any(s.labels for s in run):
        return list(prose)
    return [None for _ in run]


def _order_before(segments: list[Segment]) -> int:
    for segment in reversed(segments):
        if segment.name and (order := section_order(segment.name)) is not None:
            return order
    return -1


def _order_after(segments: list[Segment]) -> int:
    for segment in segments:
        if segment.name and (order := section_order(segment.name)) is not None:
            return order
    return len(SECTION_NAMES)
