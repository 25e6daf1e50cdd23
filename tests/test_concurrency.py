"""A reader process searching continuously while reindexes publish: no error, no mixed state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import ROOT, age_files

from medcodes.index.build import ingest
from medcodes.index.reindex import reindex

# Counts two terms in one searcher, that is in one generation: every page's summary says
# "describes"; the changed pages' also say "zqxmarker".
READER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from medcodes.queries.search import Searcher

    def count(searcher, query):
        # Exact (facet) counts: a word query's total is Whoosh's estimate, deletions included.
        return sum(searcher.search(query, limit=1, facets=True).facets.values())

    root, stop = Path(sys.argv[1]), Path(sys.argv[2])
    seen, errors, searches = set(), [], 0
    searcher = Searcher(root)
    frozen = Searcher(root)  # never refreshed: its generation is deleted under it
    print("ready", flush=True)
    while not stop.exists():
        try:
            searcher.refresh()
            pages = count(searcher, "summary:describes")
            marked = count(searcher, "summary:zqxmarker")
            seen.add((pages, marked))
        except Exception as err:
            errors.append(f"{type(err).__name__}: {err}")
        searches += 1
    searcher.close()
    frozen_state = [count(frozen, q) for q in ("summary:describes", "summary:zqxmarker")]
    frozen.close()
    result = {"seen": sorted(seen), "errors": errors[:3], "searches": searches, "frozen": frozen_state}
    print(json.dumps(result))
""")


def test_readers_see_the_old_or_the_new_state_never_a_mix(generated_dir: Path, tmp_path: Path) -> None:
    root, stop = tmp_path / "ix", tmp_path / "stop"
    ingest([str(generated_dir)], root, workers=1)
    files = sorted(p for p in generated_dir.rglob("*") if p.is_file())
    # Deleted from the fullest folder: a folder left empty would keep its pages (is it mounted?).
    fullest = max({p.parent for p in files}, key=lambda folder: sum(p.parent == folder for p in files))
    deleted = [p for p in files if p.parent == fullest][:6]
    changed = [p for p in files if p not in deleted][:10]
    originals = {p: p.read_bytes() for p in changed + deleted}
    total = len(files)
    old_state, new_state = (total, 0), (total - len(deleted), len(changed))

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(root), str(stop)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        for round_ in range(3):
            for path in changed:
                path.write_bytes(
                    originals[path].replace(b"This page describes", b"This zqxmarker page describes")
                )
            for path in deleted:
                path.unlink()
            age_files(generated_dir)
            assert reindex(root, workers=1, full=round_ == 2).doc_count == new_state[0]
            time.sleep(0.3)
            for path, data in originals.items():
                path.write_bytes(data)
            age_files(generated_dir)
            assert reindex(root, workers=1).doc_count == old_state[0]
            time.sleep(0.3)
        stop.touch()
        result = json.loads(reader.stdout.readline())
    finally:
        if reader.poll() is None:
            stop.touch()
            reader.wait(timeout=30)
        if reader.stdout is not None:
            reader.stdout.close()
    assert result["errors"] == [], result
    assert {tuple(state) for state in result["seen"]} == {old_state, new_state}, result
    assert result["searches"] > 20
    assert tuple(result["frozen"]) == old_state  # a searcher kept open still answers, from its state


def test_a_second_writer_waits_for_the_first(generated_dir: Path, tmp_path: Path) -> None:
    """Two reindexes started together: one waits (bounded) for the other, both succeed."""
    root = tmp_path / "ix"
    ingest([str(generated_dir)], root, workers=1)
    shutil.rmtree(next(p for p in generated_dir.iterdir() if p.is_dir()))
    age_files(generated_dir)
    command = [sys.executable, "-m", "medcodes", "reindex", "--index", str(root), "--json", "--wait", "60"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    results = []
    for run in runs:
        out, _ = run.communicate(timeout=120)
        assert run.returncode == 0
        results.append(json.loads(out))
    assert sorted(r["changed"] for r in results) == [False, True]  # the second found nothing left to do
