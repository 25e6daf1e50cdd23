"""A run's manifest entries spooled to disk (index/manifest_spool.py) read back as written."""

from __future__ import annotations

from pathlib import Path

from medcodes.index.manifest import FileEntry, PageEntry
from medcodes.index.manifest_spool import SpooledEntries
from medcodes.index.status import DUPLICATE, INDEXED, REJECTED


def entry(path: str, pages: int) -> FileEntry:
    found = tuple(
        PageEntry(f"{path}#{n}", f"hcpcs:A{n:04d}", f"{n:064x}", INDEXED if n % 3 else DUPLICATE, "")
        for n in range(pages)
    )
    return FileEntry(path, 100 + pages, 1_700_000_000_000_000_000 + pages, f"{pages:064x}", found)


def test_entries_read_back_in_the_order_written(tmp_path: Path) -> None:
    written = [entry(f"/pages/p{n}.html", n % 4) for n in range(200)]
    written.append(
        FileEntry(
            "/pages/bad\udcff.txt",
            3,
            4,
            "",
            (PageEntry("/pages/bad\udcff.txt", None, "", REJECTED, "no code"),),
        )
    )
    with SpooledEntries(tmp_path) as spool:
        for item in written:
            spool[item.path] = item
        assert list(spool) == [item.path for item in written]
        assert [spool[path] for path in spool] == written
        assert len(spool) == len(written)
        assert "/pages/p7.html" in spool and "/pages/none.html" not in spool
    assert list(tmp_path.iterdir()) == []  # the file was never visible


def test_a_later_entry_replaces_the_earlier(tmp_path: Path) -> None:
    with SpooledEntries(tmp_path) as spool:
        spool["/a"] = entry("/a", 1)
        spool["/b"] = entry("/b", 2)
        assert spool["/a"] == entry("/a", 1)  # a read between writes
        spool["/a"] = entry("/a", 5)
        spool["/c"] = entry("/c", 0)
        assert dict(spool) == {"/a": entry("/a", 5), "/b": entry("/b", 2), "/c": entry("/c", 0)}
        del spool["/b"]
        assert list(spool) == ["/a", "/c"]
