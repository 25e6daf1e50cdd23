"""Scope names a user may type (`risks:`, `complications:`, `prep:` …) and the field each means."""

from __future__ import annotations

# Scope names a user may type, mapped to the index field (or pseudo-field) they search.
FIELD_ALIASES: dict[str, str] = {
    "title": "title",
    "name": "name",
    "names": "names",
    "aka": "names",
    "summary": "summary",
    "purpose": "purpose",
    "goals": "purpose",
    "indications": "indications",
    "indication": "indications",
    "indicated": "indications",
    "prep": "preparation",
    "preparation": "preparation",
    "procedure": "procedure",
    "steps": "procedure",
    "description": "procedure",
    "duration": "duration",
    "setting": "setting",
    "personnel": "personnel",
    "staff": "personnel",
    "risks": "risks",
    "risk": "risks",
    "complications": "risks",
    "benefits": "benefits",
    "recovery": "recovery",
    "aftercare": "recovery",
    "alternatives": "alternatives",
    "experience": "experience",
    "other": "other",
    "code": "code",
    "system": "system",
}
