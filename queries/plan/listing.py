"""The stretches of page keys a code listing (stems, prefixes, ranges) covers.

A key is `system:CODE`, and keys sort in code order within a system, so "every code from S00 to
T88" is a stretch of the key lexicon, which the engine lists straight off it
(medcodes.index.engine.listing) rather than as a union of one posting list per code.
"""

from __future__ import annotations

from medcodes.index.search_plan import KeySpan
from medcodes.pipeline.codes import SYSTEMS, infer_system, normalize_code

# Sorts after every character a code may hold: the end of a stretch (of keys or of code
# terms) includes its subcodes.
AFTER_CODES = "\uffff"


def prefix_spans(stem: str, systems: tuple[str, ...] = ()) -> list[KeySpan]:
    """Every code beginning with `stem`, in each system (J92 -> J9200…, and ICD J92, J92.9)."""
    stem = stem.rstrip(".*")
    spans = []
    for system in systems or SYSTEMS:
        start = f"{system}:{normalize_code(stem, system)}"
        spans.append(KeySpan(start, start + AFTER_CODES))
    return spans


def range_spans(low: str, high: str, systems: tuple[str, ...] = ()) -> list[KeySpan]:
    """Codes from `low` to `high` and `high`'s subcodes, in the system the ends belong to."""
    system = infer_system(low) or infer_system(high)
    wanted = [system] if system else list(SYSTEMS)
    spans = []
    for name in wanted:
        if systems and name not in systems:
            continue
        ends = sorted((normalize_code(low, name), normalize_code(high, name)))
        spans.append(KeySpan(f"{name}:{ends[0]}", f"{name}:{ends[1]}{AFTER_CODES}"))
    return spans
