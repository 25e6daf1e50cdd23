"""Read the labels inside a section's lines ("Common Risks: Fever, nausea").

What is a label and what is not, as real pages write them (issues 3 and 12): a short phrase
and a colon at the start of a line; a known label run on after an item ("… irritants Goals:");
a known label standing alone on its line, owning the lines listed under it; the labels of the
name block inside parentheses ("(Common names: …; Medical term: …)"). A sentence that ends in a
colon ("Patients may need to:") is not a label, and neither is a colon inside parentheses
("(HCPCS Code: J9229)" is a code mention, so no label's value is a code fragment).
"""

from __future__ import annotations

import re
from itertools import pairwise

from medcodes.pipeline.records import Label
from medcodes.pipeline.sections import is_known_label, label_key, section_for_heading
from medcodes.pipeline.segments import Segment

# A short capitalised label, a colon, then the value.
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z0-9/()'&,\- ]{1,60}?)\s*:\s*(?P<value>.*)$")
MAX_LABEL_WORDS = 6
# A colon that may end a label: followed by a space or by the end of the line.
_LABEL_COLON = re.compile(r":(?=\s|$)")
_WORD = re.compile(r"\S+")
# Words that make a phrase before a colon a sentence, not a label: verbs that only a clause
# has ("Patients may need to:", "The device is used to:"), a pronoun that opens one ("This
# procedure addresses:"), or a word that leads into what follows ("… such as:").
_CLAUSE_WORDS = frozenset(
    {"is", "are", "was", "were", "be", "been", "may", "might", "can", "could", "should", "must", "will",
     "would", "need", "needs", "addresses", "involves", "includes", "helps", "aims"}
)  # fmt: skip
_CLAUSE_OPENERS = frozenset({"this", "these", "those", "it", "they", "we", "you", "there"})
_CLAUSE_ENDINGS = frozenset({"to", "for", "of", "with", "as", "like", "that", "by", "from", "at", "in"})
# "Also known as high blood pressure": a name-block label written without its colon.
_ALSO_KNOWN_AS = re.compile(r"^(?P<label>also known as|aka|a\.k\.a\.)\s+(?P<value>\S.*?)\.?$", re.IGNORECASE)
# "(Common names: folding walker, Zimmer frame; Medical term: …)" inside a line.
_PARENTHESISED = re.compile(r"\(([^()]*:[^()]*)\)")


def read_label(text: str) -> tuple[str, str] | None:
    """(label, value) of a line that starts with a label, else None; the value may be empty."""
    match = _LABEL.match(text)
    if match is None:
        if also := _ALSO_KNOWN_AS.match(text):
            return "Also known as", also.group("value")
        return None
    label = match.group("label").strip()
    if len(label.split()) > MAX_LABEL_WORDS or label.count("(") != label.count(")"):
        return None
    if not is_known_label(label) and is_sentence(label):
        return None
    return label, match.group("value").strip()


def is_sentence(phrase: str) -> bool:
    """True for a phrase before a colon that is a clause ("Patients may need to"), not a label."""
    words = [w.strip("()'/,-").lower() for w in phrase.split()]
    words = [w for w in words if w]
    if not words:
        return False
    return (
        any(w in _CLAUSE_WORDS for w in words)
        or words[0] in _CLAUSE_OPENERS
        or (len(words) > 1 and words[-1] in _CLAUSE_ENDINGS)
    )


def split_inline_labels(text: str) -> list[str]:
    """Split a line before each known label that starts inside it.

    Single-newline renderings run an item and the next label together ("… this procedure
    Goals: …", "… airborne irritants Goals:"). At each colon the longest known label ending
    there is taken, so that "Tools and Equipment:" stays one label; a colon inside parentheses
    is not a label's.
    """
    cuts = []
    for colon in _LABEL_COLON.finditer(text):
        start = _label_start(text, colon.start())
        if start:
            cuts.append(start)
    if not cuts:
        return [text] if text else []
    bounds = [0, *cuts, len(text)]
    return [piece for a, b in pairwise(bounds) if (piece := text[a:b].strip())]


def _label_start(text: str, colon: int) -> int | None:
    """Where the longest known label that ends at `colon` starts, if it is not inside parentheses."""
    if text.count("(", 0, colon) > text.count(")", 0, colon):
        return None
    since = text.rfind(":", 0, colon) + 1
    words = list(_WORD.finditer(text, since, colon))[-MAX_LABEL_WORDS:]
    for index, word in enumerate(words):
        label = text[word.start() : colon]
        if label[0].isupper() and is_known_label(label):
            if since == 0 and index and read_label(text[: colon + 1]) is not None:
                # The line may be one label of its own ("Lung Function Testing:"): a one-word
                # known label ends it only after a word that ends an item ("… allergy Goals:").
                before = words[index - 1].group()
                ends_item = before[0].islower() or before[-1] in ".;,)"
                return word.start() if ends_item or len(label.split()) > 1 else None
            return word.start()
    return None


def parenthesised_labels(text: str) -> list[Label]:
    """Known labels written inside parentheses in a line, each part "Label: value" of a ";" list."""
    labels = []
    for group in _PARENTHESISED.findall(text):
        for part in group.split(";"):
            label, _, value = part.partition(":")
            if value.strip() and is_known_label(label.strip()):
                labels.append(Label(label_key(label.strip()), value.strip()))
    return labels


class LabelReader:
    """Reads the lines of one segment, collecting labels and the lines listed under them.

    A label with no value on its line ("Usage Instructions:", or a known label standing alone
    without a colon) owns the lines after it: nested items, or the sibling items that
    single-newline renderings flatten them into, up to the next label. A lone line under it
    joins it ("Goals: ...") so that `<h3>Goals</h3><p>...</p>` reads like "- Goals: ...".
    """

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.pending: tuple[str, bool, int, int] | None = None  # label, is an item, depth, line index
        self.owned: list[tuple[bool, str]] = []  # (is an item, text) of the lines under the label

    def add(self, text: str, depth: int, item: bool) -> None:
        found = read_label(text)
        standalone = found is None and is_known_label(text) and section_for_heading(text) is None
        if self.pending and not found and not standalone and self._owns(item, depth):
            self.owned.append((item, text))
            self.segment.lines.append(text)
            return
        self.close()
        if standalone:
            text = f"{text}:"
            found = (text[:-1], "")
        self.segment.lines.append(text)
        if found is None:
            self.segment.labels.extend(parenthesised_labels(text))
            return
        label, value = found
        if value:
            self.segment.labels.append(Label(label_key(label), value))
            self.segment.labels.extend(parenthesised_labels(value))
        else:
            self.pending = (label, item, depth, len(self.segment.lines) - 1)

    def _owns(self, item: bool, depth: int) -> bool:
        assert self.pending is not None
        _, label_item, label_depth, _ = self.pending
        if item:
            return not label_item or depth >= label_depth
        return not label_item

    def close(self) -> None:
        if self.pending is None:
            return
        label, _, _, index = self.pending
        if len(self.owned) == 1 and not self.owned[0][0]:
            lines = self.segment.lines
            lines[index : index + 2] = [f"{label}: {self.owned[0][1]}"]
        if self.owned:
            self.segment.labels.append(Label(label_key(label), "\n".join(text for _, text in self.owned)))
        self.pending = None
        self.owned = []
