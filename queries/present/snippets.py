"""Pick the passage of a section that best shows why a page matched, with match offsets."""

from __future__ import annotations

from dataclasses import dataclass

from medcodes.index.engine.analysis import term_spans

SNIPPET_CHARS = 180


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: tuple[tuple[int, int], ...]  # (start, end) of each match within `text`


def make_snippet(text: str, terms: frozenset[str], width: int = SNIPPET_CHARS) -> Snippet:
    """The line of `text` with the most distinct matched terms, cut to about `width` chars."""
    best_line, best_spans, best_score = "", [], (-1, 0)
    for number, line in enumerate(text.split("\n")):
        spans, found = _matches(line, terms)
        score = (len(found), -number)
        if score > best_score:
            best_line, best_spans, best_score = line, spans, score
    return _window(best_line, best_spans, width)


def _matches(line: str, terms: frozenset[str]) -> tuple[list[tuple[int, int]], set[str]]:
    spans: list[tuple[int, int]] = []
    found: set[str] = set()
    if not terms:
        return spans, found
    for term, start, end in term_spans(line):
        if term in terms:
            spans.append((start, end))
            found.add(term)
    return spans, found


def _window(line: str, spans: list[tuple[int, int]], width: int) -> Snippet:
    """Cut a long line around its first cluster of matches, marking cuts with an ellipsis."""
    if len(line) <= width:
        return Snippet(line, tuple(spans))
    center = spans[0][0] if spans else 0
    start = max(0, min(center - width // 3, len(line) - width))
    if start:
        start = line.find(" ", start) + 1 or start
    end = min(len(line), start + width)
    if end < len(line):
        end = line.rfind(" ", start, end) if line.rfind(" ", start, end) > start else end
    prefix = "…" if start else ""
    suffix = "…" if end < len(line) else ""
    shift = len(prefix) - start
    kept = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return Snippet(prefix + line[start:end] + suffix, kept)
