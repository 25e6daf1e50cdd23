"""All loaded code-set entries in memory, looked up by code, by parent and by system.

Built from the entries a generation stores (medcodes.index) and handed to validation
(medcodes.queries); the one shape both sides agree on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from medcodes.pipeline.codes import ICD10CM, normalize_code
from medcodes.pipeline.codesets.entry import CodeSetEntry


class CodeTable:
    """Entries keyed by (system, normalized code); children listed under their parent."""

    def __init__(self, entries: Iterable[CodeSetEntry]) -> None:
        self._by_key: dict[tuple[str, str], CodeSetEntry] = {}
        self._children: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._by_code: dict[str, list[CodeSetEntry]] = defaultdict(list)
        for entry in entries:
            self._by_key[(entry.system, entry.code)] = entry
            self._by_code[entry.code].append(entry)
            if entry.parent:
                self._children[(entry.system, entry.parent)].append(entry.code)
        self._systems = frozenset(system for system, _ in self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[CodeSetEntry]:
        return iter(self._by_key.values())

    def get(self, system: str, code: str) -> CodeSetEntry | None:
        return self._by_key.get((system, code))

    def find(self, code: str) -> list[CodeSetEntry]:
        """The entries of every system that lists `code` (normalized)."""
        return list(self._by_code.get(code, ()))

    def children(self, system: str, code: str) -> list[str]:
        return sorted(self._children.get((system, code), ()))

    # The methods below use only get, find and children, so that a table that overrides those
    # (one reading stored rows, medcodes.index) answers them alike.

    def find_bare(self, bare: str) -> list[CodeSetEntry]:
        """The entries of every system whose code, dots removed, is `bare` (upper case): "E119"
        finds ICD-10-CM E11.9, "S5012" both HCPCS S5012 and ICD-10-CM S50.12. Only ICD-10-CM
        codes have a dot, always after their third character (normalize_code)."""
        forms = dict.fromkeys((bare, normalize_code(bare, ICD10CM)))
        return [entry for form in forms for entry in self.find(form) if entry.code.replace(".", "") == bare]

    def descendants(self, system: str, code: str) -> Iterator[CodeSetEntry]:
        """Every entry below `code` (children, their children…), depth first in children() order."""
        for child in self.children(system, code):
            entry = self.get(system, child)
            if entry is not None:
                yield entry
                yield from self.descendants(system, child)

    def ancestors(self, system: str, code: str) -> Iterator[CodeSetEntry]:
        """The entries above `code`, nearest first (its parent, the parent's parent…)."""
        entry = self.get(system, code)
        seen = {code}
        while entry is not None and entry.parent and entry.parent not in seen:
            seen.add(entry.parent)
            entry = self.get(system, entry.parent)
            if entry is not None:
                yield entry

    def systems(self) -> set[str]:
        return set(self._systems)
