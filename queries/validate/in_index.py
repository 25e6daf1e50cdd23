"""Validate codes against the code sets loaded into an index: the public entry point.

>>> [v.verdict for v in validate_codes(["E11.9", "W21.89A"], "medcodes-index", on="2026-01-01")]
['billable', 'unknown']
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from medcodes.errors import MedcodesError
from medcodes.index.codesets import open_code_table
from medcodes.pipeline.codes import parse_systems
from medcodes.queries.validate.validate import SHOWN_SUGGESTIONS, validate
from medcodes.queries.validate.verdict import Verdict


class DateError(MedcodesError, ValueError):
    """A date that is not YYYY-MM-DD."""


def parse_date(text: str) -> date:
    """An ISO calendar date ("2026-01-01"); DateError otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(f"not a date: {text!r} (YYYY-MM-DD, e.g. 2026-01-01)") from None


def validate_codes(
    codes: Iterable[str],
    index: str | Path = "medcodes-index",
    on: date | str | None = None,
    systems: str | Iterable[str] = (),
    max_suggestions: int = SHOWN_SUGGESTIONS,
) -> list[Verdict]:
    """One Verdict per code, in order, on the date `on` (default today, UTC), against the code
    sets loaded into the index at `index` (NoCodeSetError when none is)."""
    table = open_code_table(index)
    day = parse_date(on) if isinstance(on, str) else on
    wanted = parse_systems(systems) if systems else ()
    return [validate(table, code, day, wanted, max_suggestions) for code in codes]
