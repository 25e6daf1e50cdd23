"""Answer a stream of texts in forked worker processes, in input order, as they come (`search --queries`).

One Python process searches on one core, so a long batch is spread over processes forked from
the one that opened the index: each worker inherits the open searcher (its segments are memory
maps, read-only and shared between processes, and nothing is read through a shared file
offset), so a worker opens nothing and the whole batch reads the generation the caller opened,
whatever a reindex publishes meanwhile.

Texts are read by a thread as they arrive (a pipe's line is answered before the next is
written) and at most `in_flight` are out at once: a million-line file is never held in memory,
and the answers waiting for a slower earlier one are bounded too. Workers ignore Ctrl-C (the
caller decides), die with the caller (PR_SET_PDEATHSIG) and are gone when the batch ends,
however it ends.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any, Generic, TypeVar

from medcodes.errors import MedcodesError
from medcodes.pipeline.parent_death import die_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Texts sent out but not yet yielded, per worker: enough to keep each busy while the caller
# writes an answer, few enough that the answers held for a slow earlier text stay small.
IN_FLIGHT_PER_WORKER = 8
# How often the collector looks for a worker that died without answering.
_POLL_S = 0.5
# How long a worker that was asked to stop may take before it is killed.
_STOP_S = 5.0


class WorkerDiedError(MedcodesError, RuntimeError):
    """A worker process ended without answering (killed, out of memory): the batch ends."""


def available_cores() -> int:
    """The cores this process may run on (its affinity, which a container or taskset narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers can inherit the open searcher: only where the fork start method exists."""
    return "fork" in multiprocessing.get_all_start_methods()


def answer_in_workers(answer: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`answer(item)` for each item, computed in `workers` forked processes, yielded in order,
    each as soon as it and every one before it are done.

    `answer` handles its own per-item failures; a MedcodesError it raises ends the batch: the
    answers before that item are yielded, then the error is raised here. So is an error raised
    while reading `items`.

    >>> list(answer_in_workers(str.upper, iter(["a", "b"]), 2))
    ['A', 'B']
    """
    pool = _Pool(answer, workers)
    try:
        yield from pool.answers(items)
    finally:
        pool.close()


class _Raised:
    """In place of an answer: the MedcodesError the item raised, raised again in order."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Pool(Generic[T, R]):
    def __init__(self, answer: Callable[[T], R], workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self._tasks: Queue[tuple[int, T] | None] = context.Queue()
        self._results: Queue[tuple[int, Any]] = context.Queue()
        self._in_flight = threading.Semaphore(workers * IN_FLIGHT_PER_WORKER)
        self._stopping = threading.Event()
        self._sending = threading.Lock()  # no item is put into a queue close() has closed
        self._completed = False  # every answer was yielded
        self._end: int | None = None  # how many items there were, once read to the end
        self._input_error: BaseException | None = None
        parent = os.getpid()
        self._workers: list[BaseProcess] = [
            context.Process(
                target=_work,
                args=(answer, self._tasks, self._results, parent),
                name=f"medcodes-search-{n}",
                daemon=True,
            )
            for n in range(workers)
        ]
        # Forked before the feeding thread exists: a child never inherits a lock held by a thread.
        # A child flushes its standard streams as it ends: what the caller wrote but had not
        # flushed must not come out once more per worker.
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        for worker in self._workers:
            worker.start()

    def answers(self, items: Iterable[T]) -> Iterator[R]:
        feeder = threading.Thread(
            target=self._feed, args=(iter(items),), name="medcodes-batch-feed", daemon=True
        )
        feeder.start()
        waiting: dict[int, Any] = {}
        done = 0
        while True:
            while done in waiting:
                answer = waiting.pop(done)
                done += 1
                self._in_flight.release()
                if isinstance(answer, _Raised):
                    raise answer.error
                yield answer
            if self._end is not None and done >= self._end:
                if self._input_error is not None:
                    raise self._input_error
                self._completed = True
                return
            try:
                number, answer = self._results.get(timeout=_POLL_S)
            except queue.Empty:
                self._check_workers()
                continue
            if number >= 0:
                waiting[number] = answer

    def _feed(self, items: Iterator[T]) -> None:
        """Send the items out as they are read, never more than the in-flight bound at once."""
        count = 0
        try:
            for item in items:
                while not self._in_flight.acquire(timeout=_POLL_S):
                    if self._stopping.is_set():
                        return
                with self._sending:
                    if self._stopping.is_set():
                        return
                    self._tasks.put((count, item))
                count += 1
        except BaseException as err:  # noqa: BLE001 -- handed to the collector, raised there in order
            self._input_error = err
        with self._sending:
            self._end = count
            if not self._stopping.is_set():
                self._results.put((-1, None))  # wake the collector: the end is known

    def _check_workers(self) -> None:
        for worker in self._workers:
            if not worker.is_alive():
                raise WorkerDiedError(
                    f"a search worker ended without answering (exit code {worker.exitcode}); "
                    "the batch stops here"
                )

    def close(self) -> None:
        """Stop the workers and wait for them: none outlives the batch."""
        with self._sending:
            self._stopping.set()
        for _ in self._workers:
            self._tasks.put(None)
        for worker in self._workers:
            if not self._completed:
                worker.terminate()  # cut short: what they are answering is not wanted
            worker.join(_STOP_S)
            if worker.is_alive():
                worker.kill()
                worker.join()
        # The queues' threads must not wait at exit to flush into pipes no one reads.
        for channel in (self._tasks, self._results):
            channel.cancel_join_thread()
            channel.close()


def _work(
    answer: Callable[[T], R], tasks: Queue[tuple[int, T] | None], results: Queue[Any], parent: int
) -> None:
    """A worker's loop: answer each item sent, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the caller decides
    die_with_parent(parent)  # a batch killed with SIGKILL leaves no worker behind
    while (task := tasks.get()) is not None:
        number, item = task
        try:
            results.put((number, answer(item)))
        except MedcodesError as err:
            results.put((number, _Raised(_sendable(err))))
    results.close()
    results.join_thread()


def _sendable(error: MedcodesError) -> BaseException:
    """`error` if it survives pickling, else a MedcodesError with its message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 -- any failure to pickle means: send the message instead
        return MedcodesError(str(error))
    return error


__all__ = ["IN_FLIGHT_PER_WORKER", "WorkerDiedError", "answer_in_workers", "available_cores", "can_fork"]
