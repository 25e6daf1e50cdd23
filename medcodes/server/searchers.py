"""One open Searcher per search thread, switched to a newly published generation by itself.

Opening a searcher is the slow part of a search, so each thread keeps its own open (a Whoosh
searcher is not safe to share across threads; `medcodes serve --workers N` runs N processes,
each with its own threads and searchers).

A publish replaces CURRENT (index/store.publish: a new file renamed over the old), so a stat of
it tells a new generation from the served one in microseconds. Before each search a thread
stats CURRENT (at most every `check_every` s); a watcher thread stats it every `watch_every` s
and, for threads idle at that moment, opens and warms the new generation in the background
(vocabulary read, one search run), so that their next request only swaps searchers. A busy
thread does not wait for the watcher (under load it gets a share of the GIL at best): it opens
the new generation itself before its next search. Either way the old searcher answers until the
new one is open, and is closed after; if the new generation cannot be opened, the old one keeps
answering and the open is tried again after RETRY_S.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from medcodes.errors import MedcodesError
from medcodes.index.store import CURRENT_FILE, current_generation
from medcodes.queries.search import Searcher

log = logging.getLogger(__name__)

# Seconds between a search thread's looks (a stat) at CURRENT, and the watcher's.
CHECK_EVERY_S = 0.1
WATCH_EVERY_S = 0.1
# A thread that has not searched for this long gets its next searcher from the watcher.
IDLE_S = 0.5
# After a generation could not be opened, seconds before it is tried again.
RETRY_S = 1.0
# What the watcher searches to warm a new searcher (its first search reads what searches share).
WARM_QUERY = "pain"
T = TypeVar("T")

Signature = tuple[int, int, int] | None  # CURRENT's inode, mtime and size; None when missing


@dataclass(eq=False)
class _Held:
    """A thread's searcher, what CURRENT looked like when it was opened, and what comes next."""

    searcher: Searcher
    seen: Signature
    checked: float  # time.monotonic() of the last look at CURRENT
    used: float  # time.monotonic() of the last search
    pending: Searcher | None = None  # prepared by the watcher, taken before the next search
    pending_seen: Signature = None
    failed: Signature = None  # CURRENT when a switch last failed
    failed_at: float = 0.0


class SearcherPool:
    """Hands each thread its own Searcher of the index at `index_dir`, kept current.

    `watch_every=None`: no watcher; each thread switches by itself only."""

    def __init__(
        self,
        index_dir: Path,
        check_every: float = CHECK_EVERY_S,
        watch_every: float | None = WATCH_EVERY_S,
        idle: float = IDLE_S,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self.watch_every = watch_every
        self.idle = idle
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[_Held] = []  # every thread's, to close them at shutdown
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def searcher(self) -> Searcher:
        """This thread's searcher; opened on first use (IndexMissingError and the like when the
        index cannot be opened), switched when CURRENT names a newer generation."""
        held: _Held | None = getattr(self._local, "held", None)
        now = time.monotonic()
        if held is None:
            seen = _signature(self.index_dir)
            held = _Held(_opened(self.index_dir), seen, now, now)
            self._local.held = held
            with self._lock:
                self._open.append(held)
            self._start_watcher()
            return held.searcher
        held.used = now
        if held.pending is not None:
            self._take_pending(held)
        if now - held.checked >= self.check_every:
            held.checked = now
            seen = _signature(self.index_dir)
            if seen != held.seen:
                self._switch(held, seen, now)
        return held.searcher

    def _take_pending(self, held: _Held) -> None:
        with self._lock:
            fresh, held.pending = held.pending, None
            if fresh is None:
                return
            old, held.searcher, held.seen = held.searcher, fresh, held.pending_seen
        log.info("serving %s (was %s), prepared in the background", fresh.generation, old.generation)
        old.close()

    def _switch(self, held: _Held, seen: Signature, now: float) -> None:
        """Open the generation CURRENT names now, unless it is the one served."""
        if seen == held.failed and now - held.failed_at < RETRY_S:
            return
        try:
            if current_generation(self.index_dir).path.name == held.searcher.generation:
                held.seen = seen
                return
            fresh = _opened(self.index_dir)
        except (MedcodesError, OSError) as err:
            held.failed, held.failed_at = seen, now
            log.warning("still serving %s: cannot open the new generation: %s", held.searcher.generation, err)
            return
        with self._lock:
            old, held.searcher, held.seen = held.searcher, fresh, seen
        log.info("serving %s (was %s)", fresh.generation, old.generation)
        old.close()

    def run(self, work: Callable[[Searcher], T]) -> T:
        """`work` with this thread's searcher. Should the files of its generation be gone (two
        publishes before this thread looked at CURRENT, and the older one removed), the live
        generation is opened and `work` runs once more on it."""
        searcher = self.searcher()
        try:
            return work(searcher)
        except OSError as err:
            if isinstance(err, MedcodesError):
                raise  # the core's own errors (IndexMissingError is a FileNotFoundError) say it all
            log.warning("reopening %s: %s", self.index_dir, err)
            held: _Held = self._local.held
            held.failed = None
            self._switch(held, _signature(self.index_dir), time.monotonic())
            return work(held.searcher)

    # --- the watcher -------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        with self._lock:
            if self.watch_every is None or self._watcher is not None or self._stop.is_set():
                return
            self._watcher = threading.Thread(target=self._watch, name="medcodes-watch", daemon=True)
            self._watcher.start()  # under the lock: close() never sees it unstarted

    def _watch(self) -> None:
        """Until the pool closes: when CURRENT changes, prepare the idle threads' searchers."""
        assert self.watch_every is not None
        handled: Signature = None
        wait = self.watch_every
        while not self._stop.wait(wait):
            wait = self.watch_every
            seen = _signature(self.index_dir)
            if seen == handled or seen is None:
                continue
            try:
                if self._prepare_idle(seen):
                    handled = seen
            except (MedcodesError, OSError) as err:
                log.warning("cannot prepare the new generation: %s", err)
                wait = max(RETRY_S, self.watch_every)

    def _prepare_idle(self, seen: Signature) -> bool:
        """Prepare a searcher of the live generation for each idle thread that serves another;
        True when no thread is left to prepare for."""
        with self._lock:
            helds = list(self._open)
        name = current_generation(self.index_dir).path.name
        done = True
        for held in helds:
            base = held.searcher
            if self._stop.is_set():
                return False
            if base.generation == name or (held.pending is not None and held.pending_seen == seen):
                continue
            if time.monotonic() - held.used < self.idle:
                done = False  # busy: it switches by itself before its next search
                continue
            fresh = _opened(self.index_dir, warm=True)
            unused: Searcher | None = fresh
            with self._lock:  # the thread may have switched by itself meanwhile: then it is not needed
                if held.searcher is base and held in self._open and not self._stop.is_set():
                    unused, held.pending, held.pending_seen = held.pending, fresh, seen
            if unused is not None:
                unused.close()
        return done

    # --- the pool ----------------------------------------------------------------------------

    @property
    def open_count(self) -> int:
        """How many searchers are open: one per thread that has searched."""
        with self._lock:
            return len(self._open)

    @property
    def prepared_count(self) -> int:
        """How many threads have a searcher prepared by the watcher, not yet taken."""
        with self._lock:
            return sum(held.pending is not None for held in self._open)

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            watcher = self._watcher
        if watcher is not None:
            watcher.join(timeout=30)
        with self._lock:
            for held in self._open:
                held.searcher.close()
                if held.pending is not None:
                    held.pending.close()
            self._open.clear()


def _signature(index_dir: Path) -> Signature:
    """What tells one CURRENT from the next: a publish renames a new file over it."""
    try:
        stat = os.stat(index_dir / CURRENT_FILE)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _opened(index_dir: Path, warm: bool = False) -> Searcher:
    """A searcher of the live generation with its vocabulary read: what a query reads of the
    generation's files later is then already open (and the first query is not the slow one).
    `warm`: one search run too, which reads what every search needs (the watcher's)."""
    searcher = Searcher(index_dir)
    try:
        _ = searcher.vocabulary
        if warm:
            with contextlib.suppress(MedcodesError):  # a query error warms as much
                searcher.search(WARM_QUERY, limit=1)
    except BaseException:
        searcher.close()
        raise
    return searcher


__all__ = ["CHECK_EVERY_S", "IDLE_S", "RETRY_S", "WATCH_EVERY_S", "SearcherPool"]
