"""Each generation lists its naming words; searches read the list, or the lexicon without it."""

from __future__ import annotations

from pathlib import Path

from conftest import age_files

from medcodes.index.build import ingest
from medcodes.index.check import check_index
from medcodes.index.engine.naming_words import WORDS_FILE, _lexicon, read_naming_words
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.reader import open_live
from medcodes.index.reindex import reindex
from medcodes.queries.expand.vocabulary import Vocabulary
from medcodes.queries.search import Searcher


def _listed_and_lexicon(root: Path) -> tuple[list[str], list[str]]:
    live = open_live(root)
    try:
        listed = (live.generation.path / WORDS_FILE).read_text(encoding="utf-8").splitlines()
        with live.ix.reader() as reader:
            return listed, _lexicon(reader)
    finally:
        live.ix.close()


def test_ingest_and_reindex_list_the_words_of_their_generation(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    listed, lexicon = _listed_and_lexicon(root)
    assert listed == lexicon and "leukemia" in listed
    assert "zygodactylous" not in listed
    page = pages_dir / "hcpcs-J9229.txt"
    text = page.read_text(encoding="utf-8").replace("inotuzumab", "zygodactylous", 1)  # the title's
    page.write_text(text, encoding="utf-8")
    age_files(pages_dir)
    reindex(root, [str(pages_dir)], workers=1)
    listed, lexicon = _listed_and_lexicon(root)
    assert listed == lexicon and "zygodactylous" in listed
    check_index(root)  # the list was replaced, not written through the link to the last generation
    with Searcher(root) as searcher:  # a truncation is completed from the listed words
        assert searcher.search("zygodac").hits[0].code == "J9229"


def test_a_generation_without_the_list_reads_the_lexicon(built_index: Path, tmp_path: Path) -> None:
    live = open_live(built_index)
    try:
        with live.ix.reader() as reader:
            assert read_naming_words(tmp_path, reader) == _lexicon(reader)  # no list in tmp_path
            assert read_naming_words(live.generation.path, reader) == _lexicon(reader)
    finally:
        live.ix.close()


def test_known_words_are_looked_up_without_reading_the_list(built_index: Path) -> None:
    """A query of known words never reads the naming words (a cold search's cost, issue 16);
    the first word looked up by its beginning or letters reads them, once."""
    live = open_live(built_index)
    try:
        engine = IndexSearcher(live.ix)
        reads: list[int] = []

        def read_words() -> list[str]:
            reads.append(1)
            return engine.naming_words(live.generation.path)

        vocabulary = Vocabulary(engine, read_words)
        assert vocabulary.is_word("Leukemia") and vocabulary.word_frequency("leukemia") > 0
        assert not vocabulary.is_word("zygodactylous") and not vocabulary.is_word("1st")
        assert reads == []
        assert [c.word for c in vocabulary.completions("leuk")] == ["leukemia"]
        assert "leukemia" in [c.word for c in vocabulary.corrections("leukemai")]
        assert reads == [1]
    finally:
        live.ix.close()
