"""Where a code sits in its classification: the categories above an ICD-10-CM code."""

from __future__ import annotations

from medcodes.pipeline.codes import ICD10CM, normalize_code

# An ICD-10-CM category has three characters; every longer prefix of a code is a subcategory.
_CATEGORY_LENGTH = 3


def parent_keys(system: str, code: str) -> list[str]:
    """Document keys of the categories above a code, broadest first.

    >>> parent_keys("icd10cm", "W55.31")
    ['icd10cm:W55', 'icd10cm:W55.3']
    """
    if system != ICD10CM:
        return []
    bare = code.replace(".", "")
    return [
        f"{ICD10CM}:{normalize_code(bare[:length], ICD10CM)}" for length in range(_CATEGORY_LENGTH, len(bare))
    ]
