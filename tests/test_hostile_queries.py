"""Issue 17, item 2: queries nested deeper than any user means are read best-effort with a
note, never a RecursionError, and a batch answers every line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medcodes.queries.parse.syntax import MAX_NESTING, NESTING_NOTICE, Any_, Not, Word, parse_query

DEEP_QUERIES = {
    "open parentheses": "(walker " * 400,
    "one-letter groups": "(x " * 400,
    "closed parentheses": "(" * 300 + "walker" + ")" * 300,
    "stopword groups": "(cane (a " * 150 + "walker",
    "NOT chain": "NOT " * 240 + "walker",
    "scope chain": "risks: " * 140 + "fever",
    "mixed": "(NOT risks:(" * 80 + "walker",
}


def _depth(node: object) -> int:
    if isinstance(node, Not):
        return 1 + _depth(node.child)
    children = getattr(node, "children", ())
    return 1 + max((_depth(child) for child in children), default=0)


@pytest.mark.parametrize("text", DEEP_QUERIES.values(), ids=DEEP_QUERIES.keys())
def test_deep_nesting_is_read_with_a_note_and_a_bounded_tree(text: str) -> None:
    parsed = parse_query(text)
    assert NESTING_NOTICE in parsed.notices
    assert _depth(parsed.root) <= 4 * MAX_NESTING + 2


def test_nesting_within_the_bound_is_kept_as_typed() -> None:
    depth = MAX_NESTING - 1
    parsed = parse_query("(" * depth + "walker" + ")" * depth + " OR cane")
    assert parsed.root == Any_((Word("walker"), Word("cane")))
    assert not parsed.notices


def test_parentheses_past_the_bound_close_their_own_level() -> None:
    """An ignored "(" takes its ")" with it: the words after the group stay at the top level."""
    text = "(" * (MAX_NESTING + 5) + "walker" + ")" * (MAX_NESTING + 5) + " cane"
    parsed = parse_query(text)
    assert parsed.root == Any_((Word("walker"), Word("cane")))
    assert "unbalanced parenthesis ignored" not in parsed.notices


def _search(built_index: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "medcodes", "search", "--index", str(built_index), *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("text", DEEP_QUERIES.values(), ids=DEEP_QUERIES.keys())
def test_cli_answers_a_deep_query_with_a_note(built_index: Path, text: str) -> None:
    result = _search(built_index, "--", text)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert f"note: {NESTING_NOTICE}" in result.stderr.splitlines()


def test_a_batch_answers_every_line_of_deep_queries(built_index: Path) -> None:
    """One line in ten is hostile (every shape in turn; "(a " × 400 has only common words)."""
    hostile = [*DEEP_QUERIES.values(), "(a " * 400]
    lines = [hostile[n // 10 % len(hostile)] if n % 10 == 3 else "walker" for n in range(300)]
    result = _search(built_index, "--queries", "-", "--json", stdin="\n".join(lines) + "\n")
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["query"] for answer in answers] == lines
    for line, answer in zip(lines, answers, strict=True):
        if line.startswith("(a "):
            assert answer["hits"] == [] and "nothing to search for" in answer["error"]
        else:
            assert answer["hits"] and "error" not in answer
