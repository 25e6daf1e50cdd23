"""Open the live generation for reading, and answer questions about the index as a whole."""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.index import EmptyIndexError, Index
from whoosh.index import IndexError as WhooshIndexError
from whoosh.query import Term

from medcodes.index.mapped_storage import install as read_parts_in_place
from medcodes.index.opening import open_generation
from medcodes.index.record_codec import decode_record
from medcodes.index.schema import CODE, KEY, RECORD, SYSTEM, check_schema_version
from medcodes.index.store import (
    Generation,
    IndexCorruptError,
    IndexMissingError,
    IndexPath,
    current_generation,
    directory_size,
)
from medcodes.pipeline.codes import code_forms, normalize_code
from medcodes.pipeline.records import CodePage

# Segment parts are read from their memory map, not copied into memory first.
read_parts_in_place()

# A writer may delete a generation between our reading CURRENT and opening its files.
_OPEN_ATTEMPTS = 5


@dataclass(frozen=True)
class LiveIndex:
    """An opened generation: its Whoosh index and our metadata, fixed for its lifetime."""

    root: Path
    generation: Generation
    ix: Index
    meta: dict[str, Any]


def open_live(root: IndexPath) -> LiveIndex:
    """Open the published generation of the index at `root`."""
    root = Path(root)
    for attempt in range(_OPEN_ATTEMPTS):
        generation = current_generation(root)
        try:
            meta = generation.read_meta()
            # Checked before Whoosh unpickles the TOC: another schema's TOC may name classes
            # this release does not have, and the user must read "rebuild it", not a traceback.
            check_schema_version(root, meta)
            ix = open_generation(generation.path)
        except (FileNotFoundError, EmptyIndexError):
            if attempt == _OPEN_ATTEMPTS - 1:
                raise IndexCorruptError(f"index at {root} keeps changing under the reader") from None
            continue
        return LiveIndex(root, generation, ix, meta)
    raise IndexMissingError(f"no index at {root}")


def count_pages(ix: Index) -> dict[str, Any]:
    """Live (not deleted) documents, in all and per code system."""
    with ix.searcher() as searcher:
        systems = [term.decode() for term in searcher.lexicon(SYSTEM)]
        by_system = {s: len(list(searcher.docs_for_query(Term(SYSTEM, s)))) for s in systems}
        return {
            "doc_count": searcher.doc_count(),
            "pages_by_system": {k: v for k, v in by_system.items() if v},
        }


# What Whoosh raises on TOC or segment files it cannot read (missing, truncated, foreign).
_UNREADABLE_WHOOSH = (
    OSError,
    EOFError,
    ValueError,
    struct.error,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    WhooshIndexError,
)


def stored_page_count(generation: Generation) -> int | None:
    """Pages in a generation's Whoosh files, read without our metadata; None when they cannot
    be read. What a rebuild of an index with damaged metadata and manifest compares against."""
    try:
        ix = open_generation(generation.path)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except _UNREADABLE_WHOOSH:
        return None


def index_stats(root: IndexPath) -> dict[str, Any]:
    """Pages per code system, size on disk and timestamps, as `medcodes stats` shows them."""
    live = open_live(root)
    try:
        return {
            "index": str(root),
            "generation": live.generation.path.name,
            "schema_version": live.meta.get("schema_version"),
            "pages": live.meta.get("doc_count", 0),
            "pages_by_system": live.meta.get("pages_by_system", {}),
            "size_bytes": directory_size(live.generation.path),
            "created": live.meta.get("created"),
            "updated": live.meta.get("updated"),
            "sources": live.meta.get("sources", []),
        }
    finally:
        live.ix.close()


def find_pages(ix: Index, code: str, system: str | None = None) -> list[CodePage]:
    """Every page whose code is `code` (any form), optionally within one system."""
    with ix.searcher() as searcher:
        if system:
            key = f"{system}:{normalize_code(code, system)}"
            fields = searcher.document(**{KEY: key})
            return [decode_record(fields[RECORD])] if fields else []
        pages = []
        for form in code_forms(normalize_code(code)):
            for fields in searcher.documents(**{CODE: form}):
                pages.append(decode_record(fields[RECORD]))
        unique = {page.key: page for page in pages}
        return [unique[k] for k in sorted(unique)]
