"""What changed for one system between two releases: added, removed, terminated, descriptor
changed, and reused (the descriptor changed so much that the code now means something else).

Loading a newer release records these in the index (codes only); `codesets diff` lists changes
with their descriptors (diff.py). Both weigh reuse by diff.word_overlap against diff.REUSED_BELOW,
so they agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from medcodes.pipeline.codesets.diff import in_force, is_reused, word_weights
from medcodes.pipeline.codesets.entry import CodeSetEntry

# Codes listed per kind of change in a summary; the counts are always complete.
EXAMPLES = 20


@dataclass(frozen=True)
class ReleaseChanges:
    """The codes of one system that changed from `old` to `new` release (sorted lists)."""

    system: str
    old: str  # release name, "" when nothing of this system was loaded before
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # no longer listed at all
    terminated: list[str] = field(default_factory=list)  # listed, newly terminated or inactive
    descriptor_changed: list[str] = field(default_factory=list)  # reworded, same meaning
    reused: list[str] = field(default_factory=list)  # descriptor of another meaning

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "terminated": len(self.terminated),
            "descriptor_changed": len(self.descriptor_changed),
            "reused": len(self.reused),
        }

    def to_dict(self, examples: int | None = EXAMPLES) -> dict[str, Any]:
        """JSON-ready: counts, and the codes of each kind (the first `examples`; None: all)."""
        kinds = ("added", "removed", "terminated", "descriptor_changed", "reused")
        return {
            "system": self.system,
            "old": self.old or None,
            "new": self.new,
            "counts": self.counts(),
            "codes": {kind: getattr(self, kind)[:examples] for kind in kinds},
        }


def release_changes(
    system: str, old_release: str, new_release: str, old: Iterable[CodeSetEntry], new: Iterable[CodeSetEntry]
) -> ReleaseChanges:
    """Compare the entries of one system in two releases."""
    before = {entry.code: entry for entry in old}
    after = {entry.code: entry for entry in new}
    changes = ReleaseChanges(system, old_release, new_release)
    changes.added.extend(sorted(after.keys() - before.keys()))
    changes.removed.extend(sorted(before.keys() - after.keys()))
    weights = word_weights(e.descriptor for e in (*before.values(), *after.values()))
    for code in sorted(after.keys() & before.keys()):
        was, now = before[code], after[code]
        if in_force(was) and not in_force(now):
            changes.terminated.append(code)
        if was.descriptor != now.descriptor:
            reused = is_reused(was.descriptor, now.descriptor, weights)
            kind = changes.reused if reused else changes.descriptor_changed
            kind.append(code)
    return changes
