"""StemmedText's one-pass indexing gives exactly what Whoosh's analyzer chain gives, and its
compact position encoding reads back the positions Whoosh's own encoding holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.analysis import RegexTokenizer, StemmingAnalyzer
from whoosh.fields import TEXT

from medcodes.index.engine.analysis import words
from medcodes.index.engine.text_fields import CompactPositions, StemmedText
from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.sources import expand_inputs

ROOT = Path(__file__).resolve().parent.parent
TRICKY = [
    "",
    "the of and",
    "This page describes it: the first word is a stop word.",
    "E11.9 and 0.1 mg; A-b c's x 3.5.6 Über ÉCOLE naïve 1 cc w/o",
    "Injection, inotuzumab ozogamicin, 0.1 mg (C9028)",
    "THE Wound CARE of A.B.C. x*y E11.9 IS It",  # ASCII, lower-cased before it is split
]


def _texts() -> list[str]:
    files = expand_inputs([str(ROOT / "examples" / "pages"), str(ROOT / "tests" / "pages")])
    pages = [o.page for f in files for o in parse_input(f) if o.page is not None]
    return TRICKY + [p.title for p in pages] + [s.text for p in pages for s in p.sections]


@pytest.mark.parametrize("phrase", [True, False], ids=["positions", "frequencies"])
@pytest.mark.parametrize("minsize", [1, 2])
def test_same_postings_as_whoosh(phrase: bool, minsize: int) -> None:
    fast = StemmedText(minsize=minsize, phrase=phrase)
    reference = TEXT(analyzer=StemmingAnalyzer(minsize=minsize, cachesize=-1), phrase=phrase)
    texts = _texts()
    assert len(texts) > 500
    for text in texts:
        assert _decoded(fast, text) == _decoded(reference, text), text


def _decoded(field: TEXT, text: str) -> list[tuple[bytes, int, float, object]]:
    """Postings with their values decoded (positions) by the field's own format."""
    positions = field.format.supports("positions")
    return sorted(
        (term, freq, weight, field.format.decode_positions(value) if positions else value)
        for term, freq, weight, value in field.index(text)
    )


def test_words_split_as_the_whoosh_tokenizer() -> None:
    tokenizer = RegexTokenizer()
    texts = [*_texts(), "naïve—Über_x 3.5.6. ..a.b w/o\ttab", "日本語 テキスト", "a..b .5 x."]
    for text in texts:
        assert words(text) == [token.text for token in tokenizer(text)], text


@pytest.mark.parametrize(
    "positions",
    [[0], [5], [127], [128], [0, 1, 2], [3, 300, 301, 70000], list(range(0, 5000, 7))],
)
def test_compact_positions_round_trip(positions: list[int]) -> None:
    encoding = CompactPositions()
    value = encoding.encode(positions)
    assert encoding.decode_positions(value) == positions
    assert encoding.decode_frequency(value) == len(positions)
    assert len(value) <= len(positions) * 3
