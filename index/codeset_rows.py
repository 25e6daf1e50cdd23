"""The code sets of a generation keyed by code in SQLite: what a search reads of them.

A search shows ten hits; unpickling the whole code-set file (20 MB for HCPCS + ICD-10-CM +
ICD-10-PCS) for their statuses cost more than the search itself. `codesets.sqlite`, written
beside `codesets.pickle` by every load, holds the same rows keyed by (system, code), so a
reader pays for the few pages of the file its lookups touch. Like every file of a generation
it is written once and never modified: it is opened immutable (no locks, no journal).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from medcodes.index.store import Generation, IndexCorruptError
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.table import CodeTable

ROWS_FILE = "codesets.sqlite"
ROWS_VERSION = 1
_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE entries (system TEXT, code TEXT, row BLOB, PRIMARY KEY (system, code)) WITHOUT ROWID;
CREATE TABLE children (system TEXT, parent TEXT, codes TEXT, PRIMARY KEY (system, parent)) WITHOUT ROWID;
"""
_BY_CODE = "CREATE INDEX entries_by_code ON entries (code)"


def write_code_rows(
    generation: Generation,
    releases: dict[str, CodeSetRelease],
    layouts: dict[str, Any],
    rows: dict[str, dict[str, Any]],
    children: dict[str, dict[str, list[str]]],
) -> None:
    """Write the keyed file of an unpublished generation (replacing, never rewriting, a file
    hard-linked from the live one). `layouts` maps a system to the (fields, constants) of its
    rows (medcodes.index.codesets.Layout)."""
    path = generation.path / ROWS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        meta = {
            "version": ROWS_VERSION,
            "releases": releases,
            "layouts": layouts,
            "counts": {system: len(codes) for system, codes in rows.items()},
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, pickle.dumps(v)) for k, v in meta.items()])
        for system, codes in rows.items():
            db.executemany(
                "INSERT INTO entries VALUES (?, ?, ?)",
                ((system, code, pickle.dumps(row)) for code, row in codes.items()),
            )
        db.executemany(
            "INSERT INTO children VALUES (?, ?, ?)",
            (
                (system, parent, "\n".join(codes))
                for system, parents in children.items()
                for parent, codes in parents.items()
            ),
        )
        db.execute(_BY_CODE)
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)


def has_code_rows(generation: Generation) -> bool:
    return (generation.path / ROWS_FILE).is_file()


class KeyedCodeTable(CodeTable):
    """A CodeTable answered from `codesets.sqlite`: an entry is read when it is looked up.

    Same answers as the StoredCodeTable of the same generation (tests/test_codeset_rows.py).
    """

    def __init__(self, path: Path, layout: Callable[[tuple[str, ...], dict[str, Any]], RowLayout]) -> None:
        """`layout`: makes the layout of a system's rows from its (fields, constants)."""
        super().__init__(())
        self.path = path
        try:
            # Read only and never modified: one connection may serve the server's threads.
            uri = f"{path.as_uri()}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            meta = {name: pickle.loads(value) for name, value in self._db.execute("SELECT * FROM meta")}
            if meta.get("version") != ROWS_VERSION:
                raise ValueError(f"version {meta.get('version')} is not {ROWS_VERSION}")
        except (sqlite3.Error, pickle.UnpicklingError, ValueError, EOFError, AttributeError) as err:
            raise IndexCorruptError(f"unreadable code sets in {path}: {err}") from err
        self.releases: dict[str, CodeSetRelease] = meta["releases"]
        self._counts: dict[str, int] = meta["counts"]
        self._layouts = {
            system: layout(tuple(fields), dict(constants))
            for system, (fields, constants) in meta["layouts"].items()
        }

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return sum(self._counts.values())

    def __iter__(self) -> Iterator[CodeSetEntry]:
        for system, code, row in self._db.execute("SELECT system, code, row FROM entries"):
            yield self._entry(system, code, row)

    def get(self, system: str, code: str) -> CodeSetEntry | None:
        found = self._db.execute(
            "SELECT row FROM entries WHERE system = ? AND code = ?", (system, code)
        ).fetchone()
        return self._entry(system, code, found[0]) if found is not None else None

    def find(self, code: str) -> list[CodeSetEntry]:
        found = self._db.execute("SELECT system, row FROM entries WHERE code = ? ORDER BY system", (code,))
        return [self._entry(system, code, row) for system, row in found]

    def children(self, system: str, code: str) -> list[str]:
        found = self._db.execute(
            "SELECT codes FROM children WHERE system = ? AND parent = ?", (system, code)
        ).fetchone()
        return found[0].split("\n") if found is not None else []

    def systems(self) -> set[str]:
        return {system for system, count in self._counts.items() if count}

    def _entry(self, system: str, code: str, row: bytes) -> CodeSetEntry:
        return self._layouts[system].entry(system, code, pickle.loads(row))


class RowLayout(Protocol):
    """How a stored row becomes an entry (medcodes.index.codesets.Layout)."""

    def entry(self, system: str, code: str, row: Any) -> CodeSetEntry: ...


__all__ = ["ROWS_FILE", "KeyedCodeTable", "has_code_rows", "write_code_rows"]
