"""`medcodes codesets report`: where the scraped pages and the official code sets disagree.

What a team maintaining a scraped index checks each quarter:
- pages for terminated codes (a page still describes a code that may no longer be billed);
- pages whose title disagrees with the official descriptor: the share of shared content words
  (medcodes.pipeline.codesets.overlap) is below DISAGREE_BELOW (0.5). A reworded title keeps
  most words of the descriptor; the real site has pages titled with another code's descriptor,
  which share almost none;
- codes of the code sets with no page, counted per system and chapter (ICD-10-CM chapter; for
  HCPCS and ICD-10-PCS, the code's first character: its HCPCS section or PCS section);
- page codes in no code set: their system's code set is loaded and does not list them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from medcodes.pipeline.codesets.overlap import DISAGREE_BELOW, word_overlap
from medcodes.pipeline.records import CodePage
from medcodes.queries.codesets.status import NO_CODE_SET, TERMINATED, UNKNOWN_CODE, CodeStatuses


@dataclass(frozen=True)
class PageFinding:
    """One page the report names."""

    system: str
    code: str
    title: str
    detail: str = ""  # the official descriptor, or the termination date
    overlap: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"system": self.system, "code": self.code, "title": self.title}
        if self.detail:
            data["detail"] = self.detail
        if self.overlap is not None:
            data["overlap"] = round(self.overlap, 3)
        return data


@dataclass
class CodeSetReport:
    """The findings, each list in key order."""

    day: date
    pages: int = 0
    codes: int = 0
    terminated: list[PageFinding] = field(default_factory=list)
    title_disagrees: list[PageFinding] = field(default_factory=list)
    no_page: dict[str, dict[str, int]] = field(default_factory=dict)  # system -> chapter -> codes
    unknown_codes: list[PageFinding] = field(default_factory=list)
    no_code_set: dict[str, int] = field(default_factory=dict)  # pages of systems with none loaded

    def to_dict(self) -> dict[str, Any]:
        """The `codesets report --json` object."""
        return {
            "date": self.day.isoformat(),
            "pages": self.pages,
            "codes": self.codes,
            "threshold": DISAGREE_BELOW,
            "terminated": [f.to_dict() for f in self.terminated],
            "title_disagrees": [f.to_dict() for f in self.title_disagrees],
            "no_page": self.no_page,
            "no_page_total": sum(sum(c.values()) for c in self.no_page.values()),
            "unknown_codes": [f.to_dict() for f in self.unknown_codes],
            "no_code_set": self.no_code_set,
        }


def build_report(pages: Iterable[CodePage], statuses: CodeStatuses, day: date | None = None) -> CodeSetReport:
    """Compare every page (its head is enough) with the code sets on `day` (today)."""
    report = CodeSetReport(day or date.today(), codes=len(statuses.table))
    paged: set[tuple[str, str]] = set()
    no_code_set: Counter[str] = Counter()
    for page in pages:
        report.pages += 1
        paged.add((page.system, page.code))
        status = statuses.of(page.system, page.code, report.day)
        entry = status.entry
        if status.status == NO_CODE_SET:
            no_code_set[page.system] += 1
            continue
        if status.status == UNKNOWN_CODE or entry is None:
            report.unknown_codes.append(PageFinding(page.system, page.code, page.title))
            continue
        if status.status == TERMINATED:
            since = entry.terminated.isoformat() if entry.terminated else "inactive"
            report.terminated.append(PageFinding(page.system, page.code, page.title, since))
        overlap = word_overlap(page.title, entry.descriptor)
        if overlap < DISAGREE_BELOW:
            finding = PageFinding(page.system, page.code, page.title, entry.descriptor, overlap)
            report.title_disagrees.append(finding)
    report.no_code_set = dict(sorted(no_code_set.items()))
    missing: dict[str, Counter[str]] = {}
    for entry in statuses.table:
        if (entry.system, entry.code) not in paged:
            chapter = entry.chapter or entry.code[:1]
            missing.setdefault(entry.system, Counter())[chapter] += 1
    report.no_page = {
        system: dict(sorted(counts.items(), key=lambda item: _chapter_order(item[0])))
        for system, counts in sorted(missing.items())
    }
    return report


def _chapter_order(chapter: str) -> tuple[int, str]:
    """ICD-10-CM chapters by number ("2" before "10"), letters after."""
    return (int(chapter), "") if chapter.isdigit() else (1 << 30, chapter)
