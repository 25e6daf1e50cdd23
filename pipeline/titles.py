"""Clean a page's title: strip a code written into it, notice when the site cut it short."""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcodes.pipeline.codes import CODE_TOKEN, infer_system

# "# Walker, folding (E0135)" (markdown rendering) and "... (HCPCS Code: J9229)".
_TRAILING_CODE = re.compile(
    r"\s*\((?P<label>[A-Za-z][A-Za-z0-9 -]*?(?:\s+code)?\s*:\s*)?"
    rf"(?P<code>{CODE_TOKEN})\)\s*$",
    re.IGNORECASE,
)
# "A4253 Blood glucose test strips" (breadcrumb template), "A4253 - Blood glucose ...".
_LEADING_CODE = re.compile(rf"^(?P<code>{CODE_TOKEN})\s*(?:[-–—:|]\s*)?(?=\S)")
_ELLIPSIS = re.compile(r"\s*(?:\.{3,}|…)\s*$")
_WORD = re.compile(r"[a-z0-9]+")
ELLIPSIS = "…"
# A crawler mirror caps a saved page's file name ("<code>-<url slug>") at this many characters.
SLUG_CAP = 120


@dataclass(frozen=True)
class Title:
    text: str
    code: str | None = None  # a code written into the title itself
    truncated: bool = False


def read_title(
    raw: str, slug: str | None = None, known_code: str | None = None, capped_name: bool = False
) -> Title:
    """Strip markup and a code from a raw title; flag it truncated when the site cut it.

    A title is cut with "..." or mid-word (issue 3, variation 5); the mid-word cut shows only
    against the URL slug, whose words then run on past the title's last (partial) word. When
    the slug itself was cut (`capped_name`: the saved file's name is as long as a crawler lets
    it be) and the title ends where the slug does, the title was cut there too (issue 12).
    A parenthesised abbreviation ("(ALS)", "(A1C)") is part of the title: only the page's own
    code, or a code labelled as one ("(HCPCS Code: J9229)"), is taken out.
    """
    text = " ".join(re.sub(r"^#+\s*", "", raw).replace("**", "").split())
    code = None
    if (match := _TRAILING_CODE.search(text)) and _is_trailing_code(match, known_code):
        code, text = match.group("code"), text[: match.start()].strip()
    if (match := _LEADING_CODE.match(text)) and _is_leading_code(match.group("code"), known_code):
        code, text = code or match.group("code"), text[match.end() :].strip()
    truncated = bool(_ELLIPSIS.search(text))
    text = _ELLIPSIS.sub("", text)
    if not truncated and slug:
        truncated = _cut_against_slug(text, slug) or (capped_name and _ends_with_slug(text, slug))
    return Title(f"{text}{ELLIPSIS}" if truncated and text else text, code, truncated)


def _is_trailing_code(match: re.Match[str], known_code: str | None) -> bool:
    token = match.group("code")
    if infer_system(token) is None:
        return False
    if match.group("label") or (known_code is not None and token.upper() == known_code.upper()):
        return True
    return known_code is None and _is_long_code(token)


def _is_leading_code(token: str, known_code: str | None) -> bool:
    """A title's first word is its code when the breadcrumb says so, or when it is a long code
    shape: short ones ("A1C test strips") are words of the title."""
    if known_code is not None:
        return token.upper() == known_code.upper()
    return _is_long_code(token)


def _is_long_code(token: str) -> bool:
    """A code shape no abbreviation has: five or more characters with a digit, or a dotted code."""
    return (
        infer_system(token) is not None
        and any(c.isdigit() for c in token)
        and (len(token) >= 5 or "." in token)
    )


def slug_words(slug: str) -> str:
    """The words of a URL slug ("injection-inotuzumab-0-1-mg" -> "injection inotuzumab 0 1 mg")."""
    return " ".join(_WORD.findall(slug.lower()))


def restates_title(line: str, title: str) -> bool:
    """True for a header line that only repeats the title (with or without its code).

    The restatement may add an abbreviation or a code and change case, hyphens and word order
    ("Ankle foot orthosis, plastic" vs "Ankle Foot Orthosis (AFO), Plastic (L1930)"): nearly
    every title word is in the line, and the line adds few words of its own.
    """
    words, title_words = _WORD.findall(line.lower()), _WORD.findall(title.lower())
    if not title_words or not words:
        return False
    if " ".join(title_words) in " ".join(words) and len(words) <= len(title_words) + 4:
        return True
    line_set, title_set = set(words), set(title_words)
    covered = len(title_set & line_set) / len(title_set)
    added = len(line_set - title_set)
    return len(title_set) >= 3 and covered >= 0.9 and added <= max(2, len(title_set) // 5)


def _ends_with_slug(text: str, slug: str) -> bool:
    """True when the title spells exactly what the slug does, letters and digits alike."""
    return "".join(_WORD.findall(text.lower())) == "".join(slug_words(slug).split())


def _cut_against_slug(text: str, slug: str) -> bool:
    """True when the slug runs on past the title: more words, or a longer last word."""
    title_words, words = _WORD.findall(text.lower()), slug_words(slug).split()
    if not title_words or len(words) < len(title_words):
        return False
    *whole, last = title_words
    word = words[len(whole)]
    return (
        words[: len(whole)] == whole
        and word.startswith(last)
        and (word != last or len(words) > len(whole) + 1)
    )
