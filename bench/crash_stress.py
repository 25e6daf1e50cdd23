"""Crash stress: kill -9 ingest and reindex at random moments, then check the index every time.

    python bench/crash_stress.py --trials 300 --pages 200 --work /tmp/crash-stress
    python bench/crash_stress.py --trials 20 --kill main      # the main process only

Each trial flips the corpus between two states (A, and B = some pages changed, some deleted,
some added), starts `medcodes reindex`, `reindex --full` or `ingest` as a real process, kills it
with SIGKILL at a random moment of its run, and asserts that the index opens and answers, holds
exactly the keys of the state before or of the state after the run (never a mix), passes
`medcodes check`, and that the next reindex completes and mirrors the corpus.

A kill takes the run's whole process group (`group`: the run and its parser workers), or its
main process only (`main`, as the kernel's OOM killer does): then its workers must end by
themselves within seconds, and the next reindex must not find them holding the write lock.
tests/test_crash.py runs the same trials, fewer of them, in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from medcodes.index.build import ingest  # noqa: E402
from medcodes.index.check import check_index  # noqa: E402
from medcodes.index.fields import KEY  # noqa: E402
from medcodes.index.lock import LOCK_FILE  # noqa: E402
from medcodes.index.reader import open_live  # noqa: E402
from medcodes.index.reindex import reindex  # noqa: E402
from medcodes.queries.search import Searcher  # noqa: E402

COMMANDS = {
    "reindex": ["reindex"],
    "reindex --full": ["reindex", "--full"],
    "ingest": ["ingest", "{corpus}"],
}
KILLS = {
    "group": "the run and its parser workers",
    "main": "the main process only, as the OOM killer does",
}
# How long the workers of a run whose main process was killed may take to end (generous).
ORPHANS_DEADLINE = 20.0
_FILE_KEY = re.compile(r"^([a-z0-9]+)-(.+?)\.(?:txt|html)$")


@dataclass(frozen=True)
class Trial:
    command: str
    kill: str  # a key of KILLS
    killed_after: float  # seconds after start
    outcome: str  # "before" or "after": the state the index held after the kill


class CorpusStates:
    """Flip a generated corpus between state A and state B, in place."""

    def __init__(self, corpus: Path, extra: Path, changes: int) -> None:
        self.corpus = corpus
        files = sorted(p for p in corpus.rglob("*") if p.is_file())
        self.changed = files[:changes]
        self.deleted = files[changes : 2 * changes]
        self.originals = {p: p.read_bytes() for p in self.changed + self.deleted}
        known = {p.name for p in files}
        self.added = [p for p in sorted(extra.rglob("*")) if p.is_file() and p.name not in known][
            : changes // 2
        ]
        self.in_b = False

    def flip(self) -> None:
        self.in_b = not self.in_b
        for path in self.changed:
            text = self.originals[path]
            path.write_bytes(
                text.replace(b"This page describes", b"This revised page describes") if self.in_b else text
            )
        for path in self.deleted:
            if self.in_b:
                path.unlink()
                self._remove_if_empty(path.parent)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.originals[path])
        for path in self.added:
            target = self.corpus / "added" / path.name
            if self.in_b:
                target.parent.mkdir(exist_ok=True)
                shutil.copy(path, target)
            else:
                target.unlink()
                self._remove_if_empty(target.parent)

    def _remove_if_empty(self, folder: Path) -> None:
        """Remove the folders a deletion left empty, as a user deleting pages on purpose does:
        a folder found empty keeps its pages (it may be a mount point not mounted)."""
        while folder != self.corpus and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def corpus_keys(corpus: Path) -> set[str]:
    """The keys a corpus of generated pages yields (their file names name them)."""
    keys = set()
    for path in corpus.rglob("*"):
        if path.is_file() and (match := _FILE_KEY.match(path.name)):
            keys.add(f"{match.group(1)}:{match.group(2)}")
    return keys


def index_keys(root: Path) -> set[str]:
    live = open_live(root)
    try:
        with live.ix.reader() as reader:
            return {fields[KEY] for _, fields in reader.iter_docs()}
    finally:
        live.ix.close()


def command_line(command: str, corpus: Path, root: Path, workers: int) -> list[str]:
    args = [a.format(corpus=corpus) for a in COMMANDS[command]]
    return [sys.executable, "-m", "medcodes", *args, "--index", str(root), "--workers", str(workers), "-q"]


def timed_run(command: str, states: CorpusStates, root: Path, workers: int) -> float:
    """How long an uninterrupted run takes after a flip: the window kills are drawn from."""
    states.flip()
    started = time.monotonic()
    subprocess.run(
        command_line(command, states.corpus, root, workers), cwd=ROOT, check=False, capture_output=True
    )
    seconds = time.monotonic() - started
    reindex(root, workers=1)
    return seconds


def run_trial(
    command: str,
    states: CorpusStates,
    root: Path,
    window: float,
    rng: random.Random,
    workers: int,
    kill: str = "group",
) -> Trial:
    before = index_keys(root)
    states.flip()
    after = corpus_keys(states.corpus) | (before if command == "ingest" else set())
    process = subprocess.Popen(
        command_line(command, states.corpus, root, workers),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = time.monotonic()
    if rng.random() < 0.5:
        # Half of the kills land while the run holds the write lock: the writing, committing
        # and publishing, rather than process start-up.
        _wait_for_lock_holder(root, process)
    time.sleep(rng.uniform(0, 1.3 * max(0.0, window - (time.monotonic() - started))))
    delay = time.monotonic() - started
    try:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if kill == "group":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its parser workers too
        keys = index_keys(root)
        with Searcher(root) as searcher:
            searcher.search("describes", limit=3)
        assert keys in (before, after), f"{command} killed after {delay:.2f} s left a mixed index"
        check_index(root)
        # After a kill of the main process alone, its workers may still be ending: they must not
        # hold the write lock (a reindex waiting 10 s for them would fail here).
        converged = reindex(root, workers=1, wait=10)
        assert index_keys(root) == corpus_keys(states.corpus), f"reindex after {command} did not converge"
        assert converged.doc_count == len(corpus_keys(states.corpus))
        if kill == "main":
            _wait_for_orphans_to_end(process.pid, f"{command} killed after {delay:.2f} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left, so that trials stay apart
    return Trial(command, kill, delay, "after" if keys == after and keys != before else "before")


def _wait_for_orphans_to_end(session: int, run: str) -> None:
    """Wait until no process of the killed run's session runs; fail after ORPHANS_DEADLINE s."""
    deadline = time.monotonic() + ORPHANS_DEADLINE
    while left := _session_processes(session):
        assert time.monotonic() < deadline, f"{run}: its workers {left} outlived it"
        time.sleep(0.02)


def _session_processes(session: int) -> list[int]:
    """Processes of a session that still run (a zombie has ended; in a container nothing may
    reap it). Empty where there is no /proc to look in."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _wait_for_lock_holder(root: Path, process: subprocess.Popen[bytes]) -> None:
    holder = f'"pid": {process.pid},'.encode()
    while process.poll() is None and holder not in _read_or_empty(root / LOCK_FILE):
        time.sleep(0.005)


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def prepare(work: Path, pages: int, data: Path | None) -> tuple[CorpusStates, Path]:
    """Generate the corpus (and the pages state B adds), ingest it; returns states and index."""
    shutil.rmtree(work, ignore_errors=True)
    corpus, extra, root = work / "corpus", work / "extra", work / "index"
    generator = [sys.executable, str(HERE / "generate_corpus.py")]
    options = ["--data", str(data)] if data else []
    subprocess.run([*generator, str(pages), str(corpus), *options], check=True, capture_output=True)
    subprocess.run([*generator, "40", str(extra), "--seed", "7", *options], check=True, capture_output=True)
    states = CorpusStates(corpus, extra, changes=max(4, pages // 10))
    ingest([str(corpus)], root, workers=1)
    return states, root


def run_trials(
    states: CorpusStates,
    root: Path,
    trials: int,
    seed: int = 0,
    workers: int = 1,
    kills: tuple[str, ...] = tuple(KILLS),
) -> list[Trial]:
    """`trials` kills, each of a command and a kill (of `kills`) drawn at random."""
    rng = random.Random(seed)
    windows = {command: timed_run(command, states, root, workers) for command in COMMANDS}
    results = []
    for _ in range(trials):
        command = rng.choices(list(COMMANDS), weights=(3, 1, 1))[0]
        kill = rng.choice(kills)
        results.append(run_trial(command, states, root, windows[command], rng, workers, kill))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/medcodes-crash-stress"))
    parser.add_argument("--data", type=Path, help="code-set data for the generator")
    parser.add_argument("--workers", type=int, default=2, help="parser processes of the killed runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--kill",
        choices=[*KILLS, "both"],
        default="both",
        help="what a kill takes: " + "; ".join(f"{k}: {v}" for k, v in KILLS.items()) + " [both, at random]",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # lock takeovers are expected here, thousands of them
    started = time.monotonic()
    states, root = prepare(args.work, args.pages, args.data)
    kills = tuple(KILLS) if args.kill == "both" else (args.kill,)
    results = run_trials(states, root, args.trials, args.seed, args.workers, kills)
    tally = Counter((t.command, t.kill, t.outcome) for t in results)
    seconds = time.monotonic() - started
    print(f"{len(results)} kill -9 trials on {args.pages} pages in {seconds:.0f} s: all passed")
    for (command, kill, outcome), count in sorted(tally.items()):
        print(f"  {command:15} killed ({kill:5}), index held the state {outcome:6} the run: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
