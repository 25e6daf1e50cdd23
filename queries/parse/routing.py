"""Natural-language scopes: "codes whose risks include liver damage" searches risks:(liver damage).

A coder may name a section in words instead of typing `risks:`. When a query names a known
section and then says what it should contain ("whose risks include …", "with indications of
…", "complications such as …"), the words after that are searched in that section only.
"""

from __future__ import annotations

import re

from medcodes.queries.parse.scopes import FIELD_ALIASES

# Scopes that are sections of a page (not title, code or system).
_SECTION_WORDS = sorted(
    (
        alias
        for alias, field in FIELD_ALIASES.items()
        if field not in ("title", "code", "system", "name", "names")
    ),
    key=len,
    reverse=True,
)
_ROUTE = re.compile(
    r"^(?:(?:codes?|pages?|procedures?|services?|drugs?|diagnos[ei]s)\s+)?"
    r"(?:(?:whose|where|with|that\s+have|having)\s+)?(?:the\s+)?"
    rf"(?P<section>{'|'.join(_SECTION_WORDS)})\s+"
    r"(?:include|includes|including|mention|mentions|mentioning|contain|contains|containing|"
    r"are|is|of|such\s+as|like|about)\s+(?P<rest>[^:()\"]+)$",
    re.IGNORECASE,
)


def route_scope(text: str) -> tuple[str, str | None]:
    """The query with a section named in words turned into a scope, and a notice saying so.

    >>> route_scope("codes whose risks include liver damage")
    ('risks:(liver damage)', 'read as risks:(liver damage)')
    """
    match = _ROUTE.match(text.strip())
    if match is None:
        return text, None
    field = FIELD_ALIASES[match.group("section").lower()]
    routed = f"{field}:({match.group('rest').strip()})"
    return routed, f"read as {routed}"
