"""Code-shaped words that name no code of the index are read as words.

A short token can have a code's shape and be a word or a name: "B12" (the vitamin), "T4" (the
hormone), "D3". Read as a code it would list nothing, or codes nobody asked for; so a token
is a code only if the index holds that code, or if it begins codes of the index and is at least
as long as an ICD-10-CM category (3 characters: `J92`, `E11` list their codes). "T4" begins
T40-T49 on any index with ICD-10-CM, yet no one types two characters to list a code range, so it
is a word. Otherwise the token is searched as a word, and a notice says so. Ranges and `prefix*`
stems say plainly that they are codes and stay.
"""

from __future__ import annotations

from collections.abc import Callable

from medcodes.pipeline.codes import code_forms, normalize_code
from medcodes.queries.parse.syntax import All, Any_, Code, Node, Not, ParsedQuery, Word

# The index's first code, in sorted order, that is or begins with this lower-case form; or None.
# Codes sort after their prefixes, so the form itself is a code when it is the answer.
CodeLookup = Callable[[str], str | None]
# A bare token shorter than this (an ICD-10-CM category, "E11") only lists codes it names exactly.
MIN_STEM = 3


def codes_as_words(parsed: ParsedQuery, first_code: CodeLookup) -> tuple[ParsedQuery, tuple[str, ...]]:
    """The query with unknown code-shaped tokens turned into words, and those tokens."""
    unknown: list[str] = []
    root = _rewrite(parsed.root, first_code, unknown)
    if not unknown:
        return parsed, ()
    return ParsedQuery(root, parsed.systems, parsed.notices), tuple(dict.fromkeys(unknown))


def typed_codes(node: Node) -> tuple[str, ...]:
    """The codes typed in full in a query (not under NOT), once each, in query order."""
    found: list[str] = []
    _collect_codes(node, found)
    return tuple(dict.fromkeys(found))


def _collect_codes(node: Node, found: list[str]) -> None:
    if isinstance(node, Code):
        found.append(node.code)
    elif isinstance(node, All | Any_):
        for child in node.children:
            _collect_codes(child, found)


def unknown_code_notice(token: str) -> str:
    return f"no code {token!r} in the index: searched as a word"


def _rewrite(node: Node, first_code: CodeLookup, unknown: list[str]) -> Node:
    if isinstance(node, Code):
        if _known(node.code, first_code):
            return node
        unknown.append(node.code)
        return Word(node.code)
    if isinstance(node, Not):
        return Not(_rewrite(node.child, first_code, unknown))
    if isinstance(node, All | Any_):
        return type(node)(tuple(_rewrite(child, first_code, unknown) for child in node.children))
    return node


def _known(code: str, first_code: CodeLookup) -> bool:
    forms = {code.lower().rstrip("."), *code_forms(normalize_code(code))}
    for form in forms:
        found = first_code(form)
        if found is not None and (found == form or len(form.replace(".", "")) >= MIN_STEM):
            return True
    return False
