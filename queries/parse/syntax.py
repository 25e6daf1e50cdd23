"""User text -> a small query tree, independent of Whoosh.

Syntax: words, "phrases", field:term (with friendly aliases), codes (C9028, E11.9, e119),
code prefixes (J92*, or a bare stem such as J92 when the query is only codes), code ranges
(J9000-J9999, E08-E13), AND / OR / NOT, -term, parentheses. Mistakes a user can make (an
unbalanced quote or parenthesis, an unknown field) are read best-effort and reported as notices;
only a query with nothing to search for is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from medcodes.errors import MedcodesError
from medcodes.index.fields import CODE, PHRASE_FIELDS, SYSTEM
from medcodes.pipeline.codes import (
    CODE_PREFIX,
    CODE_RANGE,
    CODE_STEM,
    SYSTEMS,
    looks_like_code,
    system_from_text,
)
from medcodes.queries.parse.scopes import FIELD_ALIASES, route_scope

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
# Parentheses, NOT and scopes nest; past this depth they are read as if absent, so that the
# parser and every walker of the tree stay far from Python's recursion limit ("((((…" × 300).
MAX_NESTING = 16
NESTING_NOTICE = (
    f"nested deeper than {MAX_NESTING} levels: the deeper parentheses, NOTs and scopes were ignored"
)


class QuerySyntaxError(MedcodesError, ValueError):
    """The query has nothing that can be searched for."""


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Code:
    """A code or a code stem as typed: the exact code first; in a query of codes only, also
    every code it begins (a bare "J92" lists J92 and J9200-J9299)."""

    code: str


@dataclass(frozen=True)
class CodePrefix:
    prefix: str


@dataclass(frozen=True)
class CodeRange:
    """Codes from `low` to `high` inclusive (with `high`'s own subcodes), within one system."""

    low: str
    high: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    """Explicit AND: every child must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    """Explicit OR, or words side by side: any child may match; more matches rank higher."""

    children: tuple[Node, ...]


Node = Word | Phrase | Code | CodePrefix | CodeRange | Not | All | Any_


@dataclass(frozen=True)
class ParsedQuery:
    root: Node
    systems: tuple[str, ...] = ()  # from system:… scopes
    notices: tuple[str, ...] = field(default=())


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>(?P<sign_p>[-+]?)(?:(?P<field_p>[A-Za-z]+):)?"(?P<phrase_text>[^"]*)(?P<closed>"?))
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EDGE_PUNCT = re.compile(r"^[^\w*]+|[^\w*]+$")


@dataclass
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "scope", "term"
    node: Node | None = None
    negate: bool = False
    scope: str | None = None


def parse_query(text: str) -> ParsedQuery:
    """Parse user text.

    >>> parse_query('risks:fever C9028').root
    Any_(children=(Word(text='fever', field='risks'), Code(code='C9028')))
    """
    notices: list[str] = []
    text, controls = _CONTROL.subn(" ", text)
    if controls:
        notices.append("control characters in the query were read as spaces")
    text, routed = route_scope(text)
    if routed:
        notices.append(routed)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notices.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
    systems: list[str] = []
    tokens = _tokenize(text, notices)
    terms = sum(1 for t in tokens if t.kind == "term")
    if terms > MAX_TERMS:
        notices.append(f"only the first {MAX_TERMS} terms were used")
        tokens = _first_terms(tokens, MAX_TERMS)
    parser = _Parser(tokens, notices)
    root = parser.parse()
    if root is not None:
        root = _positionless(root, notices, systems)
    notices = list(dict.fromkeys(notices))  # "((((walker" is one unbalanced parenthesis note
    if root is None:
        if systems:
            return ParsedQuery(Any_(()), tuple(systems), tuple(notices))
        raise QuerySyntaxError("nothing to search for: give a word, a phrase or a code")
    return ParsedQuery(root, tuple(systems), tuple(notices))


def _tokenize(text: str, notices: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind in ("lparen", "rparen"):
            tokens.append(_Token("(" if kind == "lparen" else ")"))
        elif match.group("phrase") is not None and match.group("phrase_text") is not None and kind != "word":
            if not match.group("closed"):
                notices.append("unbalanced quote: read as if closed at the end")
            words = tuple(match.group("phrase_text").split())
            fieldname = _field(match.group("field_p"), notices)
            if words:
                tokens.append(_Token("term", Phrase(words, fieldname), match.group("sign_p") == "-"))
        else:
            tokens.extend(_word_tokens(match.group("word"), notices))
    return tokens


def _word_tokens(raw: str, notices: list[str]) -> list[_Token]:
    if raw in ("AND", "OR", "NOT"):
        return [_Token(raw)]
    negate = raw.startswith("-") and len(raw) > 1
    if raw[0] in "+-" and len(raw) > 1:
        raw = raw[1:]
    fieldname = None
    if raw.endswith(":") and raw[:-1].lower() in FIELD_ALIASES:
        # "risks:" before a parenthesis or a phrase scopes what follows.
        return [_Token("scope", scope=FIELD_ALIASES[raw[:-1].lower()])]
    if ":" in raw.strip(":"):
        scope, _, rest = raw.partition(":")
        if scope.lower() in FIELD_ALIASES:
            fieldname = FIELD_ALIASES[scope.lower()]
            raw = rest
        elif scope.isalpha():
            notices.append(f"unknown field {scope!r}: searched as words")
            raw = f"{scope} {rest}"
    if fieldname == SYSTEM:
        # Read into the systems filter after parsing (_positionless), where a scope or a NOT
        # around it is known.
        return [_Token("term", Word(raw, SYSTEM), negate)]
    tokens = []
    for part in raw.split():
        word = _EDGE_PUNCT.sub("", part)
        if not word or word == "*":
            if word == "*":
                notices.append("a lone * matches nothing: give a code stem, e.g. J92*")
            continue
        tokens.append(_Token("term", _atom(word, fieldname), negate))
    return tokens


def _atom(word: str, fieldname: str | None) -> Node:
    if fieldname in (None, CODE):
        if CODE_PREFIX.match(word):
            return CodePrefix(word.rstrip("*"))
        if (match := CODE_RANGE.match(word)) and _is_range(match.group("low"), match.group("high")):
            return CodeRange(match.group("low"), match.group("high"))
    if fieldname == CODE or (fieldname is None and (looks_like_code(word) or CODE_STEM.match(word))):
        return Code(word)
    return Word(word.rstrip("*"), fieldname)


def _is_range(low: str, high: str) -> bool:
    """Both ends are codes or code stems of one kind: digits with digits, letter-led with letter-led."""
    if low.isdigit() or high.isdigit():
        return low.isdigit() and high.isdigit()
    return is_code_stem(low) and is_code_stem(high)


def is_code_stem(text: str) -> bool:
    """True when `text` has the shape of the beginning of a code (J92, E11, C90)."""
    return bool(CODE_STEM.match(text)) or looks_like_code(text)


def _field(scope: str | None, notices: list[str]) -> str | None:
    if not scope:
        return None
    if scope.lower() in FIELD_ALIASES:
        return FIELD_ALIASES[scope.lower()]
    notices.append(f"unknown field {scope!r}: searched everywhere")
    return None


def _first_terms(tokens: list[_Token], limit: int) -> list[_Token]:
    kept, seen = [], 0
    for token in tokens:
        if token.kind == "term":
            seen += 1
            if seen > limit:
                continue
        kept.append(token)
    return kept


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := unary (AND? unary)*."""

    def __init__(self, tokens: list[_Token], notices: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.notices = notices
        self.depth = 0  # open parentheses, NOTs and scopes around the current token
        self.ignored_parens = 0  # "(" past MAX_NESTING, whose ")" is skipped too

    def parse(self) -> Node | None:
        node = self._or()
        while self.pos < len(self.tokens):  # a stray ")" — skip it and read on
            self.notices.append("unbalanced parenthesis ignored")
            self.pos += 1
            rest = self._or()
            node = _join(Any_, [n for n in (node, rest) if n is not None])
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def _or(self) -> Node | None:
        parts = [self._and()]
        while self._peek() == "OR":
            self.pos += 1
            parts.append(self._and())
        return _join(Any_, [p for p in parts if p is not None])

    def _and(self) -> Node | None:
        """Side-by-side terms form a ranked OR; an explicit AND binds its neighbours."""
        groups: list[list[Node]] = [[]]
        joined_by_and = False
        while (kind := self._peek()) not in (None, ")", "OR") or (kind == ")" and self.ignored_parens):
            if kind == ")":  # closes a parenthesis ignored past MAX_NESTING
                self.pos += 1
                self.ignored_parens -= 1
                continue
            if kind == "AND":
                self.pos += 1
                joined_by_and = True
                continue
            node = self._unary()
            if node is None:
                continue
            if joined_by_and and groups[-1]:
                previous = groups[-1].pop()
                node = All((*previous.children, node)) if isinstance(previous, All) else All((previous, node))
            groups[-1].append(node)
            joined_by_and = False
        return _join(Any_, groups[0])

    def _unary(self) -> Node | None:
        kind = self._skip_too_deep()
        if kind in (None, ")", "OR", "AND"):
            return None  # a NOT with nothing after it
        if kind in ("NOT", "scope", "("):
            self.depth += 1
            try:
                return self._nested(kind)
            finally:
                self.depth -= 1
        token = self.tokens[self.pos]
        self.pos += 1
        assert token.node is not None
        return Not(token.node) if token.negate else token.node

    def _skip_too_deep(self) -> str | None:
        """Past MAX_NESTING, drop each NOT, scope and "(" (with a note), so depth stays bounded."""
        while (kind := self._peek()) in ("NOT", "scope", "(") and self.depth >= MAX_NESTING:
            self.notices.append(NESTING_NOTICE)
            self.pos += 1
            if kind == "(":
                self.ignored_parens += 1
        return kind

    def _nested(self, kind: str) -> Node | None:
        if kind == "NOT":
            self.pos += 1
            child = self._unary()
            return Not(child) if child is not None else None
        if kind == "scope":
            scope = self.tokens[self.pos].scope
            self.pos += 1
            child = self._unary() if self._peek() not in (None, ")", "OR", "AND") else None
            return _rescope(child, scope) if child is not None else None
        self.pos += 1
        node = self._or()
        if self._peek() == ")":
            self.pos += 1
        else:
            self.notices.append("unbalanced parenthesis: read as if closed at the end")
        return node


def _positionless(node: Node, notices: list[str], systems: list[str]) -> Node | None:
    """Read a phrase in a field that keeps no word positions (a code, a system) as its words,
    any of them: `code:"c9028 e11"` is either code, `system:"hcpcs cpt"` either system.

    A system, whether a word or a phrase in a `system:` scope (`system:(hcpcs cpt)`), narrows the
    search as `system:hcpcs` does rather than being searched for as a word; a system under NOT
    cannot exclude and is ignored, with a notice.
    """
    if isinstance(node, Phrase) and node.field is not None and node.field not in PHRASE_FIELDS:
        if len(node.words) > 1:
            typed = f'{node.field}:"{" ".join(node.words)}"'
            notices.append(f"{typed} read as any of its words: a {node.field} has no word order")
        words = [_atom(word, node.field) for part in node.words if (word := _EDGE_PUNCT.sub("", part))]
        joined = _join(Any_, words)
        return _positionless(joined, notices, systems) if joined is not None else None
    if isinstance(node, Word) and node.field == SYSTEM:
        system = system_from_text(node.text)
        if system is None:
            notices.append(f"unknown code system {node.text!r}; known: {', '.join(SYSTEMS)}")
        else:
            systems.append(system)
        return None
    if isinstance(node, Not):
        child = _positionless(node.child, notices, [])
        if _has_system(node.child):
            notices.append("a code system cannot be excluded: NOT system:… was ignored")
        return Not(child) if child is not None else None
    if isinstance(node, All | Any_):
        children = [c for child in node.children if (c := _positionless(child, notices, systems)) is not None]
        return type(node)(tuple(children)) if len(children) > 1 else (children[0] if children else None)
    return node


def _has_system(node: Node) -> bool:
    if isinstance(node, Word | Phrase):
        return node.field == SYSTEM
    if isinstance(node, Not):
        return _has_system(node.child)
    if isinstance(node, All | Any_):
        return any(_has_system(child) for child in node.children)
    return False


def _rescope(node: Node, scope: str | None) -> Node:
    """Apply a field scope to every word and phrase under `node` that has none of its own."""
    if isinstance(node, Word | Phrase) and node.field is None:
        return replace(node, field=scope)
    if isinstance(node, Not):
        return Not(_rescope(node.child, scope))
    if isinstance(node, All | Any_):
        return type(node)(tuple(_rescope(child, scope) for child in node.children))
    return node


def _join(kind: type[All] | type[Any_], nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    return kind(tuple(nodes))
