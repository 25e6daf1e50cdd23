"""The tuned segment writer writes the same index as Whoosh's own writer."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from medcodes.index.engine.block_codec import BLOCK_POSTINGS
from medcodes.index.engine.schema import build_schema, page_to_document
from medcodes.index.engine.segment_writer import open_segment_writer
from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.sources import expand_inputs


def _contents(path: Path) -> tuple[list, dict, list]:
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        postings = []
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            postings.append((fieldname, text, list(matcher.items_as("weight")), list(matcher.all_items())))
        lengths = {
            (docnum, fieldname): reader.doc_field_length(docnum, fieldname)
            for docnum in range(reader.doc_count_all())
            for fieldname in ix.schema.scorable_names()
        }
        stored = list(reader.iter_docs())
    ix.close()
    return postings, lengths, stored


@pytest.mark.parametrize("limitmb", [1, 256], ids=["spilling-runs", "in-memory"])
def test_same_index_as_whoosh_writer(generated_corpus: Path, tmp_path: Path, limitmb: int) -> None:
    files = expand_inputs([str(generated_corpus)])
    docs = [page_to_document(o.page) for f in files for o in parse_input(f) if o.page is not None]
    for name, tuned in (("whoosh", False), ("tuned", True)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
        writer = open_segment_writer(ix, limitmb) if tuned else ix.writer(limitmb=limitmb)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        ix.close()
    assert _contents(tmp_path / "tuned") == _contents(tmp_path / "whoosh")


def test_posting_blocks_are_long_and_pickled_by_protocol_4(generated_corpus: Path, tmp_path: Path) -> None:
    files = expand_inputs([str(generated_corpus)])
    docs = [page_to_document(o.page) for f in files for o in parse_input(f) if o.page is not None]
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = open_segment_writer(ix, 256)
    for doc in docs * 5:  # enough pages for a word to fill more than one block
        writer.add_document(**doc)
    writer.commit()
    with ix.reader() as reader:
        frequency, fieldname, text = max((reader.doc_frequency(f, t), f, t) for f, t in reader.all_terms())
        assert frequency > BLOCK_POSTINGS
        matcher = reader.postings(fieldname, text)
        assert matcher._blocklength == BLOCK_POSTINGS
        data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        assert zlib.decompress(data)[:2] == b"\x80\x04"  # pickle protocol 4
    ix.close()
