"""The behaviour of a neoplasm: primary or secondary malignant, in situ, benign, uncertain.

ICD-10-CM chapter 2 classifies neoplasms by behaviour first, in blocks of categories, and by
site within each. A query that states a behaviour ("secondary malignant neoplasm of …") asks
for that block, however well a code of another block names the site.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.expand.concepts import Concept
from medcodes.queries.icd10cm.axes import block_of, first_stated

PRIMARY = "primary"
SECONDARY = "secondary"
IN_SITU = "in situ"
BENIGN = "benign"
UNCERTAIN = "uncertain"
UNSPECIFIED = "unspecified"
# The behaviour blocks by category (C76, malignant neoplasm of ill-defined sites, is primary).
BEHAVIOUR_RANGES = (
    ("C00", "C76", PRIMARY),
    ("C77", "C79", SECONDARY),
    ("D00", "D09", IN_SITU),
    ("D10", "D36", BENIGN),
    ("D37", "D48", UNCERTAIN),
    ("D49", "D49", UNSPECIFIED),
)
# Categories classified by morphology, not site (neuroendocrine tumours, melanoma in situ,
# carcinoma in situ of breast, lipoma, haemangioma): no behaviour block to hold them to.
BY_MORPHOLOGY = frozenset({"C7A", "C7B", "D3A", "C80", "D03", "D05", "D17", "D18"})
# How a query states a behaviour, by analyzed term, the first found deciding (a "secondary
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


def code_behaviour(system: str, code: str) -> str | None:
    """The behaviour block of a neoplasm code ("C78.89" -> secondary), or None."""
    category = code[:3].upper()
    if system != ICD10CM or category in BY_MORPHOLOGY:
        return None
    return block_of(category, BEHAVIOUR_RANGES)


def stated_behaviour(concepts: Iterable[Concept]) -> str | None:
    """The behaviour a query's words state, or None ("neoplasm of hip" states none); read from
    what was typed and its known equivalents ("metastatic"), not from guessed words."""
    return first_stated(concepts, BEHAVIOUR_TERMS)
