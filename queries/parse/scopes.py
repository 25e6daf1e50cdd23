"""Scopes: the field names a user may type (`risks:`, `prep:` …) and sections named in words.

Every field of the index (medcodes.index.fields) is a scope by its own name; a few other words
users type stand for one of them. A coder may also name a section in words instead of typing
`risks:`: when a query names a known section and then says what it should contain ("whose
risks include …", "with indications of …", "complications such as …"), the words after that
are searched in that section only.
"""

from __future__ import annotations

import re

from medcodes.index.fields import CODE, NAMES, NAMING_FIELDS, OTHER, SECTION_FIELDS, SYSTEM, TEXT_FIELDS

_FIELDS = frozenset((*TEXT_FIELDS, CODE, SYSTEM))


def _field(name: str) -> str:
    """`name`, checked to be a field of the index: a renamed field fails here, at import."""
    if name not in _FIELDS:
        raise ValueError(f"no field {name!r} in the index schema")
    return name


# Other words users type for a field.
_OTHER_WORDS: dict[str, str] = {
    "aka": NAMES,
    "goals": _field("purpose"),
    "indication": _field("indications"),
    "indicated": _field("indications"),
    "prep": _field("preparation"),
    "steps": _field("procedure"),
    "description": _field("procedure"),
    "staff": _field("personnel"),
    "risk": _field("risks"),
    "complications": _field("risks"),
    "aftercare": _field("recovery"),
}
# Scope names a user may type, mapped to the index field they search.
FIELD_ALIASES: dict[str, str] = {**{field: field for field in (*TEXT_FIELDS, CODE, SYSTEM)}, **_OTHER_WORDS}

# Scopes that are sections of a page (not the title, the names, the code or the system).
_SECTIONS = frozenset((*SECTION_FIELDS, OTHER)) - frozenset(NAMING_FIELDS)
_SECTION_WORDS = sorted(
    (alias for alias, field in FIELD_ALIASES.items() if field in _SECTIONS), key=len, reverse=True
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
