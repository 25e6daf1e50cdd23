"""The rendering fixtures of tests/pages: which pages they render and their reference records.

tests/pages/<rendering>/ holds the same five pages (HCPCS drug and DME, CPT, ICD-10-CM,
ICD-10-PCS) rendered as the scraped site's variations (issue 3); single-newline (the seed's own
rendering) is the reference, its golden records reviewed by hand.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from medcodes.pipeline.parse import parse_page
from medcodes.pipeline.records import CodePage

PAGES = Path(__file__).resolve().parent / "pages"
REFERENCE = "single-newline"
BASES = {
    "hcpcs:C9028": "hcpcs-C9028.txt",
    "hcpcs:E0100": "hcpcs-E0100.txt",
    "cpt:45380": "cpt4-45380.txt",
    "icd10cm:J06.9": "icd10cm-J06.9.txt",
    "icd10pcs:0DTJ4ZZ": "icd10pcs-0DTJ4ZZ.txt",
}
# Renderings of the five pages, folder by folder, that must give the reference record.
SAME = ["blank-lines", "markdown", "html", "breadcrumb", "header-quirks"]
EXTRA_SAME = [
    "encodings/hcpcs-C9028-bom.txt",
    "encodings/hcpcs-C9028-cp1252.txt",
    "encodings/hcpcs-C9028-meta-windows-1252.html",
    "encodings/hcpcs-C9028-meta-latin1.html",
    "html-structures/hcpcs-C9028-subheadings.html",
    "html-structures/saved-page-0413.html",
    "html-structures/icd10cm-J06.9-malformed.html",
    "systems/code/cpt4/45380.txt",
    "seed-rendered.html",
]
# The one container page whose words were changed on purpose (dashes in Windows-1252).
CHANGED_IN_CONTAINER = "J06.9-acute-upper-respiratory-infection-unspecified"

# Pages written, in our own words, the way the real site renders them (issue 12): each has a
# reference rendering in site/reference (every heading present, reviewed by hand) and other
# renderings in the other folders under site/, all of which must give the reference's sections.
SITE = PAGES / "site"
SITE_REFERENCE = SITE / "reference"
# Renderings cut short as real saved pages are (their first ~2,000 characters): the last
# section they hold, whose text may be cut; the sections after it are not on the page.
SITE_CUT = {
    "site/blank-line-lists/hcpcs-E0149.txt": "procedure",
    "site/headless/hcpcs-E0149.txt": "setting",
    "site/no-headings/hcpcs-E0149.txt": "duration",
}


def parse(path: Path) -> CodePage:
    return parse_page(path.read_bytes(), str(path.relative_to(PAGES)))


def reference(key: str) -> CodePage:
    return parse(PAGES / REFERENCE / BASES[key])


def site_reference(key: str) -> CodePage:
    return next(page for path in renderings("site/reference") if (page := parse(path)).key == key)


def site_renderings() -> list[Path]:
    return [path for path in renderings("site") if SITE_REFERENCE not in path.parents]


def renderings(folder: str) -> list[Path]:
    return sorted(p for p in (PAGES / folder).rglob("*") if p.is_file())


def content(page: CodePage, headings: bool = True) -> CodePage:
    """What a reader sees: everything but where the page came from and the parser's notes."""
    sections = page.sections if headings else tuple(replace(s, heading="") for s in page.sections)
    return replace(page, url=None, source="", notes=(), sections=sections)
