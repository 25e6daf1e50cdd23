"""Canonical section names, the headings that mean them, and label normalization.

The site writes two templates: the procedure template (every HCPCS and CPT page, most ICD
pages) and the condition template of ICD-10-CM diagnosis pages ("Name of the Condition",
"Causes", "Risk Factors", …; issue 12). Both share "name" and "summary".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Canonical sections in page order, each with the headings (folded) that name it.
SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "name": (
        "name of the procedure",
        "procedure name",
        "name of procedure",
        "name of the condition",
        "condition name",
    ),
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

# The condition template, in page order. Its own sections are named by the slug of their usual
# heading, so that an HTML page (which keeps any heading under its slug) and a text page agree.
# Its headings are read as headings only on a condition page (`is_condition_page`): on a
# procedure page "Symptoms" or "Diagnosis" is a label or a line of text.
CONDITION_HEADINGS: dict[str, tuple[str, ...]] = {
    "name": SECTION_HEADINGS["name"],
    "summary": SECTION_HEADINGS["summary"],
    "causes": ("causes", "cause", "causes and risk factors"),
    "risk_factors": ("risk factors",),
    "symptoms": ("symptoms", "signs and symptoms", "signs", "symptoms and signs"),
    "diagnosis": ("diagnosis", "diagnostic tests", "how it is diagnosed"),
    "treatment_options": ("treatment options", "treatment", "treatments", "management"),
    "prognosis_and_follow_up": ("prognosis and follow-up", "prognosis", "follow-up", "outlook"),
    "risks": ("complications", "possible complications"),
    "prevention": ("prevention",),
}
CONDITION_SECTIONS: tuple[str, ...] = tuple(CONDITION_HEADINGS)
# Headings that only a condition page has: its name heading, or two of the others (on a
# procedure page a lone "Causes:" may be a label).
_CONDITION_NAMES = frozenset({"name of the condition", "condition name"})
_CONDITION_MARKERS = frozenset({"causes", "risk factors", "treatment options", "prognosis and follow-up"})

# The longest known heading, with room for markup ("#### ") and punctuation around it.
_MAX_HEADING_CHARS = (
    max(len(h) for template in (SECTION_HEADINGS, CONDITION_HEADINGS) for hs in template.values() for h in hs)
    + 12
)
_HEADING_TO_SECTION = {heading: name for name, headings in SECTION_HEADINGS.items() for heading in headings}
_CONDITION_HEADING_TO_SECTION = {
    heading: name for name, headings in CONDITION_HEADINGS.items() for heading in headings
}

# Labels whose text names the code in other words: kept as searchable alternative names.
ALT_NAME_LABELS = frozenset({"common_names", "technical_terms", "also_known_as", "other_names", "lay_terms"})

# Label wordings are open-ended ("Medical Conditions or Problems Addressed", "Diagnostic Tests
# or Assessments", "Technical or Medical Terms"; issue 12), so a label is folded to its key by
# its head words, not by a list of wordings: each key names groups of words of which the label
# must have one each, and the other words its wordings may add. The first key that fits wins.
_LABEL_HEADS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("common_names", ("common popular everyday", "name"), ""),
    ("technical_terms", ("technical medical scientific clinical", "term terminology name"), ""),
    ("other_names", ("other alternative alternate", "name"), ""),
    ("also_known_as", ("known aka",), "also as"),
    ("lay_terms", ("lay layman laymans", "term name"), ""),
    (
        "symptoms_conditions",
        ("symptom", "condition sign"),
        "specific warranting procedure indicating requiring",
    ),
    ("symptoms", ("symptom",), "specific"),
    ("medical_conditions", ("condition problem", "medical address addressed treated problem"), "targeted"),
    ("goals", ("goal outcome objective",), "expected desired main"),
    ("patient_criteria", ("criteria criterion eligibility",), "patient factor selection"),
    ("pre_procedure_instructions", ("pre preprocedure preoperative", "instruction"), "procedure patient"),
    (
        "diagnostic_tests",
        ("test testing",),
        "diagnostic assessment evaluation pre preoperative additional lab",
    ),
    ("tools_equipment", ("tool equipment instrument",), "used needed required supplies material"),
    ("anesthesia_sedation", ("anesthesia anaesthesia",), "sedation type used"),
    (
        "healthcare_professionals",
        ("professional personnel staff provider team",),
        "healthcare health care involved",
    ),
    ("common_risks", ("common",), "risk complication side effect include"),
    ("rare_risks", ("rare uncommon serious",), "risk complication side effect include but"),
    ("timeframe_for_benefits", ("timeframe time when", "benefit"), "frame see"),
    ("expected_benefits", ("benefit",), "expected potential key main"),
    (
        "post_procedure_care",
        ("post postprocedure after aftercare", "care instruction aftercare"),
        "procedure home",
    ),
    ("recovery_time", ("recovery",), "time period"),
    ("restrictions_follow_up", ("restriction",), "follow up activity"),
    ("other_treatments", ("other alternative", "treatment option therapy"), ""),
    ("pros_and_cons", ("pro con advantage disadvantage",), ""),
    ("during_procedure", ("during",), "procedure treatment visit"),
    ("after_procedure", ("after",), "procedure treatment visit"),
)
# Abbreviations of a label that no head word can tell.
_LABEL_ABBREVIATIONS = {"aka": "also_known_as", "a_k_a": "also_known_as"}
# Words that join a label's words and say nothing about it.
_LABEL_JOINERS = frozenset(
    {"or", "and", "the", "of", "for", "a", "an", "to", "s", "it", "its", "with", "in", "on"}
)


def _label_word(word: str) -> str:
    """A label word in the singular ("conditions" -> "condition", "addresses" -> "address")."""
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("ies"):
        return f"{word[:-3]}y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _fold_label(words: list[str]) -> str | None:
    if not _LABEL_WORDS.issuperset(words):  # most lines of a page: no label has all their words
        return None
    for key, groups, others in _LABEL_HEAD_SETS:
        if all(w in others for w in words) and all(not group.isdisjoint(words) for group in groups):
            return key
    return None


_LABEL_HEAD_SETS = tuple(
    (
        key,
        tuple(frozenset(map(_label_word, g.split())) for g in groups),
        frozenset(_label_word(w) for w in (" ".join(groups) + " " + others).split()),
    )
    for key, groups, others in _LABEL_HEADS
)
_LABEL_WORDS = frozenset().union(*(others for _, _, others in _LABEL_HEAD_SETS))

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


def fold_heading(text: str) -> str:
    """Lower-case a heading and drop markup and trailing punctuation ("#### Purpose:" -> "purpose")."""
    text = re.sub(r"^[#\s]+", "", text)
    text = re.sub(r"[\s:.\-–—]+$", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def section_for_heading(text: str, condition: bool = False) -> str | None:
    """The canonical section a heading names, or None when it is not a known heading.

    `condition`: the page uses the condition template, whose headings are then known too.
    """
    if len(text) > _MAX_HEADING_CHARS:
        return None  # every line is asked: most are sentences, far longer than any heading
    folded = fold_heading(text)
    if condition and folded in _CONDITION_HEADING_TO_SECTION:
        return _CONDITION_HEADING_TO_SECTION[folded]
    return _HEADING_TO_SECTION.get(folded)


def is_condition_page(lines: Iterable[str]) -> bool:
    """True when the lines hold the headings that only the condition template has."""
    folded = {fold_heading(line) for line in lines if len(line) <= _MAX_HEADING_CHARS}
    return bool(folded & _CONDITION_NAMES) or len(folded & _CONDITION_MARKERS) >= 2


def template_sections(condition: bool) -> tuple[str, ...]:
    """The canonical sections of a page's template, in page order."""
    return CONDITION_SECTIONS if condition else SECTION_NAMES


def slug(text: str) -> str:
    """A field-safe name for an unknown heading ("Cost & Coverage" -> "cost_coverage")."""
    return re.sub(r"[^a-z0-9]+", "_", fold_heading(text)).strip("_") or "untitled"


@lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """Normalize a label's wording ("Common Name(s)", "Common names:" -> "common_names").

    A label the template knows folds to its key by its head words ("Medical Conditions or
    Problems Addressed" -> "medical_conditions"); any other keeps its own words as a key.
    """
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if key in _LABEL_ABBREVIATIONS:
        return _LABEL_ABBREVIATIONS[key]
    words = [_label_word(w) for w in key.split("_") if w and w not in _LABEL_JOINERS]
    return (_fold_label(words) if words else None) or key


def is_known_label(label: str) -> bool:
    """True for the labels the site's template uses, in any of their wordings."""
    return label_key(label) in LABEL_SECTIONS


def section_order(name: str, condition: bool = False) -> int | None:
    """The position of a canonical section in the page's template, None for other sections."""
    return (_CONDITION_ORDER if condition else _ORDER).get(name)


_ORDER = {name: index for index, name in enumerate(SECTION_NAMES)}
_CONDITION_ORDER = {name: index for index, name in enumerate(CONDITION_SECTIONS)}


def is_names_section(name: str) -> bool:
    """A section that lists other names of the code (its name is an alternative-name label)."""
    return name in ALT_NAME_LABELS
