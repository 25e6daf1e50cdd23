"""Where an index lives on disk, and how a new state of it is published atomically.

Layout of an index directory:

    CURRENT            names the live generation ("gen-000007"); replaced by rename
    gen-000007/        a complete Whoosh index plus medcodes.json (our metadata) and
                       manifest.jsonl (what each input produced, for incremental reindex)
    write.lock         the single-writer lock (medcodes.index.lock)

A writer never touches the live generation. It builds the next one beside it (hard links to
the live segment files, which Whoosh never modifies, so an incremental change costs only what
changed), fsyncs it, then renames CURRENT. Readers resolve CURRENT once and keep that
generation open, so they see the old state or the new one, never a mix.

The generation that was live before a publish is kept until the next one, so a reader that read
CURRENT just before the switch still finds the files it is about to open.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcodes.errors import MedcodesError

CURRENT_FILE = "CURRENT"
META_FILE = "medcodes.json"
# medcodes.json's own SHA-256, recorded in it, over the rest of it (a file cannot hold the
# checksum of its own bytes); indexes published before it have none and check without it.
META_DIGEST = "meta_sha256"
MANIFEST_FILE = "manifest.jsonl"  # per input file: stat, digest, the pages it produced (manifest.py)
# Whoosh's own write lock: an flock'd file, so it must never be shared between generations.
WHOOSH_LOCK_FILE = "MAIN_WRITELOCK"
LOCK_FILE = "write.lock"  # the single-writer lock (medcodes.index.lock)
DEFAULT_INDEX_DIR = "medcodes-index"
INDEX_ENV = "MEDCODES_INDEX"
_GENERATION = re.compile(r"^gen-(\d{6,})$")
REBUILD_HINT = "medcodes reindex --full rebuilds it"
# An index directory as callers name it: "medcodes-index", Path("medcodes-index"), any PathLike.
IndexPath = str | os.PathLike[str]


class IndexMissingError(MedcodesError, FileNotFoundError):
    """No published index at the given directory."""


class IndexCorruptError(MedcodesError, RuntimeError):
    """The index exists but cannot be read as medcodes wrote it."""


class DiskFullError(MedcodesError, OSError):
    """The file system of the index ran out of space (or quota) while a writer wrote to it; the
    live generation is untouched and the partial one was removed."""


@contextmanager
def reporting_full_disk(root: Path) -> Iterator[None]:
    """Turn ENOSPC or EDQUOT raised by any write under `root` into DiskFullError, which names
    the free space there and about how much a run needs."""
    try:
        yield
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT) or isinstance(err, DiskFullError):
            raise
        raise DiskFullError(_disk_full_message(root)) from err


def _disk_full_message(root: Path) -> str:
    free = _free_bytes(root)
    try:
        live: int | None = directory_size(current_generation(root).path)
    except (IndexMissingError, IndexCorruptError, OSError):
        live = None
    # A writer builds its generation beside the live one, and Whoosh writes a segment twice
    # (its parts, then the compound file) before it is published: a full rebuild of the
    # example index (1.0 MB) failed with 2.1 MB free and succeeded with 2.4 MB.
    if live and 2.5 * live > free:
        needed = f"about {_size(int(2.5 * live))} free is needed (2.5 times the index, {_size(live)})"
    elif live:  # the run makes the index larger: what it needs is more than it had
        needed = f"more than {_size(free)} free is needed (the index, {_size(live)}, grows in this run)"
    else:
        needed = f"more than {_size(free)} free is needed"
    return (
        f"no space left on the device of {root}: {_size(free)} free, {needed}; free some space and run again"
    )


def _free_bytes(root: Path) -> int:
    path = root
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        stats = os.statvfs(path)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


class SchemaMismatchError(MedcodesError, RuntimeError):
    """The index was written by another schema version and must be rebuilt (not damage: readers
    and writers refuse it before Whoosh reads a file of it)."""

    def __init__(self, root: str | os.PathLike[str], found: object, expected: int) -> None:
        super().__init__(
            f"index at {root} has schema version {found}, this medcodes reads {expected}: "
            "run medcodes reindex --full to rebuild it"
        )
        self.found = found
        self.expected = expected


class NoSourcesError(MedcodesError, ValueError):
    """Nothing to reindex from: no paths given and none recorded in the index."""


class UnreadableSourcesError(MedcodesError, RuntimeError):
    """A full rebuild cannot read an input whose pages are indexed: rebuilding would lose them."""


class NotAnIndexError(MedcodesError, ValueError):
    """The index directory holds other files and no medcodes index: it is not ours to write."""


@dataclass(frozen=True)
class Generation:
    """One complete, immutable state of the index."""

    path: Path

    @property
    def number(self) -> int:
        match = _GENERATION.match(self.path.name)
        return int(match.group(1)) if match else 0

    def read_meta(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as err:
            raise IndexCorruptError(f"unreadable metadata in {self.path}: {err} ({REBUILD_HINT})") from err


def resolve_index_dir(index_dir: str | os.PathLike[str] | None) -> Path:
    """--index, else $MEDCODES_INDEX, else ./medcodes-index."""
    return Path(index_dir or os.environ.get(INDEX_ENV) or DEFAULT_INDEX_DIR)


def current_generation(root: Path) -> Generation:
    """The live generation; IndexMissingError when nothing was ever published."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index at {root}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise IndexCorruptError(f"unreadable {root / CURRENT_FILE}: {err} ({REBUILD_HINT})") from err
    if not _GENERATION.match(name) or not (root / name).is_dir():
        raise IndexCorruptError(f"{root / CURRENT_FILE} names a missing generation {name!r} ({REBUILD_HINT})")
    return Generation(root / name)


def generations(root: Path) -> list[Generation]:
    """Every generation directory under `root`, newest first (published or not)."""
    found = [Generation(p) for p in root.iterdir() if _GENERATION.match(p.name) and p.is_dir()]
    return sorted(found, key=lambda g: g.number, reverse=True)


def holds_index(path: Path) -> bool:
    """True when `path` is a medcodes index: it holds CURRENT and a generation folder with our
    metadata (the one CURRENT names, or any when CURRENT is damaged), or it is such a
    generation folder itself.

    Input walks do not enter such a folder. Only what only a medcodes index has counts: a user's
    file that happens to be named CURRENT or write.lock does not make a folder an index.
    """
    # A lookup or two, not a listing: this is asked of every folder an input walk enters.
    if _GENERATION.match(path.name) and os.path.isfile(path / META_FILE):
        return True
    if not os.path.isfile(path / CURRENT_FILE):
        return False
    try:
        with open(path / CURRENT_FILE, "rb") as handle:
            name = handle.read(64).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if _GENERATION.match(name) and os.path.isfile(path / name / META_FILE):
        return True
    # A damaged CURRENT (rare, so a listing is affordable): any generation holding metadata.
    try:
        with os.scandir(path) as entries:
            return any(
                _GENERATION.match(e.name) and os.path.isfile(os.path.join(e.path, META_FILE)) for e in entries
            )
    except OSError:
        return False


def index_started(path: Path) -> bool:
    """A published index is here, or a writer has begun one (a first ingest still running)."""
    return holds_index(path) or os.path.isfile(path / LOCK_FILE)


def check_index_folder(root: Path) -> None:
    """Refuse to write an index into a folder that holds other things (NotAnIndexError).

    A folder is ours to write when it holds an index, or nothing but what an index writer
    creates (a first ingest that was killed); an empty folder is too.
    """
    if not root.is_dir() or holds_index(root):
        return
    ours = {CURRENT_FILE, f"{CURRENT_FILE}.tmp", LOCK_FILE}
    with os.scandir(root) as entries:
        if all(entry.name in ours or _GENERATION.match(entry.name) for entry in entries):
            return
    raise NotAnIndexError(
        f"{root} is not a medcodes index and is not empty: give --index a new or empty folder"
    )


def meta_and_damage(generation: Generation | None) -> tuple[dict[str, Any], str]:
    """A generation's metadata and "", or {} and what is wrong with it: the one reading that
    tolerates damage (a full rebuild starts from it; every other run refuses the damage)."""
    if generation is None:
        return {}, ""
    try:
        return generation.read_meta(), ""
    except FileNotFoundError:
        return {}, f"no metadata in {generation.path} ({REBUILD_HINT})"
    except IndexCorruptError as err:
        return {}, str(err)


def next_generation(root: Path, base: Generation | None) -> Generation:
    """Create the directory of the next generation, hard-linking the base's Whoosh files into it.

    Our side files are rewritten by every writer, and Whoosh's lock file must stay private.
    """
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _GENERATION.match(p.name))]
    path = root / f"gen-{max(numbers, default=0) + 1:06d}"
    path.mkdir()
    if base is not None:
        skip = {META_FILE, MANIFEST_FILE, WHOOSH_LOCK_FILE}
        for item in base.path.iterdir():
            if item.is_file() and item.name not in skip and not item.name.endswith(".tmp"):
                os.link(item, path / item.name)
    return Generation(path)


def write_meta(generation: Generation, meta: dict[str, Any]) -> None:
    """Write `meta` with its own checksum (META_DIGEST), which `medcodes check` verifies."""
    path = generation.path / META_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(meta_text({**meta, META_DIGEST: meta_digest(meta)}), encoding="utf-8")
    tmp.replace(path)


def meta_text(meta: dict[str, Any]) -> str:
    """The one form medcodes.json is written in, so that its bytes can be checked."""
    return json.dumps(meta, indent=2, sort_keys=True)


def meta_digest(meta: dict[str, Any]) -> str:
    """SHA-256 of the metadata but its own checksum, in the form it is written in."""
    rest = {name: value for name, value in meta.items() if name != META_DIGEST}
    return hashlib.sha256(meta_text(rest).encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (what `medcodes check` compares and reindex skips on)."""
    with open(path, "rb") as handle:
        return handle_digest(handle)


def handle_digest(handle: io.BufferedReader) -> str:
    """SHA-256 of what is left to read in an open file, hex."""
    return hashlib.file_digest(handle, "sha256").hexdigest()


def publish(root: Path, generation: Generation) -> None:
    """Make `generation` the live one: fsync its files, then atomically replace CURRENT."""
    for item in generation.path.iterdir():
        _fsync_file(item)
    _fsync_dir(generation.path)
    tmp = root / f"{CURRENT_FILE}.tmp"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(generation.path.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT_FILE)
    _fsync_dir(root)


def remove_stale_generations(root: Path, previous: Generation | None = None) -> None:
    """Delete every generation but the live one and `previous` (call with the write lock held).

    `previous` is the generation that was live until the publish that just happened: a reader
    may have read CURRENT before the switch and not opened the files yet. Readers that already
    have an older generation open keep reading it: on POSIX an unlinked file lives until its
    last handle closes. Leftovers of a crashed writer go the same way.
    """
    try:
        keep = {current_generation(root).path.name}
    except (IndexMissingError, IndexCorruptError):
        keep = set()
    if previous is not None:
        keep.add(previous.path.name)
    for item in root.iterdir():
        if _GENERATION.match(item.name) and item.name not in keep:
            shutil.rmtree(item, ignore_errors=True)


def remove_unpublished_generations(root: Path) -> None:
    """Delete generations newer than the live one: leftovers of writers that were killed.

    Only the holder of the write lock creates generations, so call it with the lock held.
    """
    try:
        live = current_generation(root).number
    except IndexMissingError:
        live = 0
    except IndexCorruptError:
        return  # nothing can be told apart from the live state: leave it all
    if not root.is_dir():
        return
    for item in root.iterdir():
        if (match := _GENERATION.match(item.name)) and int(match.group(1)) > live:
            shutil.rmtree(item, ignore_errors=True)


def remove_leftovers(root: Path) -> None:
    """Delete what writers that were killed or failed left: unpublished generations and an
    unrenamed CURRENT.tmp. The write lock calls it on being taken, before anything is written."""
    remove_unpublished_generations(root)
    (root / f"{CURRENT_FILE}.tmp").unlink(missing_ok=True)


def discard(generation: Generation) -> None:
    shutil.rmtree(generation.path, ignore_errors=True)


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _fsync_file(path: Path) -> None:
    if not path.is_file():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
