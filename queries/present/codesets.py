"""Code-set facts as text lines: what a load changed, and a code's official attributes."""

from __future__ import annotations

from typing import Any

from medcodes.pipeline.codes import SYSTEM_LABELS
from medcodes.pipeline.codesets.changes import ReleaseChanges
from medcodes.pipeline.codesets.entry import CodeSetRelease
from medcodes.pipeline.codesets.overlap import DISAGREE_BELOW
from medcodes.queries.codesets.lookup import FoundCode
from medcodes.queries.codesets.report import CodeSetReport, PageFinding
from medcodes.queries.codesets.status import NO_CODE_SET, CodeStatus
from medcodes.queries.present.printable import printable
from medcodes.queries.present.text import page_to_json

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
    head = printable(f"loaded {release.name} ({version}{release.file})")
    if not changes.old:
        return f"{head}: {len(changes.added):,} codes, first release of {release.system}"
    parts = []
    for attribute, label in _KINDS:
        codes: list[str] = getattr(changes, attribute)
        if codes:
            named = ", ".join(codes[:NAMED]) + (", …" if len(codes) > NAMED else "")
            parts.append(f"{len(codes):,} {label} ({named})")
    return f"{head}: since {printable(changes.old)}: " + printable("; ".join(parts) if parts else "no change")


def code_set_dict(status: CodeStatus, release: CodeSetRelease | None) -> dict[str, Any]:
    """A code's official attributes for `show --json` and the server's /codes: always status and
    billable; the entry's attributes and its release when a code set lists the code."""
    data: dict[str, Any] = {"status": status.status, "billable": status.billable}
    entry = status.entry
    if entry is None:
        return data
    data.update(
        descriptor=entry.descriptor,
        header=entry.header,
        release=entry.release,
        version=release.version if release else None,
    )
    optional = {
        "kind": entry.kind or None,
        "active": entry.active if entry.kind else None,
        "added": entry.added.isoformat() if entry.added else None,
        "effective": entry.effective.isoformat() if entry.effective else None,
        "terminated": entry.terminated.isoformat() if entry.terminated else None,
        "action": entry.action or None,
        "parent": entry.parent,
        "chapter": entry.chapter,
        "block": entry.block,
        "seventh": dict(entry.seventh) or None,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def found_to_json(found: FoundCode) -> str:
    """A code as `show --json` and the server's /codes print it: its page, "code_set" and "no_page"."""
    return page_to_json(found.page, code_set_dict(found.status, found.release), no_page=found.no_page)


def format_code_set(system: str, status: CodeStatus, release: CodeSetRelease | None) -> list[str]:
    """The lines `show` prints above a page's sections: what the official code set says."""
    label = SYSTEM_LABELS.get(system, system)
    entry = status.entry
    if entry is None:
        if status.status == NO_CODE_SET:
            return [f"Code set: none loaded for {label}"]
        where = f" {release.name}" if release else ""
        return [f"Code set: unknown code (not in{where or ' the loaded ' + label + ' code set'})"]
    version = release.version if release and release.version else entry.release
    billing = "billable" if status.billable else "not billable"
    facts = [status.status, billing]
    if entry.kind:
        facts.append(entry.kind)
    lines = [f"Code set: {label} {version}: {', '.join(facts)}"]
    dates = [
        f"{name} {value.isoformat()}"
        for name, value in (
            ("added", entry.added),
            ("effective", entry.effective),
            ("terminated", entry.terminated),
        )
        if value is not None
    ]
    if entry.action:
        dates.append(f"action {entry.action}")
    if dates:
        lines.append("  " + ", ".join(dates))
    place = [
        f"{name} {value}"
        for name, value in (("parent", entry.parent), ("chapter", entry.chapter), ("block", entry.block))
        if value
    ]
    if place:
        lines.append("  " + ", ".join(place))
    lines.append(f"  official descriptor: {entry.descriptor}")
    if entry.seventh:
        lines.append("  7th characters: " + "; ".join(f"{char} {meaning}" for char, meaning in entry.seventh))
    return lines


def format_report(report: CodeSetReport, shown: int = 20) -> str:
    """The report for people: counts, then the first `shown` pages of each finding."""
    lines = [
        f"{report.pages:,} pages compared with {report.codes:,} code-set entries on {report.day.isoformat()}"
    ]

    def pages(title: str, findings: list[PageFinding], detail: str) -> None:
        lines.append("")
        lines.append(f"{title}: {len(findings):,}")
        for finding in findings[:shown]:
            extra = f"  ({detail} {finding.detail})" if finding.detail else ""
            label = SYSTEM_LABELS.get(finding.system, finding.system)
            lines.append(printable(f"  {label:<10} {finding.code:<9} {finding.title}{extra}"))
        if len(findings) > shown:
            lines.append(f"  … {len(findings) - shown:,} more (--json lists all)")

    pages("Pages for terminated codes", report.terminated, "terminated")
    pages(
        f"Pages whose title disagrees with the official descriptor (shared words < {DISAGREE_BELOW:g})",
        report.title_disagrees,
        "official:",
    )
    total = sum(sum(counts.values()) for counts in report.no_page.values())
    lines.extend(["", f"Codes with no page: {total:,}"])
    for system, counts in report.no_page.items():
        per = ", ".join(f"{chapter} {count:,}" for chapter, count in counts.items())
        lines.append(printable(f"  {SYSTEM_LABELS.get(system, system):<10} {sum(counts.values()):,} ({per})"))
    pages("Page codes in no code set", report.unknown_codes, "")
    if report.no_code_set:
        none = ", ".join(f"{SYSTEM_LABELS.get(s, s)} {n:,}" for s, n in report.no_code_set.items())
        lines.extend(["", f"Pages of systems with no code set loaded: {none}"])
    return "\n".join(lines)
