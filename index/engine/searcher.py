"""The engine-neutral reader API that medcodes.queries searches through.

In the style of tantivy-py's `Searcher`: document frequencies, terms with a prefix, per-page
column values and stored records, key listings in code order, and a plan
(medcodes.index.search_plan) scored term at a time. Pages are named by document numbers that
hold for the searcher's lifetime. Nothing here hands a Whoosh object out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.index import Index

from medcodes.index.engine.key_table import KeyTable, read_key_table
from medcodes.index.engine.listing import list_codes
from medcodes.index.engine.naming_words import read_naming_words
from medcodes.index.engine.opening import UNREADABLE, damaged
from medcodes.index.engine.scoring import FirstStage, TermAtATime, term_docs
from medcodes.index.fields import HEAD, KEY, RECORD, SYSTEM
from medcodes.index.search_plan import KeySpan, Node


class IndexSearcher:
    """Reads one opened generation; close it (or use it as a context manager) when done.

    >>> with IndexSearcher(live.ix) as searcher:
    ...     searcher.doc_freq("title", "infus")
    """

    def __init__(self, ix: Index, generation_path: Path | None = None) -> None:
        try:
            self._searcher = ix.searcher()  # opens every segment: a damaged one fails here
        except UNREADABLE as err:
            raise damaged(getattr(ix.storage, "folder", ""), err) from err
        self._reader = self._searcher.reader()
        self._scorer: TermAtATime | None = None
        self._heads: Any = None  # the HEAD column's reader, opened on first need
        self._systems: np.ndarray | None = None  # per page, its code system's number
        self._system_names: list[str] = []
        self._generation_path = generation_path  # where its side files are (the key table)
        self._key_table: KeyTable | None = None  # read on first listing
        self._key_table_read = False

    def __enter__(self) -> IndexSearcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()

    def doc_count(self) -> int:
        """Live pages (deleted ones left out)."""
        return self._searcher.doc_count()

    def doc_count_all(self) -> int:
        """Every page number of the searcher, deleted ones included: the size of per-page arrays."""
        return self._searcher.doc_count_all()

    def doc_freq(self, field: str, term: str) -> int:
        """How many pages hold `term` in `field` (deleted ones may be counted until a merge)."""
        return self._reader.doc_frequency(field, term)

    def terms_with_prefix(self, field: str, prefix: str) -> Iterator[str]:
        """The terms of `field` that begin with `prefix`, in sorted order."""
        for term in self._reader.expand_prefix(field, prefix):
            yield _text(term)

    def lexicon(self, field: str) -> list[str]:
        """Every term of `field`, in sorted order."""
        return [_text(term) for term in self._reader.lexicon(field)]

    def naming_words(self, generation_path: Path) -> list[str]:
        """The naming words of the generation this searcher reads (index/engine/naming_words.py)."""
        return read_naming_words(generation_path, self._reader)

    def term_docs(self, field: str, term: str, limit: int | None = None) -> np.ndarray:
        """The live pages that hold `term` in `field`, in page order (the first `limit` of them)."""
        return term_docs(self._searcher, field, term, limit)

    def head(self, docnum: int) -> bytes:
        """A page's head column value (record_codec.encode_head)."""
        if self._heads is None:
            self._heads = self._reader.column_reader(HEAD)
        return self._heads[docnum]

    def record(self, docnum: int) -> str:
        """A page's stored record (record_codec.encode_record)."""
        return self._searcher.stored_fields(docnum)[RECORD]

    def key(self, docnum: int) -> str:
        return self._searcher.stored_fields(docnum)[KEY]

    def stored(self, docnum: int) -> dict[str, Any]:
        """A page's stored values by field: its key, system and record."""
        return self._searcher.stored_fields(docnum)

    def docnum(self, key: str) -> int | None:
        """The page number of a live page's key ("icd10cm:E11.9"), or None: a bisection of the
        key table (re-ranking asks it of each ICD-10-CM candidate's parent categories), or a
        term lookup where the generation has none."""
        table = self._keys_in_order()
        if table is not None:
            return table.docnum(key)
        return self._searcher.document_number(**{KEY: key})

    def records_with(self, field: str, term: str) -> list[str]:
        """The stored records of the live pages that hold `term` in `field`."""
        return [fields[RECORD] for fields in self._searcher.documents(**{field: term})]

    def run(
        self, query: Node, filter_query: Node | None, limit: int, allowed: np.ndarray | None = None
    ) -> FirstStage:
        """The best `limit` pages of `query` among those `filter_query` matches (and `allowed`
        holds, a boolean per page number), scored BM25F."""
        return self._term_at_a_time().run(query, filter_query, limit, allowed)

    def in_key_order(
        self, query: Node, filter_query: Node | None, limit: int, allowed: np.ndarray | None = None
    ) -> list[int]:
        """The first `limit` pages `query` matches (within `filter_query`), in key order."""
        matched = self.matching(query, filter_query, allowed)
        keyed = sorted((self.key(docnum), docnum) for docnum in np.flatnonzero(matched).tolist())
        return [docnum for _, docnum in keyed[:limit]]

    def count_by_system(
        self, query: Node, filter_query: Node | None, allowed: np.ndarray | None = None
    ) -> dict[str, int]:
        """How many pages `query` matches (within `filter_query`) per code system, by name."""
        found = self._system_of_pages()[self.matching(query, filter_query, allowed)]
        counts = np.bincount(found[found >= 0], minlength=len(self._system_names)).tolist()
        return {name: count for name, count in zip(self._system_names, counts, strict=True) if count}

    def page_classes(self, classify: Callable[[str], int]) -> np.ndarray:
        """Per page number, `classify(key)` of its live page (-1 for a deleted one): a column of
        attributes kept outside the index (code-set status), to filter and count pages by."""
        classes = np.full(self.doc_count_all(), -1, dtype=np.int64)
        table = self._keys_in_order()
        if table is not None:  # the live keys and their pages, without a posting list read per key
            for key, docnum in zip(table.keys.tolist(), table.docs.tolist(), strict=True):
                classes[docnum] = classify(key.decode("utf-8"))
            return classes
        for key in self.lexicon(KEY):
            classes[self.term_docs(KEY, key)] = classify(key)
        return classes

    def list_keys(
        self,
        spans: list[KeySpan],
        limit: int,
        skip: frozenset[str],
        keep: Callable[[str], bool] | None = None,
    ) -> tuple[list[int], dict[str, int]]:
        """The first `limit` live pages whose keys fall in the spans, in key order (keys in
        `skip` left out, and those `keep` refuses), and how many pages the spans hold per code
        system."""
        table = self._keys_in_order()
        if table is not None:
            return table.listing(spans, limit, skip, keep)
        return list_codes(self._reader, spans, limit, skip, keep)

    def _keys_in_order(self) -> KeyTable | None:
        """The generation's key table; None when it has none that fits (then listings walk
        the key lexicon)."""
        if not self._key_table_read and self._generation_path is not None:
            self._key_table = read_key_table(self._generation_path, self._reader)
        self._key_table_read = True
        return self._key_table

    def matching(
        self, query: Node, filter_query: Node | None, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Which page numbers `query` matches (within `filter_query` and `allowed`), a boolean each."""
        scorer = self._term_at_a_time()
        matched = scorer.matching(query)
        if filter_query is not None:
            matched = matched & scorer.matching(filter_query)
        return matched & allowed if allowed is not None else matched

    def _term_at_a_time(self) -> TermAtATime:
        if self._scorer is None:
            self._scorer = TermAtATime(self._searcher)
        return self._scorer

    def _system_of_pages(self) -> np.ndarray:
        """Per page, the number of its code system in sorted order (-1: deleted)."""
        if self._systems is None:
            self._system_names = self.lexicon(SYSTEM)
            self._systems = np.full(self.doc_count_all(), -1, dtype=np.int64)
            for number, system in enumerate(self._system_names):
                self._systems[self.term_docs(SYSTEM, system)] = number
        return self._systems


def _text(term: object) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


__all__ = ["IndexSearcher"]
