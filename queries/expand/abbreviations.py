"""Claim and clinical abbreviations ("w", "unsp", "fx", "COPD") and what they stand for, both ways.

The table is a data file (queries/data/abbreviations.tsv, its source noted in its header),
loaded once. Truncations and vowel-dropped words ("inj", "encntr") need no entry: the
vocabulary matches those against the index's own words (queries/expand/vocabulary.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA_FILE = "abbreviations.tsv"
# Read backwards ("hypertension" -> HTN), an abbreviation needs this many characters: "w" for
# "with" or "l" for "left" would match far more than they mean.
MIN_SHORTENING = 2
# Shipped beside this module (package data, see pyproject.toml).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def abbreviation_table() -> dict[str, tuple[tuple[str, ...], bool]]:
    """abbreviation (lower case) -> (expansions, whether it must be typed in capitals)."""
    table: dict[str, tuple[tuple[str, ...], bool]] = {}
    for columns in read_table(DATA_FILE):
        short, expansions = columns[0].lower(), tuple(e.strip() for e in columns[1].split("|") if e.strip())
        case_sensitive = len(columns) > 2 and columns[2].strip() == "case"
        table[short] = (expansions, case_sensitive)
    return table


def expand_abbreviation(token: str) -> tuple[str, ...]:
    """What `token` stands for ("Fx" -> ("fracture",)), or () when it is no known abbreviation.

    >>> expand_abbreviation("unsp")
    ('unspecified',)
    """
    entry = abbreviation_table().get(token.lower())
    if entry is None:
        return ()
    expansions, case_sensitive = entry
    if case_sensitive and not token.isupper():
        return ()
    return expansions


@cache
def _shortenings() -> dict[str, tuple[str, ...]]:
    """expansion (lower case, single-spaced) -> the abbreviations that stand for it, of at least
    MIN_SHORTENING letters or digits and not also English words (those typed in capitals only)."""
    table: dict[str, list[str]] = {}
    for short, (expansions, case_sensitive) in abbreviation_table().items():
        if case_sensitive or len(short) < MIN_SHORTENING or not short.isalnum():
            continue
        for expansion in expansions:
            table.setdefault(" ".join(expansion.lower().split()), []).append(short)
    return {expansion: tuple(shorts) for expansion, shorts in table.items()}


def abbreviations_of(term: str) -> tuple[str, ...]:
    """The abbreviations that stand for `term`, so that "hypertension" also finds "HTN".

    >>> abbreviations_of("hypertension")
    ('htn',)
    """
    return _shortenings().get(" ".join(term.lower().split()), ())


def read_table(name: str) -> list[list[str]]:
    """Rows of a tab-separated data file shipped in queries/data ('#' starts a comment line)."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
