"""Text from pages, file names and queries, made safe to print and to open in a spreadsheet.

A page may hold terminal control sequences — `ESC]0;…BEL` retitles the terminal, `ESC[31m`
colours it, `\\r` and backspace overwrite what was printed before — and printed as they are,
they act on the reader's terminal. Every human-readable output passes such text through
`printable`; JSON keeps the text exact, its control characters escaped (`json_text`). A CSV cell
that starts like a formula (`=cmd|' /C calc'!A0`) would run in a spreadsheet: `csv_cell`
neutralises it as OWASP recommends (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROL_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                  # CSI: parameters, intermediates, final
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])               # OSC, DCS, SOS, PM, APC: a string
      (?:[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c))?           #   up to BEL or ST (unended: kept as text)
  | \x1b [ -/]* [0-~]?                                    # any other escape sequence
  | [\x00-\x08\x0b-\x1f\x7f-\x9f]                         # any other C0 or C1 control but \t, \n
    """,
    re.VERBOSE,
)
# Control characters JSON leaves as they are when it writes UTF-8: DEL and the C1 range.
_UNESCAPED_BY_JSON = re.compile(r"[\x7f-\x9f]")
# What a spreadsheet reads as the start of a formula (OWASP: = + - @, tab, carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """`text` without terminal control sequences or control characters; tabs and newlines stay.

    >>> printable("Fever\\x1b]0;owned\\x07 and \\x1b[31mchills\\x1b[0m\\r")
    'Fever and chills'
    """
    return _CONTROL_SEQUENCE.sub("", text)


def json_text(value: Any, indent: int | None = None) -> str:
    """`value` as JSON, exact, with every control character escaped (C1 and DEL too, which
    `ensure_ascii=False` would write as they are)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    # Outside strings JSON has no such characters, so each one is inside a string.
    return _UNESCAPED_BY_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def csv_cell(value: object) -> object:
    """A CSV cell: text printable, and led by `'` when it starts like a formula (a query
    `-leukemia` becomes `'-leukemia`); numbers as they are."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


__all__ = ["csv_cell", "json_text", "printable"]
