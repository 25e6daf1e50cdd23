"""Segment parts are read from the memory map in place: opening copies nothing, and every read
(positioned, sequential, pickled) answers as Whoosh's copying reader does."""

from __future__ import annotations

import pickle
import subprocess
import sys
import tracemalloc
from io import BytesIO
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.query import Or, Term

from medcodes.index.engine.mapped_storage import MappedPart
from medcodes.index.reader import open_live
from medcodes.index.store import current_generation


def test_opening_the_live_index_copies_no_segment_into_memory(built_index: Path) -> None:
    size = sum(p.stat().st_size for p in current_generation(built_index).path.glob("*.seg"))
    tracemalloc.start()
    try:
        live = open_live(built_index)
        with live.ix.searcher() as searcher:
            assert searcher.doc_count() > 20
            allocated = tracemalloc.get_traced_memory()[1]
        live.ix.close()
    finally:
        tracemalloc.stop()
    assert allocated < size / 4  # Whoosh's own BufferFile copied every part: more than size


def test_a_mapped_part_reads_as_a_buffer_file_does() -> None:
    payload = pickle.dumps({"a": [1, 2, 3]}) + b"line one\nline two\n" + bytes(range(256))
    for make in (BufferFile, MappedPart):
        f = make(memoryview(payload))
        assert f.get(3, 5) == payload[3:8]
        assert pickle.load(f.file) == {"a": [1, 2, 3]}
        assert f.file.readline() == b"line one\n"
        assert f.read(4) == b"line"
        f.seek(-3, 2)
        assert (f.read(), f.tell()) == (bytes([253, 254, 255]), len(payload))
        f.seek(0)
        assert f.read(len(payload) + 10) == BytesIO(payload).read()


def test_search_results_are_the_same_through_the_map(built_index: Path) -> None:
    query = Or([Term("summary", "infus"), Term("title", "walker"), Term("risks", "fever")])
    path = str(current_generation(built_index).path)

    def results() -> list[tuple[int, float, str]]:
        ix = whoosh_index.open_dir(path)
        with ix.searcher() as searcher:
            found = [(hit.docnum, hit.score, hit["record"]) for hit in searcher.search(query, limit=None)]
        ix.close()
        return found

    mapped = results()
    compound.BufferFile = BufferFile
    try:
        copied = results()
    finally:
        compound.BufferFile = MappedPart
    assert len(mapped) > 3
    assert mapped == copied


# What a fresh process sees: Whoosh as shipped until an index is opened.
_PATCHES_ON_OPEN = """
import sys
from whoosh.filedb import compound, structfile
from whoosh.query import Or
shipped = (compound.BufferFile, structfile.load_pickle, Or.matcher_type)
import medcodes, medcodes.cli, medcodes.index.build, medcodes.index.check, medcodes.index.reindex
from medcodes.queries.search import Searcher
assert (compound.BufferFile, structfile.load_pickle, Or.matcher_type) == shipped, "patched on import"
with Searcher(sys.argv[1]) as searcher:
    assert searcher.search("J0000-J9999 injection").hits
from medcodes.index.engine.mapped_storage import MappedPart
assert compound.BufferFile is MappedPart and structfile.load_pickle is not shipped[1]
assert Or.matcher_type == Or.AUTO_MATCHER, "Or's matcher is Whoosh's own choice"
"""


def test_whoosh_is_patched_when_an_index_is_opened_not_on_import(built_index: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _PATCHES_ON_OPEN, str(built_index)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
