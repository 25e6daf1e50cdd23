"""The code sets stored in a generation: one compact file beside the Whoosh index.

`codesets.pickle` holds the releases loaded so far and, per system, every entry as a plain
tuple (strings, booleans, dates) keyed by code, with each parent's children listed. Tuples
rather than pickled dataclasses, and entries made only when looked up (`StoredCodeTable`):
opening all 186k entries of HCPCS + ICD-10-CM + ICD-10-PCS then costs one unpickling of plain
containers, not 186k objects. Code-set attributes are not Whoosh fields: they are looked up by
code, never searched (but each entry's descriptor is a title document: title_index.py).

Like every file of a generation it is never modified: a load writes a new one into the next
generation, and an incremental generation hard-links it (medcodes.index.store.next_generation).
"""

from __future__ import annotations

import gc
import os
import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from medcodes.errors import MedcodesError
from medcodes.index.codeset_rows import ROWS_FILE, KeyedCodeTable, write_code_rows
from medcodes.index.engine.title_index import title_index_files
from medcodes.index.store import Generation, IndexCorruptError, IndexPath, current_generation
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.table import CodeTable

CODESETS_FILE = "codesets.pickle"
CODESETS_META = "codesets"  # the generation metadata's record of releases, counts and changes
FORMAT_VERSION = 2
_ENTRY_FIELDS = tuple(f.name for f in fields(CodeSetEntry))
_REST = _ENTRY_FIELDS[2:]  # what a row may hold: every field after system and code
_RELEASE_FIELDS = tuple(f.name for f in fields(CodeSetRelease))
LOAD_HINT = "medcodes codesets load FILE... loads one"

Rows = dict[str, dict[str, Any]]  # system -> code -> row (the value itself for a one-field layout)


class NoCodeSetError(MedcodesError, LookupError):
    """The index holds no code set (none was loaded, or it was built by an older medcodes)."""


class StoredCodeTable(CodeTable):
    """A CodeTable over stored rows: an entry is made the first time it is looked up.

    Same answers as CodeTable built from the same entries; only public methods are used by
    callers, so the table never has to exist as 186k objects to answer a few lookups.
    """

    def __init__(
        self,
        releases: dict[str, CodeSetRelease],
        rows: Rows,
        children: dict[str, dict[str, list[str]]],
        layouts: dict[str, Layout] | None = None,
    ) -> None:
        super().__init__(())
        self.releases = releases
        self._rows = rows
        self._layouts = layouts or {}
        self._child_codes = children
        self._made: dict[tuple[str, str], CodeSetEntry] = {}

    def __len__(self) -> int:
        return sum(len(codes) for codes in self._rows.values())

    def __iter__(self) -> Iterator[CodeSetEntry]:
        for system, codes in self._rows.items():
            for code in codes:
                entry = self.get(system, code)
                assert entry is not None
                yield entry

    def get(self, system: str, code: str) -> CodeSetEntry | None:
        made = self._made.get((system, code))
        if made is not None:
            return made
        row = self._rows.get(system, {}).get(code)
        if row is None:
            return None
        entry = self._made[(system, code)] = self._layouts[system].entry(system, code, row)
        return entry

    def find(self, code: str) -> list[CodeSetEntry]:
        return [entry for system in self._rows if (entry := self.get(system, code)) is not None]

    def children(self, system: str, code: str) -> list[str]:
        return list(self._child_codes.get(system, {}).get(code, ()))

    def systems(self) -> set[str]:
        return {system for system, codes in self._rows.items() if codes}

    def codes(self, system: str) -> list[str]:
        """Every code of one system, in release order."""
        return list(self._rows.get(system, ()))

    def entries(self, system: str) -> Iterator[CodeSetEntry]:
        """Every entry of one system, in release order."""
        for code in self._rows.get(system, ()):
            entry = self.get(system, code)
            assert entry is not None
            yield entry


def has_code_sets(generation: Generation) -> bool:
    return (generation.path / CODESETS_FILE).is_file()


def carry_code_sets(live: Generation | None, generation: Generation) -> None:
    """Keep the live code sets, and their title documents, in a generation built from nothing
    (a full rebuild of the pages): hard-linked, as an incremental generation has them."""
    if live is None:
        return
    for source in [live.path / CODESETS_FILE, live.path / ROWS_FILE, *title_index_files(live.path)]:
        target = generation.path / source.name
        if source.is_file() and not target.exists():
            os.link(source, target)


def open_code_table(root: IndexPath) -> StoredCodeTable:
    """Every code-set entry of the live generation, looked up by code.

    Raises NoCodeSetError when nothing was loaded (an old index too), IndexMissingError when
    there is no index.

    >>> table = open_code_table("medcodes-index")  # doctest: +SKIP
    >>> table.get("icd10cm", "E11.9").billable  # doctest: +SKIP
    True
    """
    root = Path(root)
    table = read_code_sets(current_generation(root))
    if not len(table):
        raise NoCodeSetError(f"no code set loaded in the index at {root} ({LOAD_HINT})")
    return table


def code_set_lookups(generation: Generation) -> KeyedCodeTable | StoredCodeTable:
    """The code sets of a generation for a few lookups: read by key from codesets.sqlite,
    not unpickled whole (a search's statuses); the whole table when an older medcodes loaded
    them without it. Its `releases` are the loaded releases."""
    path = generation.path / ROWS_FILE
    if path.is_file():
        return KeyedCodeTable(path, Layout)
    return read_code_sets(generation)


def read_code_sets(generation: Generation) -> StoredCodeTable:
    """The code sets a generation stores; an empty table when it has none."""
    path = generation.path / CODESETS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return StoredCodeTable({}, {}, {})
    except OSError as err:
        raise IndexCorruptError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        return _decode(_unpickle(data))
    except (pickle.UnpicklingError, ValueError, TypeError, KeyError, EOFError, AttributeError) as err:
        raise IndexCorruptError(f"unreadable code sets in {path}: {err}") from err


def write_code_sets(
    generation: Generation,
    releases: dict[str, CodeSetRelease],
    entries: Mapping[str, Iterable[CodeSetEntry]],
) -> int:
    """Write the code-set file of an unpublished generation (publish fsyncs it); returns the
    number of entries. Replaces, never rewrites, a file hard-linked from the live generation."""
    rows: Rows = {}
    children: dict[str, dict[str, list[str]]] = {}
    layouts: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}
    for system, found in entries.items():
        found = list(found)
        layout = Layout.of(found)
        layouts[system] = (layout.fields, layout.constants)
        row = layout.row
        codes = rows[system] = {}
        kids: dict[str, list[str]] = defaultdict(list)
        for entry in found:
            codes[entry.code] = row(entry)
            if entry.parent:
                kids[entry.parent].append(entry.code)
        children[system] = {parent: sorted(codes) for parent, codes in kids.items()}
    data = {
        "version": FORMAT_VERSION,
        "entry_fields": _ENTRY_FIELDS,
        "releases": {system: tuple(getattr(r, f) for f in _RELEASE_FIELDS) for system, r in releases.items()},
        "layouts": layouts,
        "rows": rows,
        "children": children,
    }
    path = generation.path / CODESETS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, path)
    write_code_rows(generation, releases, layouts, rows, children)
    return sum(len(codes) for codes in rows.values())


def _unpickle(data: bytes) -> Any:
    """Unpickle with the cyclic garbage collector paused: the file is hundreds of thousands of
    tuples, each of which would otherwise count towards a collection pass (a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _decode(data: dict[str, Any]) -> StoredCodeTable:
    if data.get("version") != FORMAT_VERSION or tuple(data["entry_fields"]) != _ENTRY_FIELDS:
        raise ValueError(f"code-set file version {data.get('version')} is not {FORMAT_VERSION}")
    releases = {
        system: CodeSetRelease(**dict(zip(_RELEASE_FIELDS, row, strict=True)))
        for system, row in data["releases"].items()
    }
    rows, children = data["rows"], data["children"]
    if not isinstance(rows, dict) or not isinstance(children, dict):
        raise ValueError("code-set file without rows")
    layouts = {
        system: Layout(tuple(names), dict(constants))
        for system, (names, constants) in data["layouts"].items()
    }
    if set(layouts) != set(rows):
        raise ValueError("code-set file with rows of no layout")
    return StoredCodeTable(releases, rows, children, layouts)


@dataclass(frozen=True)
class Layout:
    """Which fields a system's rows hold; the others have one value for all its entries.

    A system uses few of the fields (ICD-10-PCS: the descriptor alone), and a row of only what
    varies makes the file smaller and quicker to unpickle; a one-field row is the bare value.
    """

    fields: tuple[str, ...]
    constants: dict[str, Any]

    @classmethod
    def of(cls, entries: list[CodeSetEntry]) -> Layout:
        constants: dict[str, Any] = {}
        if entries:
            first = entries[0]
            for name in _REST:
                value = getattr(first, name)
                if all(getattr(entry, name) == value for entry in entries):
                    constants[name] = value
        fields = tuple(name for name in _REST if name not in constants) or ("descriptor",)
        constants.pop(fields[0], None)
        return cls(fields, constants)

    def row(self, entry: CodeSetEntry) -> Any:
        if len(self.fields) == 1:
            return getattr(entry, self.fields[0])
        return tuple(getattr(entry, name) for name in self.fields)

    def entry(self, system: str, code: str, row: Any) -> CodeSetEntry:
        # A frozen dataclass: its __dict__ filled directly, without 16 object.__setattr__ calls.
        made = object.__new__(CodeSetEntry)
        values = made.__dict__
        values.update(self.constants, system=system, code=code)
        if len(self.fields) == 1:
            values[self.fields[0]] = row
        else:
            values.update(zip(self.fields, row, strict=True))
        return made
