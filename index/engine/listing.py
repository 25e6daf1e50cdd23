"""Code listings (stems, prefixes, ranges) read straight off the sorted lexicon of page keys.

A key is `system:CODE`, and keys sort in code order within a system, so "every code from S00 to
T88" is a stretch of that lexicon: listing its first page walks a few hundred terms, and counting
it walks the terms alone. The same listing as a Whoosh Prefix or TermRange query unions one
posting list per code, which took minutes for `S*` or `S00-T88` on the 106k-page eval index.

A generation written with its key table (index/engine/key_table.py) is listed from that table
instead, in bisections; this walk serves one written without it, and is what the table's
answers are tested against.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator

from whoosh.reading import IndexReader

from medcodes.index.fields import KEY
from medcodes.index.search_plan import KeySpan


def list_codes(
    reader: IndexReader,
    spans: list[KeySpan],
    limit: int,
    skip: frozenset[str] = frozenset(),
    keep: Callable[[str], bool] | None = None,
) -> tuple[list[int], dict[str, int]]:
    """The document numbers of the first `limit` live pages in the spans, in key order (keys in
    `skip` left out), and the number of pages in the spans per code system (only keys `keep`
    accepts, when given, are listed or counted)."""
    deletions = reader.has_deletions()
    docs: list[int] = []
    counts: Counter[str] = Counter()
    last = None
    for key in heapq.merge(*(_keys(reader, span) for span in spans)):
        if key == last:
            continue
        last = key
        docnum = _live_doc(reader, key) if deletions or len(docs) < limit else None
        if deletions and docnum is None:
            continue
        if keep is not None and not keep(key):
            continue
        counts[key.partition(":")[0]] += 1
        if key not in skip and len(docs) < limit and docnum is not None:
            docs.append(docnum)
    return docs, dict(sorted(counts.items()))


def _keys(reader: IndexReader, span: KeySpan) -> Iterator[str]:
    for fieldname, text in reader.terms_from(KEY, span.low):
        key = text.decode("utf-8") if isinstance(text, bytes) else text
        if fieldname != KEY or key >= span.high:
            return
        yield key


def _live_doc(reader: IndexReader, key: str) -> int | None:
    postings = reader.postings(KEY, key)
    while postings.is_active():
        if not reader.is_deleted(postings.id()):
            return postings.id()
        postings.next()
    return None
