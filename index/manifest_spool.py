"""The manifest entries of a run's inputs, kept on disk as they are decided instead of in memory.

A run decides each input's entry (medcodes.index.manifest.FileEntry: its stat, digest and the
pages it produced) as it reads, and needs them all only when it publishes. Held in memory they
were the largest part of the main process of a 100,000-page ingest that grew with the corpus
(issue 16); here each entry is written as its manifest line to an unlinked temporary file in
the index folder, and only its offset is held.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from medcodes.index.manifest import FileEntry, decode_entry, encode_entry

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"  # a file name's bytes that are not UTF-8 come back as they were


class SpooledEntries(MutableMapping[str, FileEntry]):
    """path -> FileEntry, the entries in a temporary file under `folder`; a later entry for a
    path replaces the earlier one.

    >>> with SpooledEntries(index_dir) as parsed:
    ...     parsed[entry.path] = entry
    ...     parsed[entry.path] == entry
    True
    """

    def __init__(self, folder: Path) -> None:
        # Unlinked at once, so nothing is left behind; closed by close() (the run's block).
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        self._at: dict[str, int] = {}
        self._end = 0
        self._at_end = True  # the file's position is its end: a write needs no seek

    def __enter__(self) -> SpooledEntries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __setitem__(self, path: str, entry: FileEntry) -> None:
        line = encode_entry(entry).encode(_ENCODING, _ERRORS) + b"\n"
        if not self._at_end:
            self._file.seek(self._end)
            self._at_end = True
        self._file.write(line)
        self._at[path] = self._end
        self._end += len(line)

    def __getitem__(self, path: str) -> FileEntry:
        self._file.seek(self._at[path])
        self._at_end = False
        return decode_entry(self._file.readline().decode(_ENCODING, _ERRORS))

    def __delitem__(self, path: str) -> None:
        del self._at[path]  # its line stays in the file, unread

    def __contains__(self, path: object) -> bool:
        return path in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def close(self) -> None:
        self._file.close()


__all__ = ["SpooledEntries"]
