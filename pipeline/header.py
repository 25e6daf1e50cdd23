"""Recognize the lines of a page's header: site line, system line, category line, breadcrumb.

Shared by both front ends, so that a text dump and an HTML page with the same header quirks
(issue 3, variations 5 and 6) are read the same way.
"""

from __future__ import annotations

import re

from medcodes.pipeline.codes import WHOLE_CODE_TOKEN, infer_system, system_from_text

SITE_LINES = frozenset({"search all medical codes"})
# "HCPCS code", "CPT4 code", "ICD-10-CM code": a line that only names the code system.
_SYSTEM_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 .-]{1,20}?)\s+codes?\s*$", re.IGNORECASE)
# "HCPCSDMEPOS" under the system line of the breadcrumb template: one upper-case word that
# starts with a system's name (the site's category of the code).
_CATEGORY_LINE = re.compile(r"^(?:HCPCS|CPT4?|ICD10(?:CM|PCS)?)[A-Z0-9]{2,24}$")
# "Codes / HCPCS / A4253", "Home › CPT › 45380": three or more parts split by a separator.
_BREADCRUMB_SPLIT = re.compile(r"\s+[/›»>|]\s+|\s*[›»]\s*")


def is_site_line(line: str) -> bool:
    return line.strip().lower() in SITE_LINES


def is_system_line(line: str) -> bool:
    match = _SYSTEM_LINE.match(line)
    return bool(match and system_from_text(match.group(1)))


def is_category_line(line: str) -> bool:
    return bool(_CATEGORY_LINE.match(line.strip()))


def read_breadcrumb(line: str) -> tuple[str | None, str] | None:
    """(system, code) from a breadcrumb such as "Codes / HCPCS / A4253"; None for other lines."""
    parts = [part.strip() for part in _BREADCRUMB_SPLIT.split(line.strip()) if part.strip()]
    if len(parts) < 3 or any(len(part) > 40 for part in parts):
        return None
    return read_breadcrumb_parts(parts)


def read_breadcrumb_parts(parts: list[str]) -> tuple[str | None, str] | None:
    """The last part is the code; the nearest part naming a system before it names the system."""
    code = parts[-1].split()[0] if parts and parts[-1].split() else ""
    if not WHOLE_CODE_TOKEN.match(code.upper()):
        return None
    system = next((s for part in reversed(parts[:-1]) if (s := system_from_text(part))), None)
    if system is None and infer_system(code) is None:
        return None
    return system, code
