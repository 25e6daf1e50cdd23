"""How much two descriptions of a code agree, by their words: cheap, and enough to tell a page
titled with another code's descriptor from a rewording (`codesets report`). A code reused between
releases is told by diff.is_reused, which weighs words by their rarity across the releases.

The measure is the share of the shorter description's content words that the longer one also
has (|A ∩ B| / min(|A|, |B|)), words lower-cased, stop words dropped and plural -s folded. A
rewording ("Injection, X, 1 mg" -> "Injection, X (brand), 1 mg") keeps most words (>= 0.5);
another meaning shares few beyond "of", "other", "unspecified".
"""

from __future__ import annotations

import re

# Below this share of shared words two descriptions are taken to mean different things.
DISAGREE_BELOW = 0.5
_WORD = re.compile(r"[a-z0-9]+")
# Words that join the others and carry no meaning of their own (diff.py weighs words without them).
JOINING_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "with",
        "without",
    ]
)
# Besides those: the words of a classification's residual and unspecified categories, and "each".
_STOP = JOINING_WORDS | frozenset(
    ["is", "other", "w", "unspecified", "specified", "not", "elsewhere", "classified", "nos", "nec", "each"]
)


def content_words(text: str) -> frozenset[str]:
    """The words of a description that carry its meaning."""
    words = (w.removesuffix("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()))
    return frozenset(w for w in words if w not in _STOP)


def word_overlap(first: str, second: str) -> float:
    """Share of the shorter description's content words found in the other (1.0 when either has none)."""
    a, b = content_words(first), content_words(second)
    if not a or not b:
        return 1.0
    return len(a & b) / min(len(a), len(b))


def disagree(first: str, second: str) -> bool:
    """True when two descriptions share too few words to describe the same thing."""
    return word_overlap(first, second) < DISAGREE_BELOW
