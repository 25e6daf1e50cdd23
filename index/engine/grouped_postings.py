"""A segment writer that gathers each term's postings as it indexes, instead of sorting them.

Whoosh's writer hands every posting to its pool as a tuple (field, term, document, weight,
value): about 180 bytes each, spilled to sorted runs every few thousand pages, merged a posting
at a time and written one `add_posting` call each. A profile of a shard worker at 10,000 pages
(issue 16's note) put that path — pool.add, the sort and heap merge of the runs, add_posting —
at a third of the worker's time, with parsing the rest. Here each field keeps, per term, the
documents, weights and values of its postings in arrays (about 27 bytes a posting, so the
memory limit holds several times the pages); a run is spilled as whole terms, in term order; the
runs are merged term by term; and each block of postings is filled by slices. The segment's
files are byte for byte those Whoosh writes for the same documents (tests/test_grouped_postings.py).

Documents are numbered in the order they are added, so each term's postings are in document
order without sorting; this writer only adds documents (the shards of a fresh build).
"""

from __future__ import annotations

import heapq
import marshal
import struct
from array import array
from collections.abc import Iterator
from typing import Any

from whoosh.index import Index
from whoosh.writing import SegmentWriter

from medcodes.index.engine.block_codec import Protocol4Codec
from medcodes.index.engine.field_lengths import field_length_bytes
from medcodes.index.engine.segment_writer import _LENGTHS

# Bytes of memory per posting held (document, weight, value) and per new term: with these the
# estimate was within 2% of tracemalloc's count over 1,500 generated pages.
_POSTING_BYTES = 27
_TERM_BYTES = 400
_FRAME = struct.Struct("<I")
# Terms serialized per marshal call in a run.
_RUN_TERMS = 1024

# One term's postings: document numbers, weights, values.
Postings = tuple[array, array, list[bytes]]
# (field name, term bytes, document numbers as bytes, weights as bytes, values) in a run file.
RunItem = tuple[str, bytes, bytes, bytes, list[bytes]]


class GroupedSegmentWriter(SegmentWriter):
    """A Whoosh SegmentWriter for adding documents, that groups postings by term (see module)."""

    def __init__(self, ix: Index, limitmb: int) -> None:
        super().__init__(ix, limitmb=limitmb, codec=Protocol4Codec())
        for name, field in self.schema.items():
            if field.separate_spelling() or field.vector:
                raise ValueError(f"field {name!r}: spelling and vectors are not written by this writer")
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        self._terms: dict[str, dict[bytes, Postings]] = {}
        self._runs: list[str] = []

    def add_document(self, **fields: Any) -> None:
        """SegmentWriter.add_document, with each posting put under its term."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        size = 0
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    terms = self._terms.get(fieldname)
                    if terms is None:
                        terms = self._terms[fieldname] = {}
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        postings = terms.get(tbytes)
                        if postings is None:
                            postings = terms[tbytes] = (array("I"), array("d"), [])
                            size += _TERM_BYTES
                        postings[0].append(docnum)
                        postings[1].append(weight * fieldboost)
                        postings[2].append(vbytes)
                        size += _POSTING_BYTES
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        self._size += size
        if self._size > self._limit:
            self._spill()

    def _spill(self) -> None:
        """Write the terms held to a run file, in (field, term) order, and let them go."""
        name = f"{len(self._runs)}.grouped"
        handle = self._tempstorage.create_file(name).raw_file()
        try:
            batch: list[RunItem] = []
            for fieldname, tbytes, (docs, weights, values) in _sorted_terms(self._terms):
                batch.append((fieldname, tbytes, docs.tobytes(), weights.tobytes(), values))
                if len(batch) == _RUN_TERMS:
                    _write_batch(handle, batch)
                    batch = []
            if batch:
                _write_batch(handle, batch)
        finally:
            handle.close()
        self._runs.append(name)
        self._terms = {}
        self._size = 0

    def _merged_terms(self) -> Iterator[tuple[str, bytes, Postings]]:
        """Every (field, term) with all its postings: the runs' and the held ones, in order."""
        sources = [self._read_run(name) for name in self._runs]
        sources.append(_sorted_terms(self._terms))
        merged = heapq.merge(*sources, key=lambda item: (item[0], item[1]))
        current: tuple[str, bytes, Postings] | None = None
        for fieldname, tbytes, postings in merged:
            if current is not None and current[0] == fieldname and current[1] == tbytes:
                held = current[2]
                # Runs are read in the order they were written: later documents come after.
                held[0].extend(postings[0])
                held[1].extend(postings[1])
                held[2].extend(postings[2])
                continue
            if current is not None:
                yield current
            current = (fieldname, tbytes, postings)
        if current is not None:
            yield current

    def _read_run(self, name: str) -> Iterator[tuple[str, bytes, Postings]]:
        handle = self._tempstorage.open_file(name).raw_file()
        try:
            while header := handle.read(_FRAME.size):
                (size,) = _FRAME.unpack(header)
                for fieldname, tbytes, docs, weights, values in marshal.loads(handle.read(size)):
                    yield fieldname, tbytes, (_array("I", docs), _array("d", weights), values)
        finally:
            handle.close()
            self._tempstorage.delete_file(name)

    def _flush_segment(self) -> None:
        """Write the postings of every term (SegmentWriter._flush_segment without the pool)."""
        self.perdocwriter.close()
        if self._runs and self._terms:
            # Merged from disk, all of them: the held terms are let go before the merge, which
            # would otherwise add to them what it gathers (the commit was a worker's peak).
            self._spill()
        lengths = _FieldLengths(self.per_document_reader())
        writer = self.fieldwriter
        try:
            fieldname = None
            for name, tbytes, postings in self._merged_terms():
                if name != fieldname:
                    if fieldname is not None:
                        writer.finish_field()
                    fieldname = name
                    writer.start_field(name, self.schema[name])
                writer.start_term(tbytes)
                _write_postings(writer._postwriter, postings, lengths.of(name))
                writer.finish_term()
            if fieldname is not None:
                writer.finish_field()
            writer.close()
        finally:
            lengths.close()

    def _close_segment(self) -> None:
        super()._close_segment()
        self._drop_runs()

    def cancel(self) -> None:
        try:
            super().cancel()
        finally:
            self._drop_runs()

    def _drop_runs(self) -> None:
        for name in self._runs:
            if self._tempstorage.file_exists(name):
                self._tempstorage.delete_file(name)
        self._runs = []
        self._terms = {}


def open_grouped_writer(ix: Index, limitmb: int) -> GroupedSegmentWriter:
    """A writer on `ix` that groups postings by term, holding about `limitmb` of them at most."""
    return GroupedSegmentWriter(ix, limitmb)


class _FieldLengths:
    """Each field's length per document of the new segment, read once (as Whoosh's writer
    looks them up per posting: 0 where the field keeps no lengths, None where a document
    lacks it)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._fields: dict[str, list[int | None] | None] = {}

    def of(self, fieldname: str) -> list[int | None] | None:
        if fieldname not in self._fields:
            found = field_length_bytes(self._reader, fieldname)
            self._fields[fieldname] = [_LENGTHS[b] for b in found] if found is not None else None
        return self._fields[fieldname]

    def close(self) -> None:
        self._reader.close()


def _write_postings(postwriter: Any, postings: Postings, lengths: list[int | None] | None) -> None:
    """Fill `postwriter`'s blocks with one term's postings, a block at a time, leaving the
    last block to finish_postings: what W3PostingsWriter.add_posting does a posting at a time."""
    docs, weights, values = postings
    limit = postwriter._blocklimit
    count = len(docs)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_docs = docs[start:end]
        block_weights = array("f", weights[start:end])
        postwriter._ids = block_docs
        postwriter._weights = block_weights
        postwriter._values = [value for value in values[start:end] if value]
        postwriter._maxweight = max(0, max(weights[start:end]))
        found = [length for d in block_docs if (length := lengths[d])] if lengths else []
        postwriter._minlength = min(found) if found else None
        postwriter._maxlength = max(found) if found else 0
        if end < count:
            postwriter._write_block()


def _sorted_terms(terms: dict[str, dict[bytes, Postings]]) -> Iterator[tuple[str, bytes, Postings]]:
    for fieldname in sorted(terms):
        of_field = terms[fieldname]
        for tbytes in sorted(of_field):
            yield fieldname, tbytes, of_field[tbytes]


def _write_batch(handle: Any, batch: list[RunItem]) -> None:
    data = marshal.dumps(batch)
    handle.write(_FRAME.pack(len(data)) + data)


def _array(typecode: str, data: bytes) -> array:
    found = array(typecode)
    found.frombytes(data)
    return found


__all__ = ["GroupedSegmentWriter", "open_grouped_writer"]
