"""Validation verdicts and release differences for people: one line per typed code (typed
input and release text are printed without their control sequences, JSON exact)."""

from __future__ import annotations

from medcodes.pipeline.codes import SYSTEM_LABELS
from medcodes.pipeline.codesets.diff import ReleaseDiff
from medcodes.queries.present.printable import json_text, printable
from medcodes.queries.validate.verdict import VERDICTS, Verdict

# Fixed widths, so that a batch read from a pipe is printed as it is answered and still lines up.
INPUT_WIDTH = 10
VERDICT_WIDTH = max(len(v) for v in VERDICTS)
CODE_WIDTH = 9


def format_verdict(verdict: Verdict) -> str:
    """`input  verdict  code  descriptor — notes; billable below: …; suggestions: …`."""
    parts = [
        verdict.input.ljust(INPUT_WIDTH),
        verdict.verdict.ljust(VERDICT_WIDTH),
        (verdict.code or "-").ljust(CODE_WIDTH),
    ]
    head = "  ".join([*parts, verdict.descriptor])
    said = list(verdict.notes)
    if verdict.children and not verdict.seventh:
        codes = ", ".join(child.code for child in verdict.children)
        more = (
            f", … ({verdict.children_count} in all)" if verdict.children_count > len(verdict.children) else ""
        )
        said.append(f"billable below: {codes}{more}")
    if len(verdict.suggestions) > 1:
        said.append("suggestions: " + ", ".join(s.code for s in verdict.suggestions))
    if not said:
        return printable(head.rstrip())
    # Without a descriptor the notes start in its column.
    line = f"{head} — {'; '.join(said)}" if verdict.descriptor else f"{head}— {'; '.join(said)}"
    return printable(line)


def verdict_to_json(verdict: Verdict) -> str:
    """One JSON line: Verdict.to_dict."""
    return json_text(verdict.to_dict())


def format_release_diff(diff: ReleaseDiff) -> str:
    """A summary line, then one line per added, terminated, changed or reused code."""
    label = SYSTEM_LABELS.get(diff.system, diff.system)
    counts = (
        f"{len(diff.added)} added, {len(diff.terminated)} terminated, "
        f"{len(diff.changed)} descriptors changed ({len(diff.reused)} reused)"
    )
    lines = [f"{label} {diff.old} -> {diff.new}: {counts}"]
    lines += [f"added       {e.code:<8} {e.descriptor}" for e in diff.added]
    for gone in diff.terminated:
        when = f"after {gone.terminated.isoformat()}" if gone.terminated else "no longer listed"
        lines.append(f"terminated  {gone.code:<8} {gone.descriptor} ({when})")
    for change in diff.changed:
        kind = "reused" if change.reused else "changed"
        words = f'"{change.old}" -> "{change.new}"'
        lines.append(f"{kind:<11} {change.code:<8} {words} (word overlap {change.overlap:.2f})")
    return printable("\n".join(lines))
