"""Searcher.suggest: as-you-type completions of code prefixes and of the last word, on the example index."""

from __future__ import annotations

from pathlib import Path

import pytest

import medcodes
from medcodes.queries.completions import CODE_KIND, WORD_KIND
from medcodes.queries.search import Searcher


def codes(found: list[medcodes.Completion]) -> list[str]:
    return [c.code for c in found]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("J92", ["J9229", "J9271"]),
        ("j922", ["J9229"]),
        ("E11.", ["E11.9"]),
        ("E119", ["E11.9"]),
        ("992", ["99213"]),
    ],
    ids=["hcpcs-prefix", "lower-case", "dotted-category", "undotted", "cpt-digits"],
)
def test_a_code_prefix_lists_the_codes_it_begins_in_code_order(
    searcher: Searcher, typed: str, expected: list[str]
) -> None:
    found = [c for c in searcher.suggest(typed) if c.kind == CODE_KIND]
    assert codes(found) == expected
    for completion in found:
        start, end = completion.code_highlights[0]
        assert start == 0 and completion.code[:end].replace(".", "").lower() == typed.replace(".", "").lower()


def test_the_last_word_completes_to_naming_words_with_highlights(searcher: Searcher) -> None:
    found = searcher.suggest("inotuz")
    assert set(codes(found)) == {"C9028", "J9229"}
    for completion in found:
        assert completion.kind == WORD_KIND and completion.completion == "inotuzumab"
        [(start, end)] = completion.highlights
        assert completion.title[start:end] == "inotuzumab"


def test_a_typo_in_the_partial_word_is_tolerated(searcher: Searcher) -> None:
    assert set(codes(searcher.suggest("inotuxum"))) == {"C9028", "J9229"}
    assert searcher.suggest("qqqqqq") == []


def test_earlier_words_narrow_the_pages(searcher: Searcher) -> None:
    alone = codes(searcher.suggest("inj", limit=50))
    narrowed = codes(searcher.suggest("ondansetron inj", limit=50))
    assert len(alone) > len(narrowed) >= 1
    assert narrowed == ["J2405"]


def test_systems_and_limit_are_kept(searcher: Searcher) -> None:
    assert codes(searcher.suggest("J92", limit=1)) == ["J9229"]
    found = searcher.suggest("inotuz", systems=("icd10cm",))
    assert found == []
    assert all(c.system == "hcpcs" for c in searcher.suggest("inj", systems=("hcpcs",), limit=50))


def test_nothing_typed_suggests_nothing(searcher: Searcher) -> None:
    assert searcher.suggest("") == [] and searcher.suggest("   ") == []


def test_a_completion_serializes_with_its_highlights(searcher: Searcher) -> None:
    [first, *_] = searcher.suggest("J92")
    assert first.to_dict() == {
        "code": "J9229",
        "system": "hcpcs",
        "title": first.title,
        "kind": "code",
        "completion": "J9229",
        "highlights": [],
        "code_highlights": [[0, 3]],
    }


def test_the_first_pages_of_a_word_are_the_first_of_all_its_pages(searcher: Searcher) -> None:
    from medcodes.index.engine.searcher import IndexSearcher
    from medcodes.index.fields import WORDS
    from medcodes.index.reader import open_live

    live = open_live(searcher.index_dir)
    try:
        with IndexSearcher(live.ix) as reader:
            every = reader.term_docs(WORDS, "injection").tolist()
            assert len(every) > 3
            assert reader.term_docs(WORDS, "injection", 3).tolist() == every[:3]
            assert reader.term_docs(WORDS, "injection", 1000).tolist() == every
    finally:
        live.ix.close()


# --- what is kept of a generation for suggestions ---------------------------------------------

TYPED = ["J92", "E11.", "992", "inotuz", "inj", "ondansetron inj", "inotuxum", "injection ondan", "walker f"]


def test_kept_tables_give_the_answers_read_afresh(searcher: Searcher) -> None:
    from medcodes.index.engine.searcher import IndexSearcher
    from medcodes.index.fields import WORDS
    from medcodes.index.reader import open_live
    from medcodes.index.record_codec import decode_head
    from medcodes.queries.completion_tables import CompletionTables
    from medcodes.queries.completions import MAX_PAGES_READ, complete
    from medcodes.queries.expand.vocabulary import Vocabulary

    live = open_live(searcher.index_dir)
    try:
        with IndexSearcher(live.ix) as reader:
            vocabulary = Vocabulary(reader, lambda: reader.naming_words(live.generation.path))
            tables = CompletionTables(MAX_PAGES_READ)

            def head(docnum: int) -> medcodes.CodePage:
                return decode_head(reader.head(docnum))

            def answers(kept: CompletionTables | None) -> list[list[dict[str, object]]]:
                return [
                    [c.to_dict() for c in complete(reader, lambda: vocabulary, head, typed, scope, n, kept)]
                    for typed in TYPED
                    for scope, n in (((), 8), (("hcpcs",), 2), ((), 50))
                ]

            every = reader.term_docs(WORDS, "injection").tolist()
            assert len(every) > 3
            for count in (3, 2, 3, 1):  # read, then kept: always the first `count`
                assert tables.first_pages(reader, "injection", count).tolist() == every[:count]
            assert tables.all_pages(reader, "injection").tolist() == every
            assert tables.first_pages(reader, "injection", 2).tolist() == every[:2]  # from all of them

            afresh = answers(None)
            assert any(afresh) and answers(tables) == afresh  # tables filled while answering
            assert answers(tables) == afresh  # and answering from them
            assert [c.code for c in searcher.suggest("ondansetron inj", limit=50)] == ["J2405"]
    finally:
        live.ix.close()


def test_searchers_of_one_generation_share_their_tables(pages_dir: Path, tmp_path: Path) -> None:
    from tests.conftest import age_files

    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    with Searcher(root) as first, Searcher(root) as second:
        assert first.suggest("inotuz") == second.suggest("inotuz")
        assert first._completion_tables is second._completion_tables is not None
        page = pages_dir / "hcpcs-E0135.txt"
        page.write_text(page.read_text().replace("Walker", "Walker zorbulation", 1))
        age_files(pages_dir, 30)
        medcodes.reindex(root, workers=1)
        with Searcher(root) as newer:
            assert [c.code for c in newer.suggest("zorbul")] == ["E0135"]
            assert newer._completion_tables is not first._completion_tables
        assert first.suggest("zorbul") == []  # the old generation's searchers keep their own
