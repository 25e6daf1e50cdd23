"""The naming words of a generation (its WORDS field's lexicon), listed in a file beside it.

The query side reads every naming word to read truncations, contractions and typos
(queries/expand/vocabulary.py). Walking Whoosh's term index for them took 0.3 s at 100,000 pages
(112,307 words), the largest part of a cold `medcodes search` after imports (issue 6's note).
The writer lists them once per generation; a reader reads the list in milliseconds, or walks
the lexicon when the file is missing (a generation written before the file existed).
"""

from __future__ import annotations

from pathlib import Path

from whoosh.index import Index
from whoosh.reading import IndexReader

from medcodes.index.fields import WORDS

WORDS_FILE = "words.txt"


def write_naming_words(generation_path: Path, ix: Index) -> None:
    """List the naming words of the committed index `ix`, one per line, in lexicon order.

    The new generation starts with hard links to the live one's files, this list among them:
    it is replaced by a new file, never written through the link into the live generation."""
    with ix.reader() as reader:
        words = _lexicon(reader)
    path = generation_path / WORDS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
    tmp.replace(path)


def read_naming_words(generation_path: Path, reader: IndexReader) -> list[str]:
    """The naming words of the generation at `generation_path` whose reader is `reader`."""
    try:
        return (generation_path / WORDS_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return _lexicon(reader)


def _lexicon(reader: IndexReader) -> list[str]:
    return [term.decode("utf-8") if isinstance(term, bytes) else term for term in reader.lexicon(WORDS)]
