"""Open the live generation for reading, and answer questions about the index as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcodes.index.engine import opening
from medcodes.index.engine.opening import Index, open_generation
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.fields import CODE, KEY, check_schema_version
from medcodes.index.record_codec import decode_head, decode_record
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

# A writer may delete a generation between our reading CURRENT and opening its files.
_OPEN_ATTEMPTS = 5


@dataclass(frozen=True)
class LiveIndex:
    """An opened generation: its engine index and our metadata, fixed for its lifetime."""

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
            # Checked before the engine unpickles the TOC: another schema's TOC may name classes
            # this release does not have, and the user must read "rebuild it", not a traceback.
            check_schema_version(root, meta)
            ix = open_generation(generation.path)
        except FileNotFoundError:
            if attempt == _OPEN_ATTEMPTS - 1:
                raise IndexCorruptError(f"index at {root} keeps changing under the reader") from None
            continue
        return LiveIndex(root, generation, ix, meta)
    raise IndexMissingError(f"no index at {root}")


def check_readable(generation: Generation) -> None:
    """Raise IndexCorruptError when the engine cannot open a generation's table of contents or
    segments: what a writer checks before building on it (only `reindex --full` builds beside it)."""
    try:
        ix = open_generation(generation.path)
    except FileNotFoundError:
        return  # no index files yet: nothing to build on, nothing damaged
    try:
        IndexSearcher(ix).close()
    finally:
        ix.close()


def stored_page_count(generation: Generation) -> int | None:
    """Pages in a generation's index files, read without our metadata; None when they cannot
    be read. What a rebuild of an index with damaged metadata and manifest compares against."""
    return opening.stored_page_count(generation.path)


def index_stats(root: IndexPath) -> dict[str, Any]:
    """Pages per code system, size on disk and timestamps, as `medcodes stats` shows them."""
    live = open_live(root)
    try:
        IndexSearcher(live.ix).close()  # the counts come from metadata: still refuse damaged segments
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
    with IndexSearcher(ix) as searcher:
        if system:
            docnum = searcher.docnum(f"{system}:{normalize_code(code, system)}")
            return [decode_record(searcher.record(docnum))] if docnum is not None else []
        pages = [
            decode_record(record)
            for form in code_forms(normalize_code(code))
            for record in searcher.records_with(CODE, form)
        ]
        unique = {page.key: page for page in pages}
        return [unique[k] for k in sorted(unique)]


def page_heads(root: IndexPath) -> tuple[Generation, list[CodePage]]:
    """The live generation and the head (system, code, title, names) of each of its pages, in
    key order: what a report over every page reads, without their sections."""
    live = open_live(root)
    try:
        with IndexSearcher(live.ix) as searcher:
            heads = [
                decode_head(searcher.head(docnum))
                for key in searcher.lexicon(KEY)
                for docnum in searcher.term_docs(KEY, key).tolist()
            ]
        return live.generation, heads
    finally:
        live.ix.close()
