"""kill -9 at random moments of ingest and reindex never breaks the index (real processes).

The trials are bench/crash_stress.py's, fewer of them: each flips the corpus between two
states, kills a running `medcodes ingest`, `reindex` or `reindex --full` at a random moment,
then asserts the index opens and answers, holds the keys of the state before or after the run
(never a mix), passes check, and that the next reindex converges on the corpus.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from conftest import GENERATOR_DATA, ROOT

from medcodes.index.reindex import reindex

TRIALS = 30
PAGES = 60


def load_crash_stress():
    spec = importlib.util.spec_from_file_location("crash_stress", ROOT / "bench" / "crash_stress.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path: Path) -> None:
    crash_stress = load_crash_stress()
    states, root = crash_stress.prepare(tmp_path / "work", PAGES, GENERATOR_DATA)
    trials = crash_stress.run_trials(states, root, TRIALS, seed=1)
    assert len(trials) == TRIALS
    commands = {trial.command for trial in trials}
    assert commands == set(crash_stress.COMMANDS)  # every kind of run was killed
    # Leftovers of killed writers go at the next publish: the live and the previous generation stay.
    reindex(root, full=True, workers=1)
    assert len([p for p in root.iterdir() if p.name.startswith("gen-")]) == 2
    shutil.rmtree(tmp_path / "work")
