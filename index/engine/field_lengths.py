"""A field's length byte per document of a segment, read in one piece.

Whoosh's W3 codec keeps each field's lengths in a column of one byte per document (absent
documents 0); its own `load()` reads that column a document at a time, which took a second
per 100,000 pages and 17 fields (issue 6's note). The segment writer and the term-at-a-time
scorer both read whole columns.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn


def field_length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """The length bytes of `fieldname` for every document of the segment whose per-document
    reader is `perdoc`; None when no document of the segment has the field."""
    name = _lenfield(fieldname)
    if not perdoc.has_column(name):
        return None
    column = perdoc.column_reader(name, LENGTHS_COLUMN)
    count = perdoc.doc_count_all()
    if isinstance(column, NumericColumn.Reader) and column._fixedlen == 1:
        stored = bytes(column._dbfile.get(column._basepos, column._count))
        return stored[:count] + bytes(max(0, count - len(stored)))
    return bytes(column.load())


__all__ = ["field_length_bytes"]
