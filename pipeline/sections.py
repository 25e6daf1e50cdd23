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

# The longest known heading, with room for markup ("#### ") and punctuation around it.
_MAX_HEADING_CHARS = max(len(h) for headings in SECTION_HEADINGS.values() for h in headings) + 12
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
    "technical_medical_term_s": "technical_terms",
    "other_name_s": "other_names",
    "aka": "also_known_as",
    "a_k_a": "also_known_as",
    "known_as": "also_known_as",
    "goals_and_outcomes": "goals",
    "goals_expected_outcomes": "goals",
    "symptoms_and_conditions": "symptoms_conditions",
    "preprocedure_instructions": "pre_procedure_instructions",
    "pre_procedure_instruction": "pre_procedure_instructions",
    "tools_and_equipment_used": "tools_equipment",
    "equipment": "tools_equipment",
    "anesthesia": "anesthesia_sedation",
    "anesthesia_and_sedation": "anesthesia_sedation",
    "healthcare_professional": "healthcare_professionals",
    "post_procedure_instructions": "post_procedure_care",
    "restrictions_and_follow_up": "restrictions_follow_up",
    "pros_cons": "pros_and_cons",
}

# Which section a label belongs to: how a page whose headings were lost (the "headless"
# rendering of issue 3) gets its sections back, and which labels may stand alone on a line
# without a colon ("Tools and Equipment" followed by a list).
LABEL_SECTIONS: dict[str, str] = {
    "common_names": "name",
    "technical_terms": "name",
    "also_known_as": "name",
    "other_names": "name",
    "lay_terms": "name",
    "medical_conditions": "purpose",
    "goals": "purpose",
    "symptoms_conditions": "indications",
    "symptoms": "indications",
    "patient_criteria": "indications",
    "pre_procedure_instructions": "preparation",
    "diagnostic_tests": "preparation",
    "tools_equipment": "procedure",
    "anesthesia_sedation": "procedure",
    "healthcare_professionals": "personnel",
    "common_risks": "risks",
    "rare_risks": "risks",
    "expected_benefits": "benefits",
    "timeframe_for_benefits": "benefits",
    "post_procedure_care": "recovery",
    "recovery_time": "recovery",
    "restrictions_follow_up": "recovery",
    "other_treatments": "alternatives",
    "pros_and_cons": "alternatives",
    "during_procedure": "experience",
    "after_procedure": "experience",
}
# Sections whose body is prose rather than labelled items: what an unlabelled block found
# between two placed sections of a headless page can be.
PROSE_SECTIONS = frozenset({"summary", "duration", "setting"})


def fold_heading(text: str) -> str:
    """Lower-case a heading and drop markup and trailing punctuation ("#### Purpose:" -> "purpose")."""
    text = re.sub(r"^[#\s]+", "", text)
    text = re.sub(r"[\s:.\-–—]+$", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def section_for_heading(text: str) -> str | None:
    """The canonical section a heading names, or None when it is not a known heading."""
    if len(text) > _MAX_HEADING_CHARS:
        return None  # every line is asked: most are sentences, far longer than any heading
    return _HEADING_TO_SECTION.get(fold_heading(text))


def slug(text: str) -> str:
    """A field-safe name for an unknown heading ("Cost & Coverage" -> "cost_coverage")."""
    return re.sub(r"[^a-z0-9]+", "_", fold_heading(text)).strip("_") or "untitled"


def label_key(label: str) -> str:
    """Normalize a label's wording ("Common Name(s)" and "Common names:" -> "common_names")."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return _LABEL_SYNONYMS.get(key, key)


def is_known_label(label: str) -> bool:
    """True for the labels the site's template uses, in any of their wordings."""
    return label_key(label) in LABEL_SECTIONS


def section_order(name: str) -> int | None:
    """The position of a canonical section in the page template, None for other sections."""
    return _ORDER.get(name)


_ORDER = {name: index for index, name in enumerate(SECTION_NAMES)}


def is_names_section(name: str) -> bool:
    """A section that lists other names of the code (its name is an alternative-name label)."""
    return name in ALT_NAME_LABELS
