"""What suggestions read of one generation, kept once for all its searchers in a process.

A keystroke of a common word read the same postings again and again: `excision righ` made a
mask of every page named `excision` and read every page of `right`, and each suggestion decoded
the heads of up to 150 pages. A generation never changes once published, so what was read of
it is kept: the pages of a naming word (all of them, or the first MAX_PAGES_READ), the code
terms a code prefix begins and the pages of each, and the code, system and title of a page.
The searchers of one generation (one per server thread) share one table: what one thread read,
the others do not read again. Each part is bounded, so a table holds about 100 MB at most
whatever the index size (a few tens of MB at 100,000 pages).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import numpy as np

from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.fields import CODE, WORDS
from medcodes.pipeline.records import CodePage

# Page numbers kept of the words whose every page was read (an int32 each: 4 bytes).
MAX_KEPT_PAGES = 4_000_000
# Words whose first pages are kept (MAX_PAGES_READ page numbers at most each: ~0.7 KB).
MAX_KEPT_WORDS = 20_000
# Pages whose code, system and title are kept (~0.5 KB each).
MAX_KEPT_NAMES = 100_000
# Code terms kept of the walks of code prefixes (~0.1 KB each), and code terms whose pages are.
MAX_KEPT_WALKED = 200_000
MAX_KEPT_CODES = 100_000


class Named(NamedTuple):
    """What a suggestion shows of a page, and its title in lower case to match words in."""

    code: str
    system: str
    title: str
    lowered: str


class CompletionTables:
    """One generation's naming-word pages and page names, read on first need, shared by threads."""

    def __init__(self, first_count: int) -> None:
        self.first_count = first_count  # how many first pages of a word are kept
        self._lock = threading.Lock()
        self._all: OrderedDict[str, np.ndarray] = OrderedDict()  # least recently used first
        self._all_size = 0
        self._first: OrderedDict[str, np.ndarray] = OrderedDict()
        self._names: dict[int, Named] = {}
        self._walks: dict[str, tuple[tuple[str, ...], bool]] = {}  # prefix -> (terms, all of them?)
        self._walked = 0  # terms in self._walks
        self._codes: dict[str, np.ndarray] = {}
        self._ranked: dict[tuple[str, int], tuple[Named, ...]] = {}

    def all_pages(self, searcher: IndexSearcher, word: str) -> np.ndarray:
        """Every live page named with `word`, in page order."""
        with self._lock:
            pages = self._all.get(word)
            if pages is not None:
                self._all.move_to_end(word)
                return pages
        pages = searcher.term_docs(WORDS, word).astype(np.int32)
        pages.flags.writeable = False  # shared by threads: nobody may change it
        with self._lock:
            if word not in self._all and len(pages) <= MAX_KEPT_PAGES:
                self._all[word] = pages
                self._all_size += len(pages)
                while self._all_size > MAX_KEPT_PAGES:
                    _, dropped = self._all.popitem(last=False)
                    self._all_size -= len(dropped)
        return pages

    def first_pages(self, searcher: IndexSearcher, word: str, count: int) -> np.ndarray:
        """The first `count` (at most `first_count`) live pages named with `word`."""
        with self._lock:
            pages = self._all.get(word)
            if pages is None:
                pages = self._first.get(word)
                if pages is not None:
                    self._first.move_to_end(word)
        if pages is None:
            pages = searcher.term_docs(WORDS, word, self.first_count).astype(np.int32)
            pages.flags.writeable = False
            with self._lock:
                self._first[word] = pages
                if len(self._first) > MAX_KEPT_WORDS:
                    self._first.popitem(last=False)
        return pages[:count]

    def code_terms(self, searcher: IndexSearcher, prefix: str) -> Iterator[str]:
        """The CODE terms that begin with `prefix`, in lexicon order: those walked before from
        here, then (when a caller wants more) the rest of the walk, kept for the next caller."""
        kept, complete = self._walks.get(prefix, ((), False))
        yield from kept
        if complete:
            return
        walked = list(kept)
        ended = False
        try:
            for term in islice(searcher.terms_with_prefix(CODE, prefix), len(kept), None):
                walked.append(term)
                yield term
            ended = True
        finally:  # also when the caller stops early: what it walked is kept
            if len(walked) > len(kept) or ended:
                if self._walked + len(walked) > MAX_KEPT_WALKED:
                    self._walks.clear()  # cheaper than keeping an order; walked again when typed
                    self._walked = 0
                self._walks[prefix] = (tuple(walked), ended)
                self._walked += len(walked) - len(kept)

    def code_pages(self, searcher: IndexSearcher, term: str) -> np.ndarray:
        """The live pages whose CODE field holds `term`."""
        pages = self._codes.get(term)
        if pages is None:
            pages = searcher.term_docs(CODE, term)
            pages.flags.writeable = False
            if len(self._codes) >= MAX_KEPT_CODES:
                self._codes.clear()
            self._codes[term] = pages
        return pages

    def ranked(self, word: str, count: int, rank: Callable[[], tuple[Named, ...]]) -> tuple[Named, ...]:
        """The first `count` pages of `word` in the order suggestions rank them (`rank` makes it)."""
        found = self._ranked.get((word, count))
        if found is None:
            found = rank()
            if len(self._ranked) >= MAX_KEPT_WORDS:
                self._ranked.clear()
            self._ranked[(word, count)] = found
        return found

    def named(self, docnum: int, head: Callable[[int], CodePage]) -> Named:
        """The code, system and title of page `docnum` (its head read by `head` once)."""
        found = self._names.get(docnum)
        if found is None:
            page = head(docnum)
            found = Named(page.code, page.system, page.title, page.title.lower())
            if len(self._names) >= MAX_KEPT_NAMES:
                self._names.clear()  # cheaper than keeping an order; the next ones are read again
            self._names[docnum] = found
        return found


_tables: weakref.WeakValueDictionary[tuple[str, str], CompletionTables] = weakref.WeakValueDictionary()
_tables_lock = threading.Lock()


def tables_for(generation: Path, identity: str, first_count: int) -> CompletionTables:
    """The tables of the generation at `generation` (`identity` tells apart two generations that
    had the same path in turn); kept while some searcher of it holds them."""
    key = (str(generation), identity)
    with _tables_lock:
        tables = _tables.get(key)
        if tables is None:
            tables = _tables[key] = CompletionTables(first_count)
        return tables


__all__ = ["CompletionTables", "Named", "tables_for"]
