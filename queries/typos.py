"""How many typing mistakes a word may carry, and a bounded edit distance to check it.

As Meilisearch does: none below 5 letters, one from 5, two from 9. Codes are never corrected.
"""

from __future__ import annotations

ONE_EDIT_FROM = 5
TWO_EDITS_FROM = 9


def allowed_edits(word: str) -> int:
    if len(word) >= TWO_EDITS_FROM:
        return 2
    return 1 if len(word) >= ONE_EDIT_FROM else 0


def within_edits(a: str, b: str, limit: int) -> bool:
    """True when `a` becomes `b` by at most `limit` insertions, deletions, substitutions or
    swaps of neighbouring letters (optimal string alignment), computed band-limited."""
    if abs(len(a) - len(b)) > limit:
        return False
    if a == b:
        return True
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        low = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            low = min(low, value)
        if low > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit
