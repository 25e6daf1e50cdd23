"""Open a generation with Whoosh, whichever release of medcodes wrote it (same schema version).

Whoosh reads two pickles from the TOC. The schema's is not read at all: the caller has checked
the recorded schema version, so this release's schema is passed in. The segments' pickle names
each segment's codec class; an index written before index/pickled.py existed names it by a
module path that no longer exists, and is read again with those names mapped to today's
classes. Only a pickle that fails on a missing name pays for the second reading.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import IO, Any

from whoosh import index as whoosh_index
from whoosh.filedb import structfile

from medcodes.index.pickled import OLD_NAMES
from medcodes.index.schema import build_schema


class _OldNamesUnpickler(pickle.Unpickler):
    """Finds the classes of OLD_NAMES under the paths older releases pickled them by."""

    def find_class(self, module: str, name: str) -> Any:
        found = OLD_NAMES.get((module, name))
        return found if found is not None else super().find_class(module, name)


def _load_pickle(file: IO[bytes]) -> Any:
    """pickle.load, then once more with old names mapped when a pickled name is not found."""
    start = file.tell()
    try:
        return pickle.load(file)
    except (ModuleNotFoundError, AttributeError):
        file.seek(start)
        return _OldNamesUnpickler(file).load()


def read_old_names() -> None:
    """Make Whoosh's StructFile.read_pickle map OLD_NAMES (idempotent)."""
    structfile.load_pickle = _load_pickle


def open_generation(path: Path) -> whoosh_index.Index:
    """The Whoosh index in generation folder `path`, read with this release's schema."""
    read_old_names()
    return whoosh_index.open_dir(str(path), schema=build_schema())


__all__ = ["open_generation", "read_old_names"]
