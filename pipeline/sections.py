"""Canonical section names, the headings that mean them, and label normalization."""

from __future__ import annotations

import re

# Canonical sections in page order, each with the headings (folded) that name it.
SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "name": ("name of the procedure", "procedure name", "name of procedure"),
    "summary": ("summary", "overview"),
    "purpose": ("purpose", "purpose of the procedure"),
    "indications": ("indications", "indication"),
    "preparation": ("preparation", "preparations", "patient preparation"),
    "procedure": (
        "procedure description",
        "description of the procedure",
        "procedure",
        "procedure details",
    ),
    "duration": ("duration", "procedure duration"),
    "setting": ("setting", "settings", "place of service"),
    "personnel": ("personnel", "staff"),
    "risks": ("risks and complications", "risks", "complications", "risks & complications"),
    "benefits": ("benefits", "expected benefits"),
    "recovery": ("recovery", "aftercare"),
    "alternatives": ("alternatives", "alternative treatments"),
    "experience": ("patient experience", "what to expect"),
}
SECTION_NAMES: tuple[str, ...] = tuple(SECTION_HEADINGS)

_HEADING_TO_SECTION = {heading: name for name, headings in SECTION_HEADINGS.items() for heading in headings}

# Labels whose text names the code in other words: kept as searchable alternative names.
ALT_NAME_LABELS = frozenset({"common_names", "technical_terms", "also_known_as", "other_names", "lay_terms"})

# Different wordings of one label, folded to one key (after `label_key`).
_LABEL_SYNONYMS = {
    "common_name": "common_names",
    "common_name_s": "common_names",
    "common_names_s": "common_names",
    "technical_medical_term": "technical_terms",
    "technical_medical_terms": "technical_terms",
    "technical_term": "technical_terms",
    "medical_term": "technical_terms",
    "medical_terms": "technical_terms",
    "goals_outcomes": "goals",
    "goals_or_expected_outcomes": "goals",
    "pre_procedure_instructions": "pre_procedure_instructions",
    "tools_and_equipment": "tools_equipment",
    "tools_equipment": "tools_equipment",
    "anesthesia_or_sedation": "anesthesia_sedation",
    "anesthesia_sedation": "anesthesia_sedation",
}


def fold_heading(text: str) -> str:
    """Lower-case a heading and drop markup and trailing punctuation ("#### Purpose:" -> "purpose")."""
    text = re.sub(r"^[#\s]+", "", text)
    text = re.sub(r"[\s:.\-–—]+$", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def section_for_heading(text: str) -> str | None:
    """The canonical section a heading names, or None when it is not a known heading."""
    return _HEADING_TO_SECTION.get(fold_heading(text))


def slug(text: str) -> str:
    """A field-safe name for an unknown heading ("Cost & Coverage" -> "cost_coverage")."""
    return re.sub(r"[^a-z0-9]+", "_", fold_heading(text)).strip("_") or "untitled"


def label_key(label: str) -> str:
    """Normalize a label's wording ("Common Name(s)" and "Common names:" -> "common_names")."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return _LABEL_SYNONYMS.get(key, key)
