"""Render the evaluation corpus of ../shared/data/README.md as pages for `medcodes ingest`.

One page per HCPCS Level II procedure code (its long description as the title) and one per
ICD-10-CM code (its description as the title, its inclusion terms and "includes" notes as an
"Also known as" section). Nothing else from the source files is rendered, so that the numbers
mean what the protocol says. A page must have a known section to be a code page, so every page
gets a "Name of the Procedure" block holding only "(CODE)", as the site's pages do: a token no
word query can match, which leaves word ranking untouched.

    python bench/make_corpus.py --hcpcs ../shared/data/hcpcs/hcpcs_2025_oct_codes.csv \
        --icd10cm ../shared/data/icd10cm/icd10cm_2026_codes.jsonl --out bench/out/corpus
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SYSTEM_LINES = {"hcpcs": "HCPCS code", "icd10cm": "ICD-10-CM code"}
# A code page needs one of the known sections: the name block, holding only "(CODE)" as on
# the site's pages, is one that adds no words a query could match.
NAME_HEADING = "Name of the Procedure"


@dataclass(frozen=True)
class CorpusPage:
    system: str
    code: str  # as the system prints it: J1940, A00.0
    title: str
    alt_names: tuple[str, ...] = ()


def hcpcs_pages(path: Path) -> Iterator[CorpusPage]:
    """Every procedure code of the CMS HCPCS file, terminated ones too (modifiers are not codes)."""
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "procedure":
                yield CorpusPage("hcpcs", row["code"], _one_line(row["long_description"]))


def icd10cm_pages(path: Path) -> Iterator[CorpusPage]:
    """Every ICD-10-CM code; inclusion terms and "includes" notes are its other names."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            entry = json.loads(line)
            names = [_one_line(n) for n in (*entry.get("inclusionTerm", ()), *entry.get("includes", ()))]
            yield CorpusPage("icd10cm", entry["code_dot"], _one_line(entry["description"]), tuple(names))


def render_text(page: CorpusPage) -> str:
    lines = [page.title, SYSTEM_LINES[page.system], NAME_HEADING + ":", f"({page.code})"]
    if page.alt_names:
        lines.append("## Also known as")
        lines.extend(f"- {name}" for name in page.alt_names)
    return "\n".join(lines) + "\n"


def render_html(page: CorpusPage) -> str:
    esc = html.escape
    body = [
        f"<h1>{esc(page.title)}</h1>",
        f"<p>{esc(SYSTEM_LINES[page.system])}</p>",
        f"<h2>{NAME_HEADING}</h2><p>({esc(page.code)})</p>",
    ]
    if page.alt_names:
        items = "".join(f"<li>{esc(name)}</li>" for name in page.alt_names)
        body.append(f"<h2>Also known as</h2><ul>{items}</ul>")
    return f"<!doctype html><html><body><main>{''.join(body)}</main></body></html>\n"


def page_path(out: Path, page: CorpusPage, suffix: str) -> Path:
    """`out/<system>/<first letter or digit>/<system>-<code>.<suffix>`: small folders, code in the name."""
    return out / page.system / page.code[0].upper() / f"{page.system}-{page.code}.{suffix}"


def write_corpus(pages: Iterator[CorpusPage], out: Path, fmt: str = "text") -> int:
    render, suffix = (render_html, "html") if fmt == "html" else (render_text, "txt")
    count = 0
    for page in pages:
        target = page_path(out, page, suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(page), encoding="utf-8")
        count += 1
    return count


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hcpcs", type=Path, required=True, help="hcpcs_2025_oct_codes.csv")
    parser.add_argument("--icd10cm", type=Path, required=True, help="icd10cm_2026_codes.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="folder to write pages into")
    parser.add_argument("--format", choices=("text", "html"), default="text")
    args = parser.parse_args(argv)
    for source in (args.hcpcs, args.icd10cm):
        if not source.is_file():
            print(f"error: no such file: {source}", file=sys.stderr)
            return 1
    written = write_corpus(hcpcs_pages(args.hcpcs), args.out, args.format)
    written += write_corpus(icd10cm_pages(args.icd10cm), args.out, args.format)
    print(f"wrote {written} pages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
