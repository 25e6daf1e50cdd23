"""Code-shaped words that name no code of the index are read as words.

A short token can have a code's shape and be a word or a name: "B12" (the vitamin), "T4" (the
hormone), "D3". Read as a code it would list nothing, or codes nobody asked for; so a token
is a code only if the index holds a code it is, or begins. Otherwise it is searched as a word,
and a notice says so. Ranges and `prefix*` stems say plainly that they are codes and stay.
"""

from __future__ import annotations

from collections.abc import Callable

from medcodes.pipeline.codes import code_forms, normalize_code
from medcodes.queries.parse import All, Any_, Code, Node, Not, ParsedQuery, Word

# Answers whether the index has a code that is, or begins with, this lower-case form.
CodeLookup = Callable[[str], bool]


def codes_as_words(parsed: ParsedQuery, has_code: CodeLookup) -> tuple[ParsedQuery, tuple[str, ...]]:
    """The query with unknown code-shaped tokens turned into words, and those tokens."""
    unknown: list[str] = []
    root = _rewrite(parsed.root, has_code, unknown)
    if not unknown:
        return parsed, ()
    return ParsedQuery(root, parsed.systems, parsed.notices), tuple(dict.fromkeys(unknown))


def unknown_code_notice(token: str) -> str:
    return f"no code {token!r} in the index: searched as a word"


def _rewrite(node: Node, has_code: CodeLookup, unknown: list[str]) -> Node:
    if isinstance(node, Code):
        if _known(node.code, has_code):
            return node
        unknown.append(node.code)
        return Word(node.code)
    if isinstance(node, Not):
        return Not(_rewrite(node.child, has_code, unknown))
    if isinstance(node, All | Any_):
        return type(node)(tuple(_rewrite(child, has_code, unknown) for child in node.children))
    return node


def _known(code: str, has_code: CodeLookup) -> bool:
    forms = {code.lower().rstrip("."), *code_forms(normalize_code(code))}
    return any(has_code(form) for form in forms)
