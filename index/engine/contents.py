"""Everything an opened generation holds, read in full: what `medcodes check` verifies and
what publishing records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.index import Index

from medcodes.index.engine.scoring import term_docs
from medcodes.index.fields import KEY, RECORD, SYSTEM


def count_pages(ix: Index) -> dict[str, Any]:
    """Live (not deleted) documents, in all and per code system (each system's postings read
    a block at a time by term_docs, not a document at a time)."""
    with ix.searcher() as searcher:
        systems = [term.decode() for term in searcher.lexicon(SYSTEM)]
        by_system = {s: len(term_docs(searcher, SYSTEM, s)) for s in systems}
        return {
            "doc_count": searcher.doc_count(),
            "pages_by_system": {k: v for k, v in by_system.items() if v},
        }


def stored_documents(ix: Index) -> Iterator[tuple[int, str | None, Any]]:
    """(document number, stored key, stored record) of every live document; a record that is
    missing is None."""
    with ix.reader() as reader:
        for docnum, fields in reader.iter_docs():
            yield docnum, fields.get(KEY), fields.get(RECORD)


def key_documents(ix: Index) -> Iterator[tuple[str, list[int]]]:
    """Every key of the key lexicon and the live documents indexed under it."""
    with ix.reader() as reader:
        for term in reader.lexicon(KEY):
            live = [d for d in reader.postings(KEY, term).all_ids() if not reader.is_deleted(d)]
            yield term.decode("utf-8"), live


def read_every_term(ix: Index) -> None:
    """Read each field's term dictionary through (damage there raises)."""
    with ix.reader() as reader:
        for fieldname in reader.indexed_field_names():
            for _ in reader.lexicon(fieldname):
                pass


__all__ = ["count_pages", "key_documents", "read_every_term", "stored_documents"]
