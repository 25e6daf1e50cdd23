"""The title index: one title-only Whoosh document per code-set entry, beside the pages' index.

A code of a loaded code set that no page describes is still found by the words of its official
descriptor (issue 15). Its document lives in a second Whoosh index of the generation folder,
named TITLES, never in the pages' index: page counts, the manifest, `check`, the report and
every evaluation stay about pages, and ingest or reindex never touch it. It holds every entry,
with or without a page; a search leaves out the documents whose code has a page,
so a page ingested later hides its code's title document and a page deleted brings it back
with nothing rewritten.

Written once per `codesets load`, in key order, as one segment: document number n is the n-th
key of `titles.keys.npy`, a sorted array of fixed-width byte strings that a search memory-maps
(reading 186k keys as text took 40 ms of a 90 ms cold search). Only the TITLE field is filled
(no key, code, record or head terms: a profile of the normal writer put 60% of its time in
writing one posting list per unique key and code form), so all 186k entries of HCPCS +
ICD-10-CM + ICD-10-PCS take about 10 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError, Index

from medcodes.index.engine.opening import UNREADABLE, damaged, install_patches
from medcodes.index.engine.schema import build_schema
from medcodes.index.fields import TITLE

TITLES_INDEX = "TITLES"  # the Whoosh index name of the title documents, beside MAIN
KEYS_FILE = "titles.keys.npy"  # "system:code" per document, in document order (sorted)
WRITER_LIMIT_MB = 256


def write_title_index(path: Path, titles: Iterable[tuple[str, str]]) -> int:
    """Write the title index of generation folder `path` from (key, descriptor) pairs, replacing
    any there; returns the number of documents. Files hard-linked from the live generation are
    replaced, never rewritten."""
    # The writer's machinery is imported by `codesets load` only, not by a search opening titles.
    from medcodes.index.engine.segment_writer import open_segment_writer

    install_patches()
    remove_title_index(path)
    ordered = sorted(titles)
    ix = whoosh_index.create_in(str(path), build_schema(), indexname=TITLES_INDEX)
    try:
        writer = open_segment_writer(ix, WRITER_LIMIT_MB)
        add = writer.add_document
        for _, title in ordered:
            add(**{TITLE: title})
        writer.commit(merge=False)
    finally:
        ix.close()
    (path / f"{TITLES_INDEX}_WRITELOCK").unlink(missing_ok=True)
    encoded = [key.encode("utf-8") for key, _ in ordered]
    keys = path / KEYS_FILE
    tmp = path / f"{KEYS_FILE}.tmp"
    with open(tmp, "wb") as handle:
        np.save(handle, np.array(encoded, dtype=f"S{max(map(len, encoded), default=1)}"))
    os.replace(tmp, keys)
    return len(ordered)


def title_index_files(path: Path) -> list[Path]:
    """The files of the title index in generation folder `path` (none when it has none)."""
    pattern = whoosh_index.TOC._segment_pattern(TITLES_INDEX)
    toc = whoosh_index.TOC._pattern(TITLES_INDEX)
    return [
        item
        for item in sorted(path.iterdir())
        if item.is_file() and (item.name == KEYS_FILE or pattern.match(item.name) or toc.match(item.name))
    ]


def remove_title_index(path: Path) -> None:
    for item in title_index_files(path):
        item.unlink()


def has_title_index(path: Path) -> bool:
    return (path / KEYS_FILE).is_file()


def open_title_index(path: Path) -> tuple[Index, np.ndarray] | None:
    """The title index of generation folder `path` and its keys by document number (a sorted,
    memory-mapped array of UTF-8 byte strings); None when the generation has none."""
    try:
        keys = np.load(path / KEYS_FILE, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise damaged(path, err) from err
    install_patches()
    try:
        ix = whoosh_index.open_dir(str(path), schema=build_schema(), indexname=TITLES_INDEX)
    except (EmptyIndexError, *UNREADABLE) as err:
        raise damaged(path, err) from err
    if ix.doc_count_all() != len(keys):
        ix.close()
        raise damaged(path, ValueError(f"{KEYS_FILE} lists {len(keys)} keys for {ix.doc_count_all()} titles"))
    return ix, keys


__all__ = [
    "KEYS_FILE",
    "TITLES_INDEX",
    "has_title_index",
    "open_title_index",
    "remove_title_index",
    "title_index_files",
    "write_title_index",
]
