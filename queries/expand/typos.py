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
    swaps of neighbouring letters (optimal string alignment). Only the diagonal band of
    cells within `limit` of it is computed: a cell off the band costs more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    if a == b:
        return True
    over = limit + 1  # any cost above the limit: the value of every cell off the band
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        first, last = max(1, i - limit), min(width, i + limit)
        current = [over] * (width + 1)
        if i <= limit:
            current[0] = i
        low = current[0]
        for j in range(first, last + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = min(value, over)
            low = min(low, current[j])
        if low > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit
