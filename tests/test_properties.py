"""Property tests: mutated pages and containers never break the parser (issue 3).

Valid fixture pages are truncated, shuffled, injected with markup or random bytes; the parser
either returns a complete record or raises its own rejection error, PageParseError, and
nothing else. Container readers given damaged archives raise only InputReadError, and the
batch turns every input into outcomes.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.parse import PageParseError, parse_page
from medcodes.pipeline.sources import InputReadError, read_input

PAGES = Path(__file__).resolve().parent / "pages"
SEEDS = [
    "single-newline/hcpcs-C9028.txt",
    "blank-lines/cpt4-45380.txt",
    "markdown/hcpcs-E0100.md",
    "headless/icd10pcs-0DTJ4ZZ.txt",
    "html/icd10cm-J06.9.html",
    "html-structures/saved-page-0413.html",
    "breadcrumb/hcpcs-E0100.txt",
]
CONTAINERS = [
    "containers/crawl.warc.gz",
    "containers/export.jsonl",
    "containers/pages.zip",
    "containers/pages.tar.gz",
]
MARKUP = [
    b"<div>", b"</div>", b"<li>", b"</ul>", b"<h2>", b"<h1>Title</h1>", b"<!--", b"-->", b"<script>",
    b"<![CDATA[", b"&#0;", b"&bogus;", b"<b>", b"<table><tr><th>", b"<dl><dt>", b"\xef\xbb\xbf",
    b"<meta charset=\"shift_jis\">", b"<div>" * 600, b"# ", b"#### Summary\n", b"- ", b"  \xe2\x80\xa2 ",
    b"\n\n\n", b"Codes / HCPCS / ", b"(HCPCS Code: ", b"\r", b"\x00",
]  # fmt: skip

settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
PROPERTY = settings(
    max_examples=int(os.environ.get("MEDCODES_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def mutated_pages(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(SEEDS))
    data = (PAGES / name).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutation(data))
    return name, data


def _mutation(data: bytes) -> st.SearchStrategy[bytes]:
    position = st.integers(0, len(data))
    lines = data.split(b"\n")
    return st.one_of(
        position.map(lambda cut: data[:cut]),
        st.permutations(lines).map(b"\n".join),
        st.tuples(position, st.sampled_from(MARKUP)).map(lambda p: data[: p[0]] + p[1] + data[p[0] :]),
        st.tuples(position, st.binary(min_size=1, max_size=64)).map(
            lambda p: data[: p[0]] + p[1] + data[p[0] :]
        ),
        st.tuples(position, st.integers(1, 200), st.binary(max_size=32)).map(
            lambda p: data[: p[0]] + p[2] + data[p[0] + p[1] :]
        ),
    )


@PROPERTY
@given(mutated_pages())
def test_a_mutated_page_parses_or_is_rejected_with_a_reason(case: tuple[str, bytes]) -> None:
    name, data = case
    try:
        page = parse_page(data, name)
    except PageParseError as err:
        assert str(err)
        return
    assert page.code and page.system and page.title
    assert page.sections and all(section.text for section in page.sections)


@PROPERTY
@given(st.binary(max_size=4096), st.sampled_from(["page.txt", "page.html", "page", "page.md"]))
def test_random_bytes_are_rejected_with_a_reason(data: bytes, name: str) -> None:
    """Random bytes are no code page (nothing names a code under a known heading): rejected,
    always, with a one-line reason; never accepted, never another error."""
    with pytest.raises(PageParseError) as rejected:
        parse_page(data, name)
    reason = str(rejected.value)
    assert reason and "\n" not in reason


@st.composite
def damaged_containers(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(CONTAINERS))
    data = (PAGES / name).read_bytes()
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    else:
        start = draw(st.integers(0, len(data)))
        data = (
            data[:start] + draw(st.binary(min_size=1, max_size=64)) + data[start + draw(st.integers(0, 64)) :]
        )
    return name, data


@PROPERTY
@given(damaged_containers())
def test_a_damaged_container_yields_pages_and_reasons_only(case: tuple[str, bytes]) -> None:
    name, data = case
    try:
        items = list(read_input(name, 1 << 20, data))
    except InputReadError as err:
        assert str(err)
        items = []
    for item in items:
        assert item.source.startswith(name)
    outcomes = parse_input(name, data)
    assert outcomes
    assert all(o.page is not None or o.reason for o in outcomes)
    assert not any("internal error" in o.reason for o in outcomes)


@PROPERTY
@given(st.binary(max_size=2048))
def test_random_bytes_under_a_container_name_are_rejected_not_raised(data: bytes) -> None:
    for name in ("crawl.warc", "crawl.warc.gz", "export.jsonl", "pages.zip", "pages.tar.gz"):
        for payload in (data, gzip.compress(data, mtime=0)):
            outcomes = parse_input(name, payload)
            assert outcomes and all(o.page is None and o.reason for o in outcomes)
            assert not any("internal error" in o.reason for o in outcomes)
