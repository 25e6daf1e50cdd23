"""Format hits, pages and index statistics for people (tables) and scripts (JSON)."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from typing import Any

from medcodes.pipeline.codes import SYSTEM_LABELS
from medcodes.pipeline.records import CodePage
from medcodes.queries.codesets.status import HEADER, NO_CODE_SET, NOT_YET, TERMINATED, UNKNOWN_CODE
from medcodes.queries.search import Hit, SearchResult

Emphasis = Callable[[str], str]

SECTION_TITLES = {
    "name": "Name of the Procedure",
    "procedure": "Procedure Description",
    "risks": "Risks and Complications",
    "experience": "Patient Experience",
}


FORMATS = ("table", "json", "jsonl", "csv")
# Statuses a hit's line names: what a reader must know before using the code on a claim.
FLAGGED = frozenset({HEADER, TERMINATED, NOT_YET, UNKNOWN_CODE})
CSV_COLUMNS = ("query", "rank", "code", "system", "title", "score", "section", "snippet")


def result_to_json(result: SearchResult) -> str:
    """One query as JSON: SearchResult.to_dict, the one shape of an answer."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def format_results(results: list[SearchResult], fmt: str, header: bool = True) -> str:
    """Results for scripts: `json` (one query), `jsonl` (one object a line), `csv` (a row a hit;
    a query without hits still gets a row, so that every input line is accounted for)."""
    if fmt == "json" and len(results) == 1:
        return result_to_json(results[0]) + "\n"
    if fmt in ("json", "jsonl"):
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in results)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(CSV_COLUMNS)
        for result in results:
            for rank, hit in enumerate(result.hits, 1):
                row = (
                    result.query,
                    rank,
                    hit.code,
                    hit.system,
                    hit.title,
                    round(hit.score, 4),
                    hit.section,
                    hit.snippet,
                )
                writer.writerow(row)
            if not result.hits:
                writer.writerow((result.query, "", "", "", "", "", "", result.error or ""))
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def format_result(result: SearchResult, emphasize: Emphasis = str, width: int = 100) -> str:
    """A readable listing: code, system and title, then the snippet and its section."""
    lines = [f"Did you mean: {result.suggestion}"] if result.suggestion else []
    if result.facets is not None:
        lines.append(_facets(result.facets))
    if result.status_facets and set(result.status_facets) != {NO_CODE_SET}:
        lines.append(_status_facets(result.status_facets))
    if not result.hits:
        past = f" past the first {result.offset} of {result.total}" if result.total and result.offset else ""
        return "\n".join([*lines, f"no pages match{past}"])
    code_width = max(len(hit.code) for hit in result.hits)
    indent = " " * (code_width + 2)
    for hit in result.hits:
        system = SYSTEM_LABELS.get(hit.system, hit.system)
        flags = [hit.status] if hit.status in FLAGGED else []
        if hit.no_page:
            flags.append("no page")
        flag = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"{emphasize(hit.code.ljust(code_width))}  {system:<10} {hit.title}{flag}")
        if hit.snippet:
            snippet = _highlight(hit, emphasize)
            lines.append(f"{indent}{hit.section}: {snippet}")
        lines.extend(f"{indent}{line}" for line in _explanation(hit))
    first, last = result.offset + 1, result.offset + len(result.hits)
    shown = f"{first}" if first == last else f"{first}–{last}"
    pages = "page" if result.total == 1 else "pages"
    lines.append(f"{shown} of {result.total} {pages}, {result.took_ms:.0f} ms")
    return "\n".join(lines)


def _explanation(hit: Hit) -> list[str]:
    explanation = hit.explanation or {}
    parts = ", ".join(f"{k} {v:g}" for k, v in explanation.get("score_parts", {}).items())
    matched = "; ".join(
        f"{field}: {' '.join(terms)}" for field, terms in explanation.get("matched", {}).items()
    )
    lines = [f"score {hit.score:.3f} = {parts}"] if parts else []
    if matched:
        lines.append(f"matched {matched}")
    return lines


def _facets(facets: dict[str, int]) -> str:
    return "pages per system: " + ", ".join(f"{SYSTEM_LABELS.get(s, s)} {n}" for s, n in facets.items())


def _status_facets(facets: dict[str, int]) -> str:
    return "pages per code status: " + ", ".join(f"{status} {n}" for status, n in facets.items())


def _highlight(hit: Hit, emphasize: Emphasis) -> str:
    out, last = [], 0
    for start, end in hit.highlights:
        out.append(hit.snippet[last:start])
        out.append(emphasize(hit.snippet[start:end]))
        last = end
    out.append(hit.snippet[last:])
    return "".join(out)


def page_to_json(page: CodePage, code_set: dict[str, Any] | None = None, no_page: bool = False) -> str:
    """A page as `show --json` prints it; with `code_set` (present.codesets.code_set_dict), that
    under "code_set" and "no_page" (true for a code known from its code set only)."""
    record = page.to_dict()
    shown = {
        k: record[k] for k in ("system", "code", "title", "url", "alt_names", "sections", "labels", "source")
    }
    if code_set is not None:
        shown["code_set"] = code_set
        shown["no_page"] = no_page
    return json.dumps(shown, ensure_ascii=False, indent=2)


def format_page(
    page: CodePage, emphasize: Emphasis = str, width: int = 100, code_set: list[str] | None = None
) -> str:
    """Every section of a page, in page order, as on the site; the code set's lines (when given)
    above the sections."""
    system = SYSTEM_LABELS.get(page.system, page.system)
    lines = [emphasize(f"{page.code}  {page.title}"), f"{system} code"]
    if page.url:
        lines.append(page.url)
    lines.extend(code_set or ())
    if page.alt_names:
        lines.append("Also known as: " + "; ".join(page.alt_names))
    for section in page.sections:
        heading = section.heading or SECTION_TITLES.get(section.name, section.name.replace("_", " ").title())
        lines.extend(["", emphasize(heading.rstrip(":"))])
        for line in section.text.split("\n"):
            lines.extend(textwrap.wrap(line, width, subsequent_indent="  ") or [""])
    return "\n".join(lines)


def format_stats(stats: dict[str, Any]) -> str:
    lines = [f"index      {stats['index']} ({stats['generation']}, schema {stats['schema_version']})"]
    lines.append(f"pages      {stats['pages']}")
    for system, count in sorted(stats["pages_by_system"].items()):
        lines.append(f"  {SYSTEM_LABELS.get(system, system):<10} {count}")  # "ICD-10-CM" is 9 wide
    lines.append(f"size       {_human_bytes(stats['size_bytes'])}")
    lines.append(f"created    {stats['created']}")
    lines.append(f"updated    {stats['updated']}")
    return "\n".join(lines)


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
