"""Name the parts of a page that lost their headings, from their labels and their order.

Headless pages (issue 3, variation 4; issue 12) keep only "Name of the Procedure", "Procedure
Description" and sometimes "Risks and Complications"; a run of blank lines stands where each
other heading was. The parts between two placed sections take, in page order, the template's
sections that are free between them: the choice that best fits the parts' labels ("Common
Risks:" belongs to risks) and the words of the short prose sections (a duration speaks of
minutes and hours). After the last placed section the page is usually cut short, so the parts
there take the next sections of the template. A part that fits nowhere (its labels belong to a
section that cannot stand there) keeps its text in an "unplaced" section: nothing is dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from medcodes.pipeline.records import Label
from medcodes.pipeline.sections import LABEL_SECTIONS, section_order, template_sections

UNPLACED = "unplaced"

# Scores of the choices for one part (see _place_run). Giving a part a free section is worth
# more than joining it to the section before (a blank run inside a section), which is worth
# more than leaving it unplaced; each label counts for the section it belongs to and against
# any other; a free section passed over costs a little, so that parts fill the first free ones.
# Whole numbers, so that equal choices tie exactly and the earlier sections win.
_ASSIGN = 10
_CONTINUE = 0
_LEAVE = -5
_LABEL_VOTE = 20
_CUE = 5
_SKIP = 1
# Words that the short prose sections of the template are made of.
_CUES = {
    "duration": re.compile(r"\b(?:minutes?|hours?|days?|weeks?|months?)\b", re.IGNORECASE),
    "setting": re.compile(
        r"\b(?:hospitals?|clinics?|offices?|outpatient|inpatient|centers?|centres?|facilit(?:y|ies)|"
        r"laborator(?:y|ies)|home|suites?|rooms?|settings?)\b",
        re.IGNORECASE,
    ),
    "personnel": re.compile(
        r"\b(?:physicians?|doctors?|nurses?|technicians?|technologists?|therapists?|surgeons?|"
        r"specialists?|radiologists?|anesthesiologists?|paramedics?|staff|team|professionals?)\b",
        re.IGNORECASE,
    ),
}


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


def place_segments(segments: list[Segment], condition: bool = False) -> Placement:
    """Give every segment a name; a nameless one without lines is dropped.

    `condition`: the page uses the condition template, whose order then applies.
    """
    segments = [s for s in segments if s.name is not None or s.lines]
    nameless = [s for s in segments if s.name is None]
    template = template_sections(condition)
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
        low = _order_before(segments[:index], condition)
        high = _order_after(segments[end:], condition)
        free = [name for name in template[low + 1 : high] if name not in taken]
        previous = segments[index - 1].name if index else None
        names = _place_run(run, free, previous, bounded=high < len(template))
        for segment, name in zip(run, names, strict=True):
            segment.name = name or UNPLACED
            unplaced += name is None
            if name:
                taken.add(name)
        index = end
    recovered = (s.name for s in nameless if s.name is not None and s.name != UNPLACED)
    return Placement(segments, tuple(dict.fromkeys(recovered)), unplaced)


def _place_run(run: list[Segment], free: list[str], previous: str | None, bounded: bool) -> list[str | None]:
    """Names for a run of unnamed parts: the best-scoring order-keeping choice for each part.

    Each part takes a free section after the one the part before took, joins the section
    before it, or stays unplaced. Dynamic programming over (parts placed, free sections used).
    """
    # best[j]: (score, names) with the first j free sections used or passed over.
    best: dict[int, tuple[int, list[str | None]]] = {0: (0, [])}
    for segment in run:
        votes = _label_votes(segment)
        cues = {name: _cue(segment, name) for name in free}
        step: dict[int, tuple[int, list[str | None]]] = {}
        for j, (score, names) in sorted(best.items()):
            last = free[j - 1] if j else previous
            choices: list[tuple[int, int, str | None]] = [(j, _LEAVE, None)]  # (sections used, gain, name)
            if last is not None:
                choices.insert(0, (j, _CONTINUE + _votes(votes, last), last))
            for k in range(j, len(free)):
                fit = _ASSIGN + _votes(votes, free[k]) + cues[free[k]] - _SKIP * (k - j)
                choices.append((k + 1, fit, free[k]))
            for used, gain, name in choices:
                if used not in step or score + gain > step[used][0]:
                    step[used] = (score + gain, [*names, name])
        best = step

    # Sections passed over at the end are missing from the page when a placed section follows;
    # when none follows, the page was most likely cut short there.
    def final(j: int) -> int:
        return best[j][0] - (_SKIP * (len(free) - j) if bounded else 0)

    return best[max(sorted(best), key=final)][1]


def _label_votes(segment: Segment) -> Counter[str]:
    """How many of the segment's labels belong to each section."""
    return Counter(LABEL_SECTIONS[label.name] for label in segment.labels if label.name in LABEL_SECTIONS)


def _votes(votes: Counter[str], name: str) -> int:
    """Each label that belongs to a section counts for `name`, or against it."""
    return _LABEL_VOTE * (2 * votes[name] - votes.total())


def _cue(segment: Segment, name: str) -> int:
    pattern = _CUES.get(name)
    return _CUE if pattern is not None and any(pattern.search(line) for line in segment.lines) else 0


def _order_before(segments: list[Segment], condition: bool) -> int:
    for segment in reversed(segments):
        if segment.name and (order := section_order(segment.name, condition)) is not None:
            return order
    return -1


def _order_after(segments: list[Segment], condition: bool) -> int:
    for segment in segments:
        if segment.name and (order := section_order(segment.name, condition)) is not None:
            return order
    return len(template_sections(condition))
