"""Parse time of hostile page shapes (issue 17): one tag or token repeated, long lists, many
line breaks, many headings. Prints seconds per page and per MB for each shape and size.

    .venv/bin/python bench/hard_inputs.py                    # every shape at 1 and 4 MB
    .venv/bin/python bench/hard_inputs.py --mb 1 2 4 --shape li-tags
    .venv/bin/python bench/hard_inputs.py --mb 1 --shape li-tags --profile   # cProfile, top 25

Every page is built in memory and parsed in this process by `parse_page`, as a worker parses
it, with the per-page time budget off; a rejection (PageParseError) counts as parsed. Target:
at most 1 s per MB on every shape. Run it alone: it measures speed.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats
import statistics
import sys
import time
from collections.abc import Callable

from medcodes.pipeline.parse import PageParseError, parse_page

try:
    from medcodes.pipeline.parse import MAX_ELEMENTS, MAX_LINES
except ImportError:  # the base of issue 17 had no bounds: the same pages all the same
    MAX_ELEMENTS, MAX_LINES = 20_000, 10_000

MB = 1_000_000
# The budget is off while timing; a release without one (the base of issue 17) is timed as it is.
_NO_BUDGET = {"time_limit": None} if "time_limit" in inspect.signature(parse_page).parameters else {}


def _repeat(unit: str, size: int, head: str = "", tail: str = "") -> bytes:
    count = max(1, (size - len(head) - len(tail)) // len(unit))
    return (head + unit * count + tail).encode()


def _numbered(line: Callable[[int], str], size: int, head: str = "", tail: str = "") -> bytes:
    parts, total, n = [head], len(head), 0
    while total < size - len(tail):
        parts.append(text := line(n))
        total += len(text)
        n += 1
    return ("".join(parts) + tail).encode()


_HTML_HEAD = "<html><head><title>Walker</title></head><body><h1>Walker (E0135)</h1>"
_TEXT_HEAD = "Walker, folding (E0135)\n\nName of the Procedure:\nWalker\n\n"


def _list_item(n: int) -> str:
    return f"<li>item {n} of the list</li>"


def _section(n: int) -> str:
    return ("Risks:\n", "Indications:\n", "Recovery:\n")[n % 3] + f"Line {n} of the section.\n"


def _html_list(items: int) -> bytes:
    return (_HTML_HEAD + "<ul>" + "".join(map(_list_item, range(items))) + "</ul>").encode()


def _text_sections(count: int) -> bytes:
    return (_TEXT_HEAD + "".join(map(_section, range(count)))).encode()


# name -> (what it is, source name, bytes of about `size`)
SHAPES: dict[str, tuple[str, str, Callable[[int], bytes]]] = {
    "li-tags": ("<li> repeated, nothing else", "fuzz", lambda size: _repeat("<li>", size)),
    "li-tags-html": (
        "<li> repeated in an HTML page",
        "fuzz.html",
        lambda size: _repeat("<li>", size, _HTML_HEAD),
    ),
    "li-items": (
        "an HTML list of short items with text",
        "list.html",
        lambda size: _numbered(
            lambda n: f"<li>item {n} of the list</li>", size, _HTML_HEAD + "<ul>", "</ul>"
        ),
    ),
    "br-lines": (
        "an HTML paragraph of lines broken by <br>",
        "lines.html",
        lambda size: _numbered(lambda n: f"line {n}<br>", size, _HTML_HEAD + "<p>", "</p>"),
    ),
    "text-headings": (
        "a text page of short sections, each under a heading",
        "headings.txt",
        lambda size: _numbered(_section, size, _TEXT_HEAD),
    ),
    "word-token": ("one word repeated", "fuzz.txt", lambda size: _repeat("walker ", size)),
    "label-token": ("one label repeated", "fuzz.txt", lambda size: _repeat("Risks: ", size)),
    "bullet-token": ("a list bullet repeated", "fuzz.txt", lambda size: _repeat("- ", size)),
    "heading-token": ("a Markdown heading mark repeated", "fuzz.txt", lambda size: _repeat("## ", size)),
    "paren-token": ("an opening parenthesis repeated", "fuzz.txt", lambda size: _repeat("(", size)),
    "newline-token": ("lines of one word", "fuzz.txt", lambda size: _repeat("walker\n", size)),
    "div-nesting": ("unclosed <div> repeated", "fuzz.html", lambda size: _repeat("<div>", size, _HTML_HEAD)),
    # Just under the structure bounds of pipeline/parse.py, whatever the size asked: the most
    # a page that is read costs (its rate per MB is high because such a page is small).
    "li-items-cap": (
        "an HTML list just under MAX_ELEMENTS",
        "list.html",
        lambda size: _html_list(MAX_ELEMENTS - 20),
    ),
    "text-lines-cap": (
        "a text page of sections just under MAX_LINES",
        "headings.txt",
        lambda size: _text_sections((MAX_LINES - 20) // 2),
    ),
}


def parse_seconds(data: bytes, source: str) -> tuple[float, str]:
    """Seconds to parse one page, and its outcome (a code, or the rejection reason)."""
    started = time.perf_counter()
    try:
        outcome = parse_page(data, source, **_NO_BUDGET).key
    except PageParseError as err:
        outcome = f"rejected: {err}"
    return time.perf_counter() - started, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 4.0], help="page sizes in MB")
    parser.add_argument(
        "--shape", action="append", choices=sorted(SHAPES), help="shapes to run (default all)"
    )
    parser.add_argument("--runs", type=int, default=1, help="timed parses per page (the median is shown)")
    parser.add_argument("--profile", action="store_true", help="cProfile each parse; print the top 25")
    args = parser.parse_args(argv)
    print(f"{'shape':<15} {'MB':>5} {'seconds':>9} {'s/MB':>7}  outcome")
    worst = 0.0
    for name in args.shape or SHAPES:
        _, source, build = SHAPES[name]
        sizes_done: set[int] = set()
        for mb in args.mb:
            data = build(int(mb * MB))
            if len(data) in sizes_done:  # a shape of fixed size (the *-cap ones): timed once
                continue
            sizes_done.add(len(data))
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(parse_seconds, data, source)
                pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
            runs = [parse_seconds(data, source) for _ in range(args.runs)]
            seconds = statistics.median(s for s, _ in runs)
            rate = seconds / (len(data) / MB)
            worst = max(worst, rate)
            print(
                f"{name:<15} {len(data) / MB:>5.2f} {seconds:>9.2f} {rate:>7.2f}  {runs[0][1][:60]}",
                flush=True,
            )
    print(f"worst: {worst:.2f} s/MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
