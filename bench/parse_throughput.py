"""Parse throughput: pages per second in one process (bs4 + lxml), on a corpus of pages.

    .venv/bin/python bench/parse_throughput.py examples/pages tests/pages --replicate 10

Run with the project's environment (`make test` creates it). PATH... are folders, files or
containers, read exactly as `medcodes ingest` reads them. Every page is read into memory
first, so only parsing is timed. Until a generated corpus exists the fixtures and examples
stand in for one, replicated N times (`--replicate`). Reported: the median of `--runs` timed
passes, overall and for HTML and text pages apart, and the same HTML pages through bare
`BeautifulSoup(markup, "lxml")` as a baseline measured in the same run: the ratio says how
much our reading adds to the cost of building the tree.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

from bs4 import BeautifulSoup

from medcodes.pipeline.html_layout import decode_html
from medcodes.pipeline.parse import PageParseError, looks_like_html, parse_page
from medcodes.pipeline.sources import HTML, RawPage, expand_inputs, read_input


def load(paths: list[str]) -> list[RawPage]:
    pages = []
    for source in expand_inputs(paths):
        for item in read_input(source):
            if isinstance(item, RawPage) and item.data is not None:
                pages.append(item)
    return pages


def parse_all(pages: list[RawPage]) -> tuple[float, int]:
    started = time.perf_counter()
    parsed = 0
    for page in pages:
        try:
            parse_page(page.data or b"", page.source, page.url, page.kind, page.charset)
            parsed += 1
        except PageParseError:
            pass
    return time.perf_counter() - started, parsed


def soup_all(pages: list[RawPage]) -> float:
    started = time.perf_counter()
    for page in pages:
        BeautifulSoup(decode_html(page.data or b"", page.charset), "lxml")
    return time.perf_counter() - started


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libraries = f"beautifulsoup4 {version('beautifulsoup4')}, lxml {version('lxml')}"
    cores = len(os.sched_getaffinity(0))
    return f"{platform.node()}: {cpu}, {cores} cores usable; Python {platform.python_version()}, {libraries}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--replicate", type=int, default=1, help="Parse each page N times per run.")
    parser.add_argument("--runs", type=int, default=5, help="Timed passes; the median is reported.")
    args = parser.parse_args()

    pages = load(args.paths) * args.replicate
    html = [
        p for p in pages if p.kind == HTML or (p.kind is None and looks_like_html(p.data or b"", p.source))
    ]
    html_ids = {id(p) for p in html}
    text = [p for p in pages if id(p) not in html_ids]
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"corpus: {len(pages)} pages ({len(html)} HTML, {len(text)} text), {args.runs} runs, medians")
    parse_all(pages[:50])  # warm caches and imports
    runs = [parse_all(pages) for _ in range(args.runs)]
    seconds = statistics.median(r[0] for r in runs)
    print(
        f"parse_page, all pages: {len(pages) / seconds:,.0f} pages/s ({runs[0][1]} parsed, the rest rejected)"
    )
    for name, group in (("HTML", html), ("text", text)):
        if group:
            median = statistics.median(parse_all(group)[0] for _ in range(args.runs))
            print(f"parse_page, {name} pages: {len(group) / median:,.0f} pages/s")
    if html:
        ours = statistics.median(parse_all(html)[0] for _ in range(args.runs))
        bare = statistics.median(soup_all(html) for _ in range(args.runs))
        print(
            f"baseline, bare BeautifulSoup(lxml) on the HTML pages: {len(html) / bare:,.0f} pages/s; "
            f"parse_page takes {ours / bare:.2f}x its time"
        )


if __name__ == "__main__":
    main()
