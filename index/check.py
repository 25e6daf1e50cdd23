"""Verify a published index end to end: `medcodes check`.

Every file's bytes are read and compared with the SHA-256 recorded at publish (Whoosh files
never change once written, so any difference is damage), then the engine reads every segment:
each stored record decodes and carries the key it is indexed under, each key names exactly one
live document, each field's term dictionary reads through, the key table lists those keys and
documents. Counts must agree with the metadata and with the manifest.
"""

from __future__ import annotations

import gc
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcodes.index.codesets import CODESETS_META, read_code_sets
from medcodes.index.engine.contents import count_pages, key_documents, read_every_term, stored_documents
from medcodes.index.engine.key_table import KEY_TABLE_FILE, read_key_table
from medcodes.index.engine.opening import Index, open_generation
from medcodes.index.fields import RECORD, check_schema_version
from medcodes.index.manifest import load_manifest, owners
from medcodes.index.record_codec import decode_record
from medcodes.index.store import (
    META_DIGEST,
    META_FILE,
    Generation,
    IndexCorruptError,
    IndexPath,
    current_generation,
    file_digest,
    meta_digest,
    meta_text,
)


class IndexCheckError(IndexCorruptError):
    """The index is damaged or inconsistent; the message is a one-line diagnosis."""


@dataclass(frozen=True)
class CheckReport:
    """What a check verified: the index is sound (a check that fails raises instead)."""

    index_dir: Path
    generation: str
    pages: int
    files: int
    bytes_read: int
    codes: int = 0  # code-set entries stored (0: none loaded)

    def to_dict(self) -> dict[str, Any]:
        """The `check --json` object."""
        return {
            "ok": True,
            "index": str(self.index_dir),
            "generation": self.generation,
            "pages": self.pages,
            "files": self.files,
            "bytes": self.bytes_read,
            "codes": self.codes,
        }


def check_index(root: IndexPath) -> CheckReport:
    """Raise IndexCheckError with a diagnosis, or return what was verified."""
    root = Path(root)
    generation = current_generation(root)
    try:
        meta = generation.read_meta()
    except FileNotFoundError:
        raise IndexCheckError(f"{generation.path.name}: {META_FILE} is missing") from None
    check_schema_version(root, meta)
    _verify_meta(generation, meta)
    files, size = _verify_files(generation, meta.get("files"))
    keys, counts = _read_with_whoosh(generation)
    for name in ("doc_count", "pages_by_system"):
        if counts[name] != meta.get(name):
            raise IndexCheckError(
                f"{generation.path.name}: {name} is {counts[name]} in the index "
                f"but {meta.get(name)} in {META_FILE}"
            )
    manifest = load_manifest(generation)
    if manifest is not None:
        owned = set(owners(manifest))
        if owned != keys:
            missing, extra = sorted(owned - keys)[:3], sorted(keys - owned)[:3]
            raise IndexCheckError(
                f"{generation.path.name}: manifest and index disagree: "
                f"{len(owned - keys)} keys not indexed {missing}, {len(keys - owned)} indexed keys "
                f"no input produced {extra}"
            )
    codes = _check_code_sets(generation, meta)
    return CheckReport(root, generation.path.name, counts["doc_count"], files, size, codes)


def _check_code_sets(generation: Generation, meta: dict[str, Any]) -> int:
    """The code-set file unpickles, and holds as many entries per system as the metadata says."""
    recorded = (meta.get(CODESETS_META) or {}).get("entries")
    try:
        table = read_code_sets(generation)
    except IndexCorruptError as err:
        raise IndexCheckError(f"{generation.path.name}: {err}") from err
    found = {system: len(table.codes(system)) for system in table.systems()}
    if recorded is not None and found != recorded:
        raise IndexCheckError(
            f"{generation.path.name}: code sets hold {found} entries but {META_FILE} says {recorded}"
        )
    if recorded is None and found:
        raise IndexCheckError(f"{generation.path.name}: code sets stored but not recorded in {META_FILE}")
    return len(table)


def _read_with_whoosh(generation: Generation) -> tuple[set[str], dict[str, Any]]:
    """Open the generation with Whoosh and read every document; returns its keys and counts."""
    failure = ""
    with warnings.catch_warnings():
        # Whoosh leaves a damaged segment's file open when it fails to read it.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            ix = open_generation(generation.path)
            try:
                documents = _verify_documents(ix)
                _verify_key_table(generation, ix, documents)
                keys = set(documents)
                counts = count_pages(ix)
            finally:
                ix.close()
        except IndexCheckError:
            raise
        except Exception as err:  # noqa: BLE001 - whatever damage makes Whoosh fail is the diagnosis
            failure = f"{type(err).__name__}: {err}"
        gc.collect()  # close what a failed read left open while the warning is ignored
    if failure:
        raise IndexCheckError(f"{generation.path.name}: Whoosh cannot read it: {failure}")
    return keys, counts


def _verify_meta(generation: Generation, meta: dict[str, Any]) -> None:
    """The metadata is as published: its checksum matches, and its bytes are the form written."""
    recorded = meta.get(META_DIGEST)
    if recorded is None:
        return  # published before the metadata recorded its checksum
    path = generation.path / META_FILE
    if recorded != meta_digest(meta) or path.read_bytes() != meta_text(meta).encode("utf-8"):
        raise IndexCheckError(
            f"{generation.path.name}: {META_FILE} is damaged "
            f"({path.stat().st_size} bytes, checksum differs from the one recorded at publish)"
        )


def _verify_files(generation: Generation, recorded: dict[str, dict[str, object]] | None) -> tuple[int, int]:
    """Read every file; compare with the checksums recorded at publish when there are any."""
    size = 0
    present = {p.name for p in generation.path.iterdir() if p.is_file() and p.name != META_FILE}
    if recorded is not None:
        missing = sorted(set(recorded) - present)
        if missing:
            raise IndexCheckError(f"{generation.path.name}: file {missing[0]} is missing")
    for name in sorted(present):
        path = generation.path / name
        try:
            digest = file_digest(path)
        except OSError as err:
            raise IndexCheckError(
                f"{generation.path.name}: cannot read {name}: {err.strerror or err}"
            ) from err
        size += path.stat().st_size
        expected = (recorded or {}).get(name)
        if expected is not None and (expected.get("sha256"), expected.get("size")) != (
            digest,
            path.stat().st_size,
        ):
            raise IndexCheckError(
                f"{generation.path.name}: {name} is damaged "
                f"({path.stat().st_size} bytes, checksum differs from the one recorded at publish)"
            )
    return len(present), size


def _verify_documents(ix: Index) -> dict[str, int]:
    """Every stored record decodes, every key names exactly one live document; returns the
    document of each key."""
    stored_keys: dict[int, str] = {}
    for docnum, stored_key, record in stored_documents(ix):
        try:
            if record is None:
                raise KeyError(RECORD)
            page = decode_record(record)
        except (KeyError, ValueError, zlib.error) as err:
            raise IndexCheckError(f"document {docnum}: unreadable record ({err})") from err
        if page.key != stored_key:
            raise IndexCheckError(f"document {docnum}: record of {page.key} stored under {stored_key}")
        stored_keys[docnum] = page.key
    keys: dict[str, int] = {}
    for key, live in key_documents(ix):
        if len(live) > 1:
            raise IndexCheckError(f"key {key} names {len(live)} documents")
        if live:
            if stored_keys.get(live[0]) != key:
                raise IndexCheckError(f"key {key} points at document {live[0]} of {stored_keys.get(live[0])}")
            keys[key] = live[0]
    if len(keys) != len(stored_keys):
        raise IndexCheckError(f"{len(stored_keys)} documents but {len(keys)} keys")
    read_every_term(ix)
    return keys


def _verify_key_table(generation: Generation, ix: Index, documents: dict[str, int]) -> None:
    """The key table, when it is one made for these segments, lists exactly the live keys and
    their documents (one made for others is left unused by searches: no damage)."""
    with ix.reader() as reader:
        try:
            table = read_key_table(generation.path, reader)
        except IndexCorruptError as err:
            raise IndexCheckError(f"{generation.path.name}: {KEY_TABLE_FILE} is unreadable") from err
    if table is None:
        return
    listed = [bytes(key).decode("utf-8") for key in table.keys]
    if listed != sorted(documents) or table.docs.tolist() != [documents[key] for key in listed]:
        raise IndexCheckError(
            f"{generation.path.name}: {KEY_TABLE_FILE} lists {len(listed)} keys that are not "
            f"the index's {len(documents)} live keys and their pages"
        )
