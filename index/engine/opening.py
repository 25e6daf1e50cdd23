"""Open a generation with Whoosh, whichever release of medcodes wrote it (same schema version),
and count its pages without our metadata.

Whoosh reads two pickles from the TOC. The schema's is not read at all: the caller has checked
the recorded schema version, so this release's schema is passed in. The segments' pickle names
each segment's codec class; an index written before index/pickled.py existed names it by a
module path that no longer exists, and is read again with those names mapped to today's
classes. Only a pickle that fails on a missing name pays for the second reading.

Both changes to Whoosh this needs — that old-names reading of pickles and segment parts read
from their memory map (mapped_storage.py) — are installed by `open_generation`, when an index
is first opened, never by importing a module.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import IO, Any

from whoosh import index as whoosh_index
from whoosh.filedb import structfile
from whoosh.index import EmptyIndexError, Index
from whoosh.index import IndexError as WhooshIndexError

from medcodes.index.engine import mapped_storage
from medcodes.index.engine.schema import build_schema
from medcodes.index.pickled import OLD_NAMES
from medcodes.index.store import REBUILD_HINT, IndexCorruptError

# What Whoosh raises on TOC or segment files it cannot read (missing, truncated, foreign).
UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    struct.error,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    WhooshIndexError,
)
_MAX_CAUSE_CHARS = 160


def damaged(path: Path | str, err: BaseException) -> IndexCorruptError:
    """The one-line error for index files the engine cannot read (a damaged TOC or segment),
    instead of the engine's own exception ("Index was created on different architecture")."""
    cause = " ".join(f"{type(err).__name__}: {err}".split())
    if len(cause) > _MAX_CAUSE_CHARS:
        cause = cause[: _MAX_CAUSE_CHARS - 1] + "…"
    return IndexCorruptError(
        f"the index files of {Path(path).name} are damaged ({cause}); run medcodes check ({REBUILD_HINT})"
    )


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


def install_patches() -> None:
    """The engine's two changes to Whoosh: pickles of old releases' names, parts read from
    their memory map (idempotent; each replaces one module-level name of Whoosh 2.7.5)."""
    read_old_names()
    mapped_storage.install()


def open_generation(path: Path) -> Index:
    """The Whoosh index in generation folder `path`, read with this release's schema.

    FileNotFoundError when the folder holds no index (a writer deleted it under a reader);
    IndexCorruptError when its table of contents cannot be read."""
    install_patches()
    try:
        return whoosh_index.open_dir(str(path), schema=build_schema())
    except EmptyIndexError as err:
        raise FileNotFoundError(f"no index in {path}: {err}") from None
    except FileNotFoundError:
        raise
    except UNREADABLE as err:
        raise damaged(path, err) from err


def stored_page_count(path: Path) -> int | None:
    """Pages in the index files of generation folder `path`, read without our metadata; None
    when they cannot be read."""
    try:
        ix = open_generation(path)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except (*UNREADABLE, IndexCorruptError):
        return None


__all__ = ["UNREADABLE", "Index", "damaged", "install_patches", "open_generation", "stored_page_count"]
