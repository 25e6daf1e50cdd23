"""Say why a page with no known section is not a code page: an error page, a search page, a list.

The reason goes into the ingest report, so that a user can tell a 404 saved by the crawler
from a page the parser failed to read.
"""

from __future__ import annotations

import re

from medcodes.pipeline.codes import CODE_TOKENS_IN_TEXT, looks_like_code

_ERROR_PAGE = re.compile(
    r"\b(?:404|not found|page (?:does not|doesn't) exist|no longer available|server error|access denied)\b",
    re.IGNORECASE,
)
_SEARCH_PAGE = re.compile(r"\b(?:search results|results for|no results|did you mean)\b", re.IGNORECASE)
NO_SECTIONS = "not a code page: none of the code page's sections found"
# A page listing this many different codes is an index of codes, not one code's page.
_INDEX_CODES = 5


def not_a_code_page(title: str, texts: list[str]) -> str:
    """The rejection reason for a page in which no known section was found."""
    head = " ".join([title, *texts])[:2000]
    if _ERROR_PAGE.search(head):
        return "not a code page: an error page (not found or unavailable)"
    if _SEARCH_PAGE.search(head):
        return "not a code page: a search results page"
    codes = {token for token in CODE_TOKENS_IN_TEXT.findall(" ".join(texts)) if looks_like_code(token)}
    if len(codes) >= _INDEX_CODES:
        return f"not a code page: a list of {len(codes)} codes (site index)"
    if not any(text.strip() for text in texts):
        return "not a code page: no text"
    return NO_SECTIONS
