"""The intent of an external cause: accident, self-harm, assault, undetermined, legal.

ICD-10-CM chapter 20 files an external cause by intent first, in blocks: accidents (V00-X58),
intentional self-harm (X71-X83), assault (X92-Y09), event of undetermined intent (Y21-Y33),
legal intervention, operations of war and terrorism (Y35-Y38). A query that states an intent
("… suicide", "… stated as undetermined whether accidental or intentional") asks for that
block, however well a code of another block names the object.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.expand.concepts import Concept
from medcodes.queries.icd10cm.axes import block_of, first_stated

ACCIDENT = "accident"
SELF_HARM = "self-harm"
ASSAULT = "assault"
UNDETERMINED = "undetermined"
LEGAL = "legal"
# Blocks of chapter 20 by intent (first three characters of the code).
INTENT_RANGES = (
    ("V00", "X58", ACCIDENT),
    ("X71", "X83", SELF_HARM),
    ("X92", "Y09", ASSAULT),
    ("Y21", "Y33", UNDETERMINED),
    ("Y35", "Y38", LEGAL),
)
# How a query states an intent, by analyzed term, the first found deciding: "undetermined
# whether accidental or intentional" is undetermined, "intentional, homicide" assault.
INTENT_TERMS = (
    ("undetermin", UNDETERMINED),
    ("assault", ASSAULT),
    ("homicid", ASSAULT),
    ("suicid", SELF_HARM),
    ("harm", SELF_HARM),
    ("legal", LEGAL),
    ("war", LEGAL),
    ("terror", LEGAL),
)


def code_intent(system: str, code: str) -> str | None:
    """The intent block of a chapter 20 code ("X77.3" -> self-harm), or None."""
    if system != ICD10CM:
        return None
    category = code[:3].upper()
    return block_of(category, INTENT_RANGES)


def stated_intent(concepts: Iterable[Concept]) -> str | None:
    """The intent a query's words state, or None."""
    return first_stated(concepts, INTENT_TERMS)
