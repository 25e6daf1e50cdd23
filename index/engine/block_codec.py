"""Whoosh's W3 codec, with posting blocks pickled by protocol 4 instead of 2.

Whoosh 2.7 pickles each block of 128 postings with protocol 2, which writes every encoded
value (a page's positions of the word) as a call to `_codecs.encode` on a latin-1 string:
unpickling such a block took 21 µs of the 30 µs a search spent per block, and the block
compressed to twice the size (issue 6's note: 1,101 bytes against 552 for a block of 128
one-byte positions). Protocol 4 writes bytes as bytes. Any Whoosh reader unpickles either
protocol, so the segments stay ordinary Whoosh 2.7 segments, and old indexes stay readable.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3PostingsWriter
from whoosh.util.numeric import length_to_byte

BLOCK_PICKLE_PROTOCOL = 4
# Whoosh's 128 postings per block cost a search ~15 µs of bookkeeping per block read: with 512,
# phrase queries at 100,000 pages took p95 157 ms instead of 200, and the index 4% less space
# (issue 6's note); reading within a block for a rare word's pages costs more, but measured less.
BLOCK_POSTINGS = 512


class _Protocol4PostingsWriter(W3PostingsWriter):
    def _write_block(self, last: bool = False) -> None:
        """W3PostingsWriter._write_block, with the protocol changed."""
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, BLOCK_PICKLE_PROTOCOL)
        if self._compression:
            databytes = zlib.compress(databytes, self._compression)
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            self._compression,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, BLOCK_PICKLE_PROTOCOL)
        length = len(infobytes) + len(databytes)
        self._postfile.write_int(-length if last else length)  # negative marks the last block
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class Protocol4Codec(W3Codec):
    """The W3 codec writing posting blocks with `_Protocol4PostingsWriter`, of BLOCK_POSTINGS
    postings each."""

    __module__ = "medcodes.index.pickled"  # the name every segment's pickle knows it by (index/pickled.py)

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_POSTINGS)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _Protocol4PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
