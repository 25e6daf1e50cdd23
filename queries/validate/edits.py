"""The strings a typed code may have been meant as: its bare form, and every one-slip variant.

String work only; which variants are listed codes is for the caller to look up.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from medcodes.queries.validate.verdict import DELETION, INSERTION, SUBSTITUTION, TRANSPOSITION

CODE_CHARACTERS = string.digits + string.ascii_uppercase
# Typed between the characters of a code without changing it: "E11.9", "E11 .9", "E11-9", "E11.-"
# (the tabular list's "and its subcodes") all are E119 once they go.
SEPARATORS = re.compile(r"[\s.\-]+")
# ICD-10-CM codes that take a 7th character are padded to six with the placeholder X.
SEVENTH_POSITION = 7
PLACEHOLDER_X = "X"
# The first three characters of an ICD-10-CM code (its category) never hold a placeholder.
CATEGORY_LENGTH = 3
LONGEST_CODE = 8  # bare: ICD-10-CM and ICD-10-PCS codes have 7, with room for one slip


def bare_form(text: str) -> str | None:
    """`text` upper-cased without separators ("e11.9" -> "E119"); None when what is left is not
    letters and digits of a plausible length."""
    bare = SEPARATORS.sub("", text).upper()
    if not 2 <= len(bare) <= LONGEST_CODE or not all(c in CODE_CHARACTERS for c in bare):
        return None
    return bare


def one_character_edits(bare: str) -> Iterator[tuple[str, str]]:
    """Every string one slip away from `bare`, with the slip that turns it into `bare`: two
    neighbours swapped, one character replaced, one left out, one extra. May repeat a string
    (the caller keeps its first, most likely, reading)."""
    for i in range(len(bare) - 1):
        if bare[i] != bare[i + 1]:
            yield bare[:i] + bare[i + 1] + bare[i] + bare[i + 2 :], TRANSPOSITION
    for i, typed in enumerate(bare):
        for char in CODE_CHARACTERS:
            if char != typed:
                yield bare[:i] + char + bare[i + 1 :], SUBSTITUTION
    for i in range(len(bare) + 1):
        for char in CODE_CHARACTERS:
            yield bare[:i] + char + bare[i:], DELETION
    for i in range(len(bare)):
        yield bare[:i] + bare[i + 1 :], INSERTION


def placeholder_forms(bare: str) -> set[str]:
    """`bare` with the placeholder Xs it lacks before its last (7th) character: W2189A gives
    W2189XA; T3601A gives T36X01A, T360X1A and T3601XA (one of which is listed)."""
    missing = SEVENTH_POSITION - len(bare)
    if missing < 1 or len(bare) <= CATEGORY_LENGTH:
        return set()
    forms = {bare[:-1]}
    for _ in range(missing):
        forms = {
            form[:i] + PLACEHOLDER_X + form[i:]
            for form in forms
            for i in range(CATEGORY_LENGTH, len(form) + 1)
        }
    return {form + bare[-1] for form in forms}


def padded_stem(bare: str) -> str:
    """`bare` padded with placeholder Xs to the six characters a 7th character follows."""
    return bare.ljust(SEVENTH_POSITION - 1, PLACEHOLDER_X)


# Characters read or typed for one another: look-alikes (a code copied from print or a scan)
# and neighbouring keys. A substitution between them is a likelier slip than any other.
_LOOKALIKES = ("0O", "0D", "1I", "1L", "2Z", "5S", "6G", "8B", "UV")
_KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_NEAR = {frozenset(pair) for pair in _LOOKALIKES} | {
    frozenset(row[i : i + 2]) for row in _KEY_ROWS for i in range(len(row) - 1)
}


def near_substitution(typed: str, meant: str) -> bool:
    """True when `typed` and `meant` (same length) differ in one character that looks like, or
    sits on a key beside, the other."""
    pairs = [frozenset((a, b)) for a, b in zip(typed, meant, strict=True) if a != b]
    return len(pairs) == 1 and pairs[0] in _NEAR
