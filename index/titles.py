"""Search the title documents of code-set entries (index/engine/title_index.py) of a generation.

What the pages' searcher does for pages, for the codes a search may show with no page: run a
plan on their official descriptors, limited to codes of given systems that have no page now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from medcodes.index.engine.scoring import FirstStage
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.engine.title_index import open_title_index
from medcodes.index.search_plan import Node


class TitleSearcher:
    """The title documents of one generation; close it when done.

    >>> titles = TitleSearcher.open(generation.path)
    >>> stage = titles.run(plan.query, 10, titles.without(page_keys))
    """

    def __init__(self, searcher: IndexSearcher, keys: np.ndarray) -> None:
        self._searcher = searcher
        self._keys = keys  # sorted UTF-8 byte strings: document n is the code of keys[n]

    @classmethod
    def open(cls, generation_path: Path) -> TitleSearcher | None:
        """The title documents of a generation folder; None when it has none (no code set
        loaded, or loaded by an older medcodes)."""
        opened = open_title_index(generation_path)
        if opened is None:
            return None
        ix, keys = opened
        return cls(IndexSearcher(ix), keys)

    def close(self) -> None:
        self._searcher.close()

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, docnum: int) -> str:
        """The key ("icd10cm:E11.9") of a title's code."""
        return bytes(self._keys[docnum]).decode("utf-8")

    def docnum(self, key: str) -> int | None:
        """The document number of a code's title ("icd10cm:E11.9"), or None."""
        wanted = key.encode("utf-8")
        at = self._at(wanted)
        return at if at < len(self._keys) and self._keys[at] == wanted else None

    def _at(self, key: bytes) -> int:
        return int(np.searchsorted(self._keys, key))

    def without(self, page_keys: Iterable[str], systems: tuple[str, ...] = ()) -> np.ndarray:
        """A boolean per title: its code has no key in `page_keys` and is of one of `systems`
        (any when empty)."""
        allowed = np.ones(len(self._keys), dtype=bool)
        if systems:
            allowed[:] = False
            for system in systems:  # keys are sorted: a system's codes are one stretch
                allowed[self._at(f"{system}:".encode()) : self._at(f"{system};".encode())] = True
        for key in page_keys:
            docnum = self.docnum(key)
            if docnum is not None:
                allowed[docnum] = False
        return allowed

    def keep(self, allowed: np.ndarray, query: Node, wanted: Callable[[str], bool]) -> np.ndarray:
        """`allowed` narrowed, among the titles `query` matches, to those whose key `wanted`
        accepts (a status filter: asked of the matching codes only, not of every code)."""
        matched = self._searcher.matching(query, None, allowed)
        narrowed = allowed.copy()
        for docnum in np.flatnonzero(matched).tolist():
            if not wanted(self.key(docnum)):
                narrowed[docnum] = False
        return narrowed

    def run(self, query: Node, limit: int, allowed: np.ndarray) -> FirstStage:
        """The best `limit` titles of `query` among the `allowed`, scored BM25F on the title field."""
        return self._searcher.run(query, None, limit, allowed)

    def matching(self, query: Node, allowed: np.ndarray) -> np.ndarray:
        return self._searcher.matching(query, None, allowed)


__all__ = ["TitleSearcher"]
