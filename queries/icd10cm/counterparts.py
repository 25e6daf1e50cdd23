"""The same site or object under another behaviour or intent: "secondary … of pylorus" is
C78.89, "burn by hotplate, suicide" X77.3.

ICD-10-CM files neoplasms by behaviour and external causes by intent first, then by site or
object, finely in one block (C16.4 pylorus; X15.2 contact with hotplate) and coarsely in the
others (secondary: other digestive organs C78.89; self-harm: hot household appliances X77.3).
A query joining a behaviour or intent to a fine site or object finds the fine code of the
wrong block. queries/data/counterparts.tsv (generated from the tabular list by
bench/make_counterparts.py) maps each such code to the codes of its site or object in the
other blocks; the re-ranker reads an anchor's site words as names of its counterparts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.expand.abbreviations import read_table
from medcodes.queries.expand.concepts import Concept
from medcodes.queries.icd10cm.behaviour import code_behaviour, stated_behaviour
from medcodes.queries.icd10cm.intent import code_intent, stated_intent

COUNTERPARTS_FILE = "counterparts.tsv"
# The axes a counterpart crosses: what a query states, and which block a code is in.
AXES: tuple[tuple[Callable[[Iterable[Concept]], str | None], Callable[[str, str], str | None]], ...] = (
    (stated_behaviour, code_behaviour),
    (stated_intent, code_intent),
)
# Words that say a behaviour, morphology or intent: a counterpart takes an anchor's site or
# object from its names, never its block ("malignant" must not count for a benign code).
_BLOCK_WORDS = re.compile(
    r"\b(?:secondary|malignant|benign|neoplasms?|carcinomas?|melanomas?|tumou?rs?|in situ|"
    r"uncertain|behaviou?r|metasta\w*|cancers?|accidental|intentional|self-harm|assault|"
    r"undetermined|intent)\b",
    re.IGNORECASE,
)


@cache
def counterpart_table() -> dict[str, tuple[str, ...]]:
    """ICD-10-CM code (dotted) -> codes of the same site or object in the other blocks."""
    return {columns[0]: tuple(columns[1].split("|")) for columns in read_table(COUNTERPARTS_FILE)}


def counterpart_keys(system: str, code: str) -> tuple[str, ...]:
    """Document keys of a code's counterparts, or ().

    >>> counterpart_keys("icd10cm", "C16.4")[:3]
    ('icd10cm:C78.8', 'icd10cm:C78.80', 'icd10cm:C78.89')
    """
    if system != ICD10CM:
        return ()
    return tuple(f"{ICD10CM}:{other}" for other in counterpart_table().get(code, ()))


def site_text(text: str) -> str:
    """`text` without its behaviour and intent words: what an anchor lends its counterparts."""
    return _BLOCK_WORDS.sub(" ", text)
