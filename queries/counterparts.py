"""The same neoplasm site under another behaviour: "secondary … of pylorus" is C78.89.

ICD-10-CM names sites finely under primary malignancy (C16.4 pylorus) and coarsely under the
other behaviours (in situ: stomach D00.2; secondary: other digestive organs C78.89), so a query
joining a behaviour to a fine site finds the site's primary code and not the code it asks for.
queries/data/neoplasm_counterparts.tsv (generated from the tabular list by
bench/make_neoplasm_map.py) maps each neoplasm code to the codes of its site under the other
behaviours; the re-ranker then reads an anchor's site words as names of its counterparts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from pipeline.codes import ICD10CM
from queries.abbreviations import read_table
from queries.expand import ABBREVIATION, EXACT, SYNONYM, Concept

COUNTERPARTS_FILE = "neoplasm_counterparts.tsv"
PRIMARY = "primary"
SECONDARY = "secondary"
IN_SITU = "in situ"
BENIGN = "benign"
UNCERTAIN = "uncertain"
UNSPECIFIED = "unspecified"
# Chapter 2 classifies neoplasms by behaviour first, in these category ranges (C76, malignant
# neoplasm of ill-defined sites, is primary).
BEHAVIOUR_RANGES = (
    ("C00", "C76", PRIMARY),
    ("C77", "C79", SECONDARY),
    ("D00", "D09", IN_SITU),
    ("D10", "D36", BENIGN),
    ("D37", "D48", UNCERTAIN),
    ("D49", "D49", UNSPECIFIED),
)
# Categories classified by morphology, not site (neuroendocrine tumours, melanoma in situ,
# carcinoma in situ of breast, lipoma, haemangioma): they have no counterparts by site.
BY_MORPHOLOGY = frozenset({"C7A", "C7B", "D3A", "C80", "D03", "D05", "D17", "D18"})
# Alternatives that say what the query states, read for a neoplasm's behaviour.
_STATED = frozenset({EXACT, ABBREVIATION, SYNONYM})
# How a query says a behaviour, by analyzed term, the first found deciding (a "secondary
# malignant neoplasm" is secondary, a "malignant neoplasm" primary).
BEHAVIOUR_TERMS = (
    ("secondari", SECONDARY),
    ("metastat", SECONDARY),
    ("situ", IN_SITU),
    ("benign", BENIGN),
    ("uncertain", UNCERTAIN),
    ("malign", PRIMARY),
    ("cancer", PRIMARY),
)
# Words that say a neoplasm's behaviour or morphology: a counterpart takes an anchor's site
# from its names, never its behaviour ("malignant" must not count for a benign code).
_BEHAVIOUR = re.compile(
    r"\b(?:secondary|malignant|benign|neoplasms?|carcinomas?|melanomas?|tumou?rs?|in situ|"
    r"uncertain|behaviou?r|metasta\w*|cancers?)\b",
    re.IGNORECASE,
)


@cache
def counterpart_table() -> dict[str, tuple[str, ...]]:
    """ICD-10-CM code (dotted) -> codes of the same site under the other behaviours."""
    return {columns[0]: tuple(columns[1].split("|")) for columns in read_table(COUNTERPARTS_FILE)}


def counterpart_keys(system: str, code: str) -> tuple[str, ...]:
    """Document keys of a neoplasm code's counterparts, or ().

    >>> counterpart_keys("icd10cm", "C16.4")[:3]
    ('icd10cm:C78.8', 'icd10cm:C78.80', 'icd10cm:C78.89')
    """
    if system != ICD10CM:
        return ()
    return tuple(f"{ICD10CM}:{other}" for other in counterpart_table().get(code, ()))


def code_behaviour(system: str, code: str) -> str | None:
    """The behaviour a neoplasm code is classified by ("C78.89" -> secondary), or None."""
    category = code[:3].upper()
    if system != ICD10CM or category in BY_MORPHOLOGY:
        return None
    for low, high, behaviour in BEHAVIOUR_RANGES:
        if low <= category <= high:
            return behaviour
    return None


def stated_behaviour(concepts: Iterable[Concept]) -> str | None:
    """The behaviour a query's words state, or None ("neoplasm of hip" states none); read from
    what was typed and its known equivalents ("metastatic"), not from guessed words."""
    terms = {t for c in concepts for a in c.alternatives if a.kind in _STATED for t in a.terms}
    for term, behaviour in BEHAVIOUR_TERMS:
        if term in terms:
            return behaviour
    return None


def site_text(text: str) -> str:
    """`text` without its behaviour words: what an anchor lends its counterparts."""
    return _BEHAVIOUR.sub(" ", text)
