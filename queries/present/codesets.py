"""Code-set facts as text lines: what a load changed, and a code's official attributes."""

from __future__ import annotations

from medcodes.pipeline.codesets.changes import ReleaseChanges
from medcodes.pipeline.codesets.entry import CodeSetRelease

# Codes named after a count of changes in a one-line summary.
NAMED = 5
_KINDS = (
    ("added", "added"),
    ("removed", "removed"),
    ("terminated", "terminated"),
    ("descriptor_changed", "descriptors changed"),
    ("reused", "reused (descriptor of another meaning)"),
)


def describe_load(release: CodeSetRelease, changes: ReleaseChanges) -> str:
    """One line per loaded file: the release, then what changed since the one it replaced.

    >>> from medcodes.pipeline.codesets.entry import CodeSetRelease
    >>> r = CodeSetRelease("hcpcs-2025-oct", "hcpcs", "h.csv", "2025-Q4", "t")
    >>> describe_load(r, ReleaseChanges("hcpcs", "", "hcpcs-2025-oct", added=["A1", "A2"]))
    'loaded hcpcs-2025-oct (2025-Q4, h.csv): 2 codes, first release of hcpcs'
    """
    version = f"{release.version}, " if release.version else ""
    head = f"loaded {release.name} ({version}{release.file})"
    if not changes.old:
        return f"{head}: {len(changes.added):,} codes, first release of {release.system}"
    parts = []
    for attribute, label in _KINDS:
        codes: list[str] = getattr(changes, attribute)
        if codes:
            named = ", ".join(codes[:NAMED]) + (", …" if len(codes) > NAMED else "")
            parts.append(f"{len(codes):,} {label} ({named})")
    return f"{head}: since {changes.old}: " + ("; ".join(parts) if parts else "no change")
