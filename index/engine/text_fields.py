"""A stemmed TEXT field whose indexing path analyzes a value in one pass.

Whoosh analyzes by chaining generators (tokenizer, lower-case, stop and stem filters), each
handing one Token object down per word; for pages of a few thousand words that chain is a large
share of indexing time. `StemmedText.index` produces the same terms, frequencies, weights and
positions as its Whoosh analyzer (tests/test_text_fields.py checks it on every sample page) with
one regular expression pass, a stop-word set and a stem cache (analysis.stems). Queries,
snippets and highlights keep using the Whoosh analyzer (analysis.text_terms, term_spans), so the
two can never disagree on what a word indexes as.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from whoosh.fields import TEXT
from whoosh.formats import Format, Positions
from whoosh.system import pack_uint

from medcodes.index.engine.analysis import stemming_analyzer, stems

# The encodings of a word that occurs once, at positions up to 127 (one byte each).
_SINGLE = [bytes([position]) for position in range(0x80)]


class CompactPositions(Positions):
    """Word positions as varint deltas: one byte for most postings, where Whoosh's Positions
    pickles a list (about 14 bytes for a word that occurs once) — the largest part of an index
    of long pages (measured in issue 6's note)."""

    __module__ = "medcodes.index.pickled"  # the name every index's TOC knows it by (index/pickled.py)

    def encode(self, poslist: list[int]) -> bytes:
        if len(poslist) == 1 and poslist[0] < len(_SINGLE):
            return _SINGLE[poslist[0]]
        out = bytearray()
        base = 0
        for pos in poslist:
            delta, base = pos - base, pos
            while delta >= 0x80:
                out.append((delta & 0x7F) | 0x80)
                delta >>= 7
            out.append(delta)
        return bytes(out)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions: list[int] = []
        position = delta = shift = 0
        for byte in valuestring:
            delta |= (byte & 0x7F) << shift
            if byte & 0x80:
                shift += 7
                continue
            position += delta
            positions.append(position)
            delta = shift = 0
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return sum(1 for byte in valuestring if not byte & 0x80)

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


class StemmedText(TEXT):
    """TEXT with Whoosh's StemmingAnalyzer, indexed through a one-pass analysis."""

    __module__ = "medcodes.index.pickled"  # the name every index's TOC knows it by (index/pickled.py)
    format: Format  # how postings are encoded: CompactPositions when phrases are indexed

    def __init__(self, *, minsize: int = 2, phrase: bool = True, stored: bool = False) -> None:
        super().__init__(analyzer=stemming_analyzer(minsize), phrase=phrase, stored=stored)
        if phrase:
            self.format = CompactPositions(field_boost=self.format.field_boost)
        self.minsize = minsize

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded value) per distinct term, as TEXT.index."""
        first, terms = stems(value, self.minsize)
        boost = self.format.field_boost
        if self.format.supports("positions"):
            positions: dict[str, list[int]] = {}
            for position, term in enumerate(terms, start=first):
                positions.setdefault(term, []).append(position)
            encode = self.format.encode
            for term, where in positions.items():
                yield term.encode("utf-8"), len(where), len(where) * boost, encode(where)
        else:
            for term, count in Counter(terms).items():
                yield term.encode("utf-8"), count, count * boost, pack_uint(count)
