"""`medcodes codesets load`: store official code-set releases in a new generation of the index.

The files are read before the write lock is taken (reading is the slow part, and a file that
cannot be read changes nothing). Under the lock, the next generation gets a new code-set file:
the entries of every system loaded before, with the systems of the files given replaced by
their new release, and a new title index (index/engine/title_index.py): one title-only
document per entry, its official descriptor, so that a code with no page is found by its words.
What changed per system is recorded in the generation's metadata. The
pages, their manifest and sources are carried over as they are; readers switch at publish.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcodes.index.build import live_generation
from medcodes.index.codesets import CODESETS_META, read_code_sets, write_code_sets
from medcodes.index.engine.title_index import write_title_index
from medcodes.index.lock import write_lock
from medcodes.index.manifest import load_manifest
from medcodes.index.store import IndexCorruptError, IndexPath, check_index_folder, reporting_full_disk
from medcodes.index.writing import GenerationWriter
from medcodes.pipeline.codesets.changes import ReleaseChanges, release_changes
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.problems import BadRow, CodeSetFileError, OnBadRow
from medcodes.pipeline.codesets.read import read_code_set

# Bad rows kept in a report (all are counted and passed to on_bad_row).
BAD_ROWS_KEPT = 20


@dataclass
class LoadReport:
    """What a load did: the releases read, what changed per system, the entries now stored."""

    index_dir: Path
    generation: str = ""
    releases: list[CodeSetRelease] = field(default_factory=list)
    changes: list[ReleaseChanges] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)  # entries per system in the index now
    bad_rows: int = 0
    first_bad_rows: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The `codesets load --json` object."""
        return {
            "index": str(self.index_dir),
            "generation": self.generation,
            "releases": [release_dict(r) for r in self.releases],
            "changes": [c.to_dict() for c in self.changes],
            "stored": self.stored,
            "bad_rows": self.bad_rows,
            "first_bad_rows": [str(row) for row in self.first_bad_rows],
            "seconds": round(self.seconds, 3),
        }


def release_dict(release: CodeSetRelease) -> dict[str, str]:
    return {
        "name": release.name,
        "system": release.system,
        "file": release.file,
        "version": release.version,
        "loaded": release.loaded,
    }


def load_code_sets(
    index_dir: IndexPath,
    files: Iterable[str | os.PathLike[str]],
    *,
    wait: float = 5.0,
    on_bad_row: OnBadRow | None = None,
    loaded: str | None = None,
) -> LoadReport:
    """Store the code sets of `files` in the index at `index_dir` (created when there is none).

    Raises CodeSetFileError (nothing changed) when a file cannot be read, is of no known format
    or yields no entry; a bad row is passed to `on_bad_row` and skipped.

    >>> report = load_code_sets("medcodes-index", ["icd10cm_2026_codes.jsonl"])  # doctest: +SKIP
    >>> report.changes[0].counts()["added"]  # doctest: +SKIP
    98186
    """
    started = time.monotonic()
    root = Path(index_dir)
    report = LoadReport(root)

    def bad_row(row: BadRow) -> None:
        report.bad_rows += 1
        if len(report.first_bad_rows) < BAD_ROWS_KEPT:
            report.first_bad_rows.append(row)
        if on_bad_row is not None:
            on_bad_row(row)

    read = [_read_file(path, bad_row, loaded) for path in files]
    if not read:
        raise CodeSetFileError("no code-set file given")
    check_index_folder(root)
    with reporting_full_disk(root), write_lock(root, wait=wait):
        live = live_generation(root)
        manifest = load_manifest(live) if live is not None else {}
        if manifest is None:
            raise IndexCorruptError(
                f"index at {root} has no manifest (built by an older medcodes): "
                "run medcodes reindex --full before loading code sets"
            )
        stored = read_code_sets(live) if live is not None else None
        releases: dict[str, CodeSetRelease] = dict(stored.releases) if stored else {}
        entries: dict[str, list[CodeSetEntry]] = (
            {system: list(stored.entries(system)) for system in stored.releases} if stored else {}
        )
        for release, new in read:
            old = releases.get(release.system)
            before = entries.get(release.system, [])
            report.changes.append(
                release_changes(release.system, old.name if old else "", release.name, before, new)
            )
            releases[release.system], entries[release.system] = release, new
            report.releases.append(release)
        meta = live.read_meta() if live is not None else {}
        with GenerationWriter(root, live, fresh=False) as writer:
            write_code_sets(writer.generation, releases, entries)
            # Every entry gets a title document; a search leaves out those whose code has a page.
            write_title_index(
                writer.generation.path,
                ((f"{e.system}:{e.code}", e.descriptor) for found in entries.values() for e in found),
            )
            report.stored = {system: len(found) for system, found in sorted(entries.items())}
            updates: dict[str, Any] = {
                CODESETS_META: {
                    "releases": {system: release_dict(r) for system, r in sorted(releases.items())},
                    "entries": report.stored,
                    "last_load": [c.to_dict() for c in report.changes],
                }
            }
            if "sources" in meta:
                updates["sources"] = meta["sources"]
            writer.publish(updates, manifest.values())
            report.generation = writer.generation.path.name
    report.seconds = time.monotonic() - started
    return report


def _read_file(
    path: str | os.PathLike[str], on_bad_row: OnBadRow, loaded: str | None
) -> tuple[CodeSetRelease, list[CodeSetEntry]]:
    release, entries = read_code_set(Path(path), on_bad_row, loaded)
    found = list(entries)
    if not found:
        raise CodeSetFileError(f"{path}: no code could be read")
    return release, found
