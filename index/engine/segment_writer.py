"""Open a Whoosh segment writer tuned for bulk indexing: batched sort runs, cheaper blocks.

Three costs of Whoosh's writer that a profile of indexing seed-like pages put near the top (see
issue 6's note), with what this changes; the files it writes are ordinary Whoosh 2.7 segments:
- Postings beyond `limitmb` are sorted and spilled to run files with one pickle call per
  posting, and read back the same way; here a run is written and read in batches of thousands
  of postings with marshal.
- Writing the postings looks up the field length of the posting's document once per posting
  (a column seek each, 25% of commit time); here each field's lengths are read once.
- Posting blocks are pickled with protocol 2, slow to read back and twice the size; here with
  protocol 4 (index/engine/block_codec.py), a cost paid by every search rather than by the writer.
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, BinaryIO

from whoosh.index import Index
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from medcodes.index.engine.block_codec import Protocol4Codec
from medcodes.index.engine.field_lengths import field_length_bytes

# Postings serialized per marshal call in a sort run, each batch behind its byte length.
RUN_BATCH = 4096
_FRAME = struct.Struct("<I")
# Field length of each length byte; 0 means the field is absent, read back as None by Whoosh.
_LENGTHS: list[int | None] = [None, *(byte_to_length(b) for b in range(1, 256))]


class BatchedPostingPool(PostingPool):
    """Whoosh's posting pool, spilling sort runs in marshal batches instead of one pickle each."""

    def _write_run(self, f: BinaryIO, items: Iterable[Any]) -> None:
        iterator = iter(items)
        try:
            while batch := list(islice(iterator, RUN_BATCH)):
                data = marshal.dumps(batch)
                f.write(_FRAME.pack(len(data)) + data)
        finally:
            f.close()  # also when a write failed (a full disk): an open run file keeps its space

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while header := f.read(_FRAME.size):
                (size,) = _FRAME.unpack(header)
                yield from marshal.loads(f.read(size))
        finally:
            f.close()
            self._remove_run(path)


class _PreloadedLengths:
    """The per-document reader Whoosh writes postings with, its field lengths read up front."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._fields: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self._fields.get(fieldname)
        if lengths is None:
            lengths = self._fields[fieldname] = self._load(fieldname)
        return lengths[docnum] if lengths else default

    def _load(self, fieldname: str) -> list[int | None]:
        found = field_length_bytes(self._reader, fieldname)
        return [_LENGTHS[b] for b in found] if found is not None else []

    def close(self) -> None:
        self._reader.close()


def open_segment_writer(ix: Index, limitmb: int) -> SegmentWriter:
    """A writer on `ix` with the batched pool, the preloaded field lengths and posting blocks
    pickled by protocol 4 (index/engine/block_codec.py)."""
    writer = ix.writer(limitmb=limitmb, codec=Protocol4Codec())
    writer.pool = BatchedPostingPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
    per_document_reader = writer.per_document_reader
    writer.per_document_reader = lambda: _PreloadedLengths(per_document_reader())
    return writer
