"""One open Searcher per search thread, switched to a newly published generation by itself.

Opening a searcher is the slow part of a search, so each thread keeps its own open (a Whoosh
searcher is not safe to share across threads; `medcodes serve --workers N` runs N processes,
each with its own threads and searchers). Before a search a thread checks CURRENT, at most once
a second; when a reindex has published a new generation it opens it (and reads its vocabulary)
before letting the old one go, so no request fails or waits on a half-open index during the
switch. If the new generation cannot be opened the old one keeps answering.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from medcodes.errors import MedcodesError
from medcodes.index.store import current_generation
from medcodes.queries.search import Searcher

log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0
T = TypeVar("T")


@dataclass
class _Held:
    searcher: Searcher
    checked: float  # time.monotonic() of the last look at CURRENT


class SearcherPool:
    """Hands each thread its own Searcher of the index at `index_dir`, kept current."""

    def __init__(self, index_dir: Path, check_every: float = CHECK_EVERY_S) -> None:
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[_Held] = []  # every thread's, to close them at shutdown

    def searcher(self) -> Searcher:
        """This thread's searcher; opened on first use (IndexMissingError and the like when the
        index cannot be opened), switched when CURRENT names a newer generation."""
        held: _Held | None = getattr(self._local, "held", None)
        now = time.monotonic()
        if held is None:
            held = _Held(_opened(self.index_dir), now)
            self._local.held = held
            with self._lock:
                self._open.append(held)
        elif now - held.checked >= self.check_every:
            held.checked = now
            self._switch_if_published(held)
        return held.searcher

    def _switch_if_published(self, held: _Held) -> None:
        try:
            if current_generation(self.index_dir).path.name == held.searcher.generation:
                return
            fresh = _opened(self.index_dir)
        except (MedcodesError, OSError) as err:
            log.warning("still serving %s: cannot open the new generation: %s", held.searcher.generation, err)
            return
        old, held.searcher = held.searcher, fresh
        log.info("serving %s (was %s)", fresh.generation, old.generation)
        old.close()

    def run(self, work: Callable[[Searcher], T]) -> T:
        """`work` with this thread's searcher. Should the files of its generation be gone (two
        publishes within the second between looks at CURRENT, and the older one removed), the
        live generation is opened and `work` runs once more on it."""
        searcher = self.searcher()
        try:
            return work(searcher)
        except OSError as err:
            if isinstance(err, MedcodesError):
                raise  # the core's own errors (IndexMissingError is a FileNotFoundError) say it all
            log.warning("reopening %s: %s", self.index_dir, err)
            held: _Held = self._local.held
            held.checked = -self.check_every  # look at CURRENT now
            self._switch_if_published(held)
            return work(held.searcher)

    @property
    def open_count(self) -> int:
        """How many searchers are open: one per thread that has searched."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        with self._lock:
            for held in self._open:
                held.searcher.close()
            self._open.clear()


def _opened(index_dir: Path) -> Searcher:
    """A searcher of the live generation with its vocabulary read: what a query reads of the
    generation's files later is then already open (and the first query is not the slow one)."""
    searcher = Searcher(index_dir)
    try:
        _ = searcher.vocabulary
    except BaseException:
        searcher.close()
        raise
    return searcher


__all__ = ["CHECK_EVERY_S", "SearcherPool"]
