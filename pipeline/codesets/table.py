"""All loaded code-set entries in memory, looked up by code, by parent and by system.

Built from the entries a generation stores (medcodes.index) and handed to validation
(medcodes.queries); the one shape both sides agree on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

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

    def systems(self) -> set[str]:
        return {system for system, _ in self._by_key}
