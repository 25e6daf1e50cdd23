"""`medcodes check` on sound and on damaged real index files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import as_user, live_pages
from whoosh import index as whoosh_index

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.check import IndexCheckError, check_index
from medcodes.index.engine.key_table import KEY_TABLE_FILE
from medcodes.index.engine.schema import page_to_document
from medcodes.index.engine.segment_writer import open_segment_writer
from medcodes.index.store import (
    CURRENT_FILE,
    MANIFEST_FILE,
    META_FILE,
    WHOOSH_LOCK_FILE,
    current_generation,
    file_digest,
    write_meta,
)


@pytest.fixture
def index_copy(pages_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    ingest([str(pages_dir)], root, workers=1)
    return root


def segment(root: Path) -> Path:
    [path] = current_generation(root).path.glob("*.seg")
    return path


def flip_byte(path: Path, at: float) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x55
    path.write_bytes(bytes(data))


def set_meta(root: Path, **changes: object) -> None:
    """Change the metadata as a writer would have published it: with its checksum."""
    generation = current_generation(root)
    write_meta(generation, generation.read_meta() | changes)


def edit_meta(root: Path, old: bytes, new: bytes) -> None:
    """Change bytes of the metadata behind its checksum (a hand edit, a disk error)."""
    path = current_generation(root).path / META_FILE
    data = path.read_bytes()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))


def reseal(root: Path) -> None:
    """Record every file's checksum as it is now, as a faulty writer would have published what
    it wrote: damage the checksums cannot see, that only reading the index finds."""
    path = current_generation(root).path
    files = {
        item.name: {"size": item.stat().st_size, "sha256": file_digest(item)}
        for item in sorted(path.iterdir())
        if item.is_file() and item.name != META_FILE
    }
    set_meta(root, files=files)


def add_behind_the_checksums(root: Path, *documents: dict[str, object]) -> None:
    """Add Whoosh documents to the live generation, in a segment of their own, and reseal it."""
    path = current_generation(root).path
    ix = whoosh_index.open_dir(str(path))
    writer = open_segment_writer(ix, 16)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    ix.close()
    (path / WHOOSH_LOCK_FILE).unlink(missing_ok=True)
    reseal(root)


def swap_key_table_pages(root: Path) -> None:
    """Rewrite the key table with the pages of its first two keys swapped, and reseal."""
    path = current_generation(root).path / KEY_TABLE_FILE
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["docs"][[0, 1]] = arrays["docs"][[1, 0]]
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    reseal(root)


def document_of(root: Path, key: str, /, **changes: object) -> dict[str, object]:
    """The Whoosh document of the indexed page `key`, with some fields changed."""
    [page] = [page for page in live_pages(root) if page.key == key]
    return page_to_document(page) | changes


def drop_manifest_line(root: Path, name: str) -> None:
    """The manifest forgets the input `name`, whose page stays indexed."""
    path = current_generation(root).path / MANIFEST_FILE
    lines = path.read_text().splitlines(keepends=True)
    [line] = [line for line in lines if f"/{name}" in line]
    path.write_text("".join(item for item in lines if item is not line))
    reseal(root)


def test_a_sound_index_passes(index_copy: Path, runner: CliRunner) -> None:
    report = check_index(index_copy)
    # the segment, the TOC, the manifest, the words, the key table
    assert (report.pages, report.files) == (26, 5)
    assert report.bytes_read == sum(
        p.stat().st_size for p in current_generation(index_copy).path.iterdir() if p.name != META_FILE
    )
    result = runner.invoke(cli, ["check", "--index", str(index_copy)])
    assert result.exit_code == 0
    assert result.output.startswith("ok: 26 pages in ")
    assert json.loads(runner.invoke(cli, ["check", "--json", "--index", str(index_copy)]).output)["ok"]


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "byte-flipped-early": (lambda root: flip_byte(segment(root), 0.1), r"\.seg is damaged"),
    "byte-flipped-late": (lambda root: flip_byte(segment(root), 0.9), r"\.seg is damaged"),
    "truncated-segment": (
        lambda root: segment(root).write_bytes(segment(root).read_bytes()[:1000]),
        r"\.seg is damaged",
    ),
    "segment-deleted": (lambda root: segment(root).unlink(), r"file MAIN_\w+\.seg is missing"),
    "toc-deleted": (
        lambda root: next(current_generation(root).path.glob("_MAIN_*.toc")).unlink(),
        r"file _MAIN_\d+\.toc is missing",
    ),
    "doc-count-wrong": (lambda root: set_meta(root, doc_count=27), "doc_count is 26 in the index but 27"),
    "schema-version": (lambda root: set_meta(root, schema_version=0), "schema version 0, .* reindex --full"),
    "metadata-garbage": (
        lambda root: (current_generation(root).path / META_FILE).write_text("{not json"),
        "unreadable metadata",
    ),
    "current-dangling": (lambda root: (root / CURRENT_FILE).write_text("gen-000099\n"), "missing generation"),
    "manifest-damaged": (
        lambda root: (current_generation(root).path / MANIFEST_FILE).write_text('{"manifest_version": 1}\n'),
        r"manifest\.jsonl is damaged",
    ),
    "manifest-disagrees": (
        lambda root: drop_manifest_line(root, "cpt4-29881.html"),
        r"manifest and index disagree: 0 keys not indexed \[\], 1 indexed keys no input produced "
        r"\['cpt:29881'\]",
    ),
    "metadata-value-changed": (
        lambda root: edit_meta(root, b'"created": "2', b'"created": "1'),
        r"gen-\d+: medcodes\.json is damaged \(\d+ bytes, checksum differs",
    ),
    "metadata-space-added": (
        lambda root: edit_meta(root, b'"created": ', b'"created":  '),
        r"gen-\d+: medcodes\.json is damaged",
    ),
    "metadata-checksum-changed": (
        lambda root: edit_meta(root, b'"meta_sha256": "', b'"meta_sha256": "0'),
        r"gen-\d+: medcodes\.json is damaged",
    ),
    "metadata-deleted": (
        lambda root: (current_generation(root).path / META_FILE).unlink(),
        r"gen-\d+: medcodes\.json is missing",
    ),
    "record-unreadable": (
        lambda root: add_behind_the_checksums(root, document_of(root, "cpt:29881", record="{not json")),
        r"document 26: unreadable record",
    ),
    "record-under-another-key": (
        lambda root: add_behind_the_checksums(root, document_of(root, "cpt:29881", key="cpt:99999")),
        r"document 26: record of cpt:29881 stored under cpt:99999",
    ),
    "key-names-two-documents": (
        lambda root: add_behind_the_checksums(root, document_of(root, "cpt:29881")),
        r"key cpt:29881 names 2 documents",
    ),
    "key-points-at-another-document": (
        lambda root: add_behind_the_checksums(
            root, document_of(root, "cpt:29881", key="cpt:99999", _stored_key="cpt:29881")
        ),
        r"key cpt:99999 points at document 26 of cpt:29881",
    ),
    "document-without-a-key": (
        lambda root: add_behind_the_checksums(
            root, document_of(root, "cpt:29881", key=[], _stored_key="cpt:29881")
        ),
        r"27 documents but 26 keys",
    ),
    "key-table-unreadable": (
        lambda root: ((current_generation(root).path / KEY_TABLE_FILE).write_bytes(b"garbage"), reseal(root)),
        r"gen-\d+: keys\.npz is unreadable",
    ),
    "key-table-disagrees": (
        swap_key_table_pages,
        r"gen-\d+: keys\.npz lists 26 keys that are not the index's 26 live keys and their pages",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damage_is_diagnosed_in_one_line(index_copy: Path, runner: CliRunner, damage: str) -> None:
    harm, diagnosis = DAMAGE[damage]
    harm(index_copy)
    result = runner.invoke(cli, ["check", "--index", str(index_copy)])
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert re.search(diagnosis, line), line


def test_without_checksums_whoosh_reads_every_segment(index_copy: Path) -> None:
    """An index from before checksums were recorded is still read through: every stored
    record decoded, every key looked up, so a truncated segment fails the check."""
    set_meta(index_copy, files=None)
    check_index(index_copy)
    path = segment(index_copy)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCheckError, match="Whoosh cannot read it"):
        check_index(index_copy)


def test_an_index_of_another_schema_is_refused_before_its_files_are_unpickled(
    index_copy: Path, runner: CliRunner
) -> None:
    """A generation written by another schema may pickle classes this release no longer has
    (a module that moved): the recorded version is read first, and the user told to rebuild."""
    set_meta(index_copy, schema_version=3)
    [toc] = current_generation(index_copy).path.glob("*.toc")
    data = toc.read_bytes()
    assert b"medcodes.index.pickled" in data  # the TOC pickles our classes by a module's name
    toc.write_bytes(data.replace(b"medcodes.index.pickled", b"gone_____.text_fields"))
    for args in (["search", "walker"], ["show", "K0001"], ["stats"]):
        result = runner.invoke(cli, [*args, "--index", str(index_copy)])
        assert result.exit_code == 1, (args, result.output)
        assert re.fullmatch(r"Error: index at \S+ has schema version 3, .*rebuild it\n", result.output)


def test_a_file_that_cannot_be_read_is_diagnosed(user_dir: Path) -> None:
    """Checked by a user who may not read a segment (file permissions do not stop root)."""
    index = user_dir / "ix"
    ingest([str(user_dir / "pages")], index, workers=1)
    segment(index).chmod(0)
    result = as_user("check", "--index", str(index))
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert re.fullmatch(r"Error: gen-\d+: cannot read MAIN_\w+\.seg: Permission denied", line), line
