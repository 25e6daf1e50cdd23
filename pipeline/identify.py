"""Decide which code a page describes, from the strongest evidence to the weakest.

Order (issues 2 and 3): the page URL (canonical or the input's own), the same URL shape in the
saved file's path, the file name, the breadcrumb, a code written into the title, a code in
parentheses in the "Name of the Procedure" block; the system comes from the same evidence,
else the system line, else the code's shape. The page's own code wins over codes it mentions:
only those places are read, a code labelled with a system ("(HCPCS Code: J9229)") before a
bare one, and one that fits the page's system line before one that does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from medcodes.pipeline.codes import CODE_TOKEN, fits_system, infer_system, normalize_code, system_from_text
from medcodes.pipeline.sources import saved_path

# ".../code/<system>/<CODE>-slug" in a URL or a saved file's path.
_URL_CODE = re.compile(r"/code/([A-Za-z0-9-]+)/([A-Za-z0-9.]+?)(?:-(?P<slug>[^/]*?))?(?:\.[a-z]{2,5})*/?$")
# "(C9028)", "(HCPCS Code: J9229)", "(ICD-10-CM E11.9)" in running text.
_PAREN_CODE = re.compile(
    r"\((?:(?P<system>[A-Za-z][A-Za-z0-9-]*)(?:\s+code)?\s*[:#]?\s+)?"
    rf"(?P<code>{CODE_TOKEN})\)",
    re.IGNORECASE,
)


# "<host>/code/<system>/<slug>.txt": a crawler mirror saves each page under its address.
_MIRRORED = re.compile(
    r"(?:^|/)(?P<host>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})"
    r"/(?P<path>code/[A-Za-z0-9-]+/[^/]+?)(?:\.(?:txt|html?|xhtml|md|gz))*$",
    re.IGNORECASE,
)
_EXTENSIONS = re.compile(r"(\.(?:txt|html?|xhtml|md|markdown|gz|json|jsonl))+$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    system: str
    code: str
    evidence: str  # where the code came from: "url", "path", "file name", "breadcrumb", "title", "text"


def identify(
    *,
    url: str | None,
    source_path: str,
    system_line: str | None,
    name_text: str,
    breadcrumb: tuple[str | None, str | None] = (None, None),
    title_code: str | None = None,
) -> Identity | None:
    """Return the page's system and normalized code, or None when no evidence names a code."""
    line_system = system_from_text(system_line) if system_line else None
    candidates: list[tuple[str | None, str, str]] = []
    for evidence, text in (("url", _bare_url(url)), ("path", _saved_path(source_path))):
        if text and (m := _URL_CODE.search(text.replace("\\", "/"))):
            candidates.append((system_from_text(m.group(1)), m.group(2), evidence))
    candidates.extend(_file_name_candidates(source_path))
    if breadcrumb[1]:
        candidates.append((breadcrumb[0], breadcrumb[1], "breadcrumb"))
    if title_code:
        candidates.append((None, title_code, "title"))
    candidates.extend(_text_candidates(name_text, line_system))

    for named_system, raw_code, evidence in candidates:
        system = named_system or line_system or infer_system(raw_code)
        if system and fits_system(raw_code, system):
            return Identity(system, normalize_code(raw_code, system), evidence)
    return None


def url_slug(url: str | None, source_path: str) -> str | None:
    """The words after the code in the page's URL (or crawler path): a hint at the full title."""
    for text in (_bare_url(url), _saved_path(source_path)):
        if text and (m := _URL_CODE.search(text.replace("\\", "/"))) and m.group("slug"):
            return m.group("slug")
    return None


def url_from_path(source_path: str) -> str | None:
    """The page's address when its saved path mirrors the site ("genhealth.ai/code/hcpcs/A0304-…").

    >>> url_from_path("mirror/genhealth.ai/code/hcpcs/A0304-ambulance.txt")
    'https://genhealth.ai/code/hcpcs/A0304-ambulance'
    """
    match = _MIRRORED.search(_saved_path(source_path))
    return f"https://{match.group('host').lower()}/{match.group('path')}" if match else None


def name_capped(url: str | None, source_path: str, cap: int) -> bool:
    """True when the title hint comes from a saved file whose name is as long as a crawler allows."""
    if url and _URL_CODE.search(_bare_url(url) or ""):
        return False
    name = PurePath(_saved_path(source_path)).name
    return len(_EXTENSIONS.sub("", name)) >= cap


def _saved_path(source_path: str) -> str:
    """The saved file's own path, "/"-separated: an archive member's name or a WARC record's
    URL (all that follows the input's "#"), else the input's path — all of it, even when the
    file's name holds a "#" (escaped in its source); "" for a JSONL line."""
    return saved_path(source_path).replace("\\", "/")


def _bare_url(url: str | None) -> str | None:
    return re.split(r"[?#]", url, maxsplit=1)[0] if url else None


def _text_candidates(name_text: str, line_system: str | None) -> list[tuple[str | None, str, str]]:
    """Codes in parentheses in the name block, the likeliest to be the page's own first.

    A page may mention other codes there ("replaces (J9229)"): a code labelled with its system
    comes before a bare one, and one that fits the system line before one that does not.
    """
    found = []
    for position, m in enumerate(_PAREN_CODE.finditer(name_text)):
        named = system_from_text(m.group("system")) if m.group("system") else None
        fits_line = line_system is not None and fits_system(m.group("code"), named or line_system)
        found.append(((named is None, not fits_line, position), (named, m.group("code"), "text")))
    return [candidate for _, candidate in sorted(found)]


def _file_name_candidates(source_path: str) -> list[tuple[str | None, str, str]]:
    """Read "hcpcs-C9028.txt", "C9028.html" or "99213-office-visit.txt" as (system, code)."""
    name = PurePath(_saved_path(source_path)).name
    stem = _EXTENSIONS.sub("", name)
    words = [w for w in re.split(r"[-_ ]+", stem) if w]
    if not words:
        return []
    named = system_from_text(words[0])
    if named and len(words) > 1:
        return [(named, words[1], "file name")]
    return [(None, words[0], "file name")]
