"""A cheap check that a page's text is about its title (issue 3, variation 10).

Scraped pages sometimes carry the body of another code under a title. Such a page is still
indexed under its code; the mismatch is only noted, for the ingest report.
"""

from __future__ import annotations

import re

# Words of a title that say nothing about what it is.
_STOPWORDS = frozenset(
    {"with", "without", "from", "into", "other", "than", "under", "over", "each", "unspecified",
     "specified", "type", "includes", "including", "used", "using", "only"}
)  # fmt: skip
_WORD = re.compile(r"[a-z]{4,}")
# Words are compared on their first letters, so that "injection" meets "injected" and
# "folding" meets "folds" without a stemmer.
_PREFIX = 5


def title_matches_content(title: str, texts: list[str]) -> bool:
    """False when none of the title's content words appear in `texts` (name and summary).

    Titles of fewer than two content words (abbreviations, "Cane") are not judged.
    """
    words = {w[:_PREFIX] for w in _WORD.findall(title.lower()) if w not in _STOPWORDS}
    if len(words) < 2:
        return True
    content = {w[:_PREFIX] for text in texts for w in _WORD.findall(text.lower())}
    return bool(words & content)
