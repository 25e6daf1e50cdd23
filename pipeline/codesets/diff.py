"""What changed between two releases of one code system: added, terminated, descriptor changed,
and which changed descriptors mean something else now (a reused code).

Pure over entries, so that `medcodes codesets diff OLD NEW` and a load of a newer release
report changes the same way.

Reused: CMS and CDC reword descriptors all the time ("…, with delivery system" gains a clause),
and now and then give a code to another item. Word overlap tells the two apart, weighted by
how rare each word is across both releases: "injection", "mg", "per" and "unspecified" are in
thousands of descriptors and say nothing of meaning, the drug, device or body part does. The
overlap is the weight of the shared words over the weight of the shorter descriptor's words
(a descriptor that only gained words keeps 1.0); below REUSED_BELOW, the code is flagged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from medcodes.errors import MedcodesError
from medcodes.pipeline.codesets.entry import CodeSetEntry
from medcodes.pipeline.codesets.overlap import JOINING_WORDS

# Below this weighted overlap a changed descriptor is taken for another meaning: a reworded
# descriptor keeps its rare words, a reused code at most the generic ones ("injection", a unit).
# A judgement, not a fit (no file here pairs old and new descriptors of real changes); what was
# measured: 2,000 random pairs of unrelated HCPCS October 2025 descriptors, weighted over that
# file, score a median 0.0, 99th percentile 0.25, and 0.1% of them 0.5 or more.
REUSED_BELOW = 0.5
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


class ReleaseMismatchError(MedcodesError, ValueError):
    """Two releases that cannot be compared: not of one code system."""


@dataclass(frozen=True)
class TerminatedCode:
    """A code billable in the old release that the new one terminates (still listed, with a
    date: HCPCS) or no longer lists (ICD-10-CM deletes codes)."""

    code: str
    descriptor: str
    terminated: date | None
    listed: bool

    def to_dict(self) -> dict[str, Any]:
        when = self.terminated.isoformat() if self.terminated else None
        return {"code": self.code, "descriptor": self.descriptor, "terminated": when, "listed": self.listed}


@dataclass(frozen=True)
class DescriptorChange:
    code: str
    old: str
    new: str
    overlap: float  # weighted word overlap, 0 to 1
    reused: bool  # overlap below REUSED_BELOW: it names something else now

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "old": self.old,
            "new": self.new,
            "overlap": round(self.overlap, 3),
            "reused": self.reused,
        }


@dataclass(frozen=True)
class ReleaseDiff:
    system: str
    old: str  # release names
    new: str
    added: tuple[CodeSetEntry, ...]
    terminated: tuple[TerminatedCode, ...]
    changed: tuple[DescriptorChange, ...]

    @property
    def reused(self) -> tuple[DescriptorChange, ...]:
        return tuple(change for change in self.changed if change.reused)

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "old": self.old,
            "new": self.new,
            "added": [{"code": e.code, "descriptor": e.descriptor} for e in self.added],
            "terminated": [t.to_dict() for t in self.terminated],
            "changed": [c.to_dict() for c in self.changed],
            "reused": [c.code for c in self.reused],
        }


def diff_releases(
    old: Iterable[CodeSetEntry], new: Iterable[CodeSetEntry], old_name: str = "old", new_name: str = "new"
) -> ReleaseDiff:
    """Compare two releases of one system, code by code (codes in code order)."""
    before = {entry.code: entry for entry in old}
    after = {entry.code: entry for entry in new}
    systems = {entry.system for entry in (*before.values(), *after.values())}
    if len(systems) > 1:
        raise ReleaseMismatchError(f"releases of different code systems: {', '.join(sorted(systems))}")
    weights = word_weights(e.descriptor for e in (*before.values(), *after.values()))
    added = tuple(after[code] for code in sorted(after.keys() - before.keys()))
    terminated = []
    changed = []
    for code in sorted(before):
        was, now = before[code], after.get(code)
        if now is None:
            if in_force(was):
                terminated.append(TerminatedCode(code, was.descriptor, None, listed=False))
            continue
        if in_force(was) and not in_force(now):
            terminated.append(TerminatedCode(code, now.descriptor, now.terminated, listed=True))
        if was.descriptor != now.descriptor:
            overlap = word_overlap(was.descriptor, now.descriptor, weights)
            changed.append(
                DescriptorChange(code, was.descriptor, now.descriptor, overlap, overlap < REUSED_BELOW)
            )
    system = next(iter(systems), "")
    return ReleaseDiff(system, old_name, new_name, added, tuple(terminated), tuple(changed))


def in_force(entry: CodeSetEntry) -> bool:
    """True when the release lists `entry` as active and not terminated."""
    return entry.active and entry.terminated is None


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in JOINING_WORDS}


def word_weights(descriptors: Iterable[str]) -> dict[str, float]:
    """Each word's inverse document frequency over `descriptors`: log(N / descriptors with it)."""
    counts: Counter[str] = Counter()
    total = 0
    for descriptor in descriptors:
        counts.update(_words(descriptor))
        total += 1
    return {word: math.log((total + 1) / count) for word, count in counts.items()}


def word_overlap(old: str, new: str, weights: dict[str, float]) -> float:
    """The weight of the words `old` and `new` share over the weight of the lighter one's words;
    1.0 when either has no words (nothing to compare)."""
    a, b = _words(old), _words(new)
    lightest = min(sum(weights.get(w, 1.0) for w in a), sum(weights.get(w, 1.0) for w in b))
    if lightest <= 0:
        return 1.0
    return min(1.0, sum(weights.get(w, 1.0) for w in a & b) / lightest)


def is_reused(old: str, new: str, weights: dict[str, float]) -> bool:
    """True when `new` describes something else than `old` (a code given another meaning): the
    test of reuse for what a load records (changes.py); `diff_releases` applies the same
    REUSED_BELOW to the overlap it keeps for `codesets diff`."""
    return word_overlap(old, new, weights) < REUSED_BELOW
