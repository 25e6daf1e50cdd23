"""Ingest from every container and every kind of bad input, nothing lost (issue 3).

Through the real command in a real process, with a real parser pool and a real index on disk:
every input is in the report, and `inputs = indexed + duplicates + rejected`.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.reader import find_pages, index_stats, open_live
from medcodes.queries.search import Searcher

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"
PAGES = Path(__file__).resolve().parent / "pages"
SUMMARY = re.compile(r"indexed (\d+), duplicates (\d+), rejected (\d+) of (\d+) inputs")
MAX_BYTES = 200_000


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A scraped folder with every kind of input and every kind of trouble, in subfolders."""
    root = tmp_path / "scraped"
    shutil.copytree(EXAMPLES, root / "examples")
    shutil.copytree(PAGES / "rejects", root / "rejects")
    shutil.copytree(PAGES / "containers", root / "containers")
    extra = root / "batch"  # read first: folders are read in name order
    extra.mkdir()
    shutil.copy(PAGES / "blank-lines" / "hcpcs-C9028.txt", extra / "hcpcs-C9028-again.txt")  # duplicate
    shutil.copy(PAGES / "mismatch" / "hcpcs-E0110.txt", extra)
    shutil.copy(PAGES / "header-quirks" / "icd10cm-J06.9.txt", extra / "icd10cm-J06.9-cut.txt")
    (extra / "huge.txt").write_bytes((PAGES / "single-newline" / "cpt4-45380.txt").read_bytes() * 60)
    (extra / "tagsoup.html").write_text("<html><body><div><p>Unclosed <b>bold <table><tr><td>cell</div>")
    (extra / "broken.txt.gz").write_bytes(
        gzip.compress((PAGES / "markdown" / "hcpcs-E0100.md").read_bytes())[:300]
    )
    tar = (PAGES / "containers" / "pages.tar.gz").read_bytes()
    (extra / "truncated.tar.gz").write_bytes(tar[: len(tar) * 2 // 3])
    (extra / ".hidden.txt").write_text("skipped: hidden files are not inputs")
    return root


def test_a_messy_folder_is_accounted_for_input_by_input(messy: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    index = tmp_path / "ix"
    command = [sys.executable, "-m", "medcodes", "ingest", str(messy), "--index", str(index)]
    command += ["--report", str(report), "--workers", "2", "--max-bytes", str(MAX_BYTES)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr  # finished, some inputs rejected
    assert "Traceback" not in result.stderr
    indexed, duplicates, rejected, inputs = map(int, SUMMARY.search(result.stderr).groups())
    assert inputs == indexed + duplicates + rejected
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == inputs
    by_status = {
        status: [line for line in lines if line["status"] == status] for status in ("indexed", "duplicate")
    }
    assert len(by_status["indexed"]) == indexed and len(by_status["duplicate"]) == duplicates
    assert len(lines) - indexed - duplicates == rejected
    assert not any("hidden" in line["path"] for line in lines)

    reasons = {line["path"].replace(str(messy) + "/", ""): line["reason"] for line in lines}
    expected_rejections = {
        "rejects/404.html": "error page",
        "rejects/search.html": "search results page",
        "rejects/site-index.txt": "site index",
        "rejects/empty.txt": "empty file",
        "rejects/scan.png": "binary content",
        "rejects/notes.txt": "not a code page",
        "batch/huge.txt": f"file too large (230760 bytes > limit {MAX_BYTES})",
        "batch/tagsoup.html": "not a code page",
        "batch/broken.txt.gz": "broken gzip",
        "containers/crawl.warc.gz#https://medcodes.example/code/hcpcs/E9999-missing": "HTTP 404",
        "containers/crawl.warc.gz#https://medcodes.example/code/hcpcs/E0100-cane": "truncated WARC record",
        "containers/export.jsonl:5": "invalid JSON line",
        "containers/export.jsonl:6": "no html, text or markdown field",
        "containers/export.jsonl:7": "not an object",
        "containers/pages.zip#notes.txt": "not a code page",
        "batch/truncated.tar.gz#renderings/hcpcs-E0100.md": "truncated or corrupt tar archive",
    }
    for path, reason in expected_rejections.items():
        assert reason in reasons[path], (path, reasons[path])
    assert rejected == len(expected_rejections)

    statuses = {line["path"].replace(str(messy) + "/", ""): line for line in lines}
    # Two renderings of one page, and one page fetched over http and https: one document each.
    assert statuses["batch/hcpcs-C9028-again.txt"]["status"] == "indexed"
    assert statuses["examples/hcpcs-C9028.txt"]["status"] == "duplicate"
    assert statuses["examples/hcpcs-C9028.txt"]["reason"].startswith("same page as ")
    http = "containers/crawl.warc.gz#http://medcodes.example/code/hcpcs/C9028-injection-inotuzumab-ozogamicin-0-1-mg"
    assert statuses[http]["status"] == "duplicate"
    assert statuses[http]["reason"].startswith("same page as ")
    # The rest of a truncated archive is still ingested.
    assert statuses["batch/truncated.tar.gz#renderings/icd10cm-J06.9.txt"]["status"] in (
        "indexed",
        "duplicate",
    )
    assert statuses["containers/export.jsonl:8"]["code"] == "cpt:45380"
    # Flagged, but indexed under its own code.
    assert statuses["batch/hcpcs-E0110.txt"]["status"] == "indexed"
    assert "content may not match the title" in statuses["batch/hcpcs-E0110.txt"]["reason"]
    assert "title truncated" in statuses["batch/icd10cm-J06.9-cut.txt"]["reason"]

    stats = index_stats(index)
    keys = {line["code"] for line in by_status["indexed"]}
    assert stats["pages"] == len(keys) == indexed
    assert stats["pages_by_system"]["icd10pcs"] == 1
    live = open_live(index)
    try:
        # Two codes sharing one title stay two documents.
        titles = {page.title for code in ("C9028", "J9229") for page in find_pages(live.ix, code)}
        assert titles == {"Injection, inotuzumab ozogamicin, 0.1 mg"}
        assert len(find_pages(live.ix, "C9028")) == len(find_pages(live.ix, "J9229")) == 1
    finally:
        live.ix.close()


def test_pages_from_containers_are_searchable(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    report = ingest([str(PAGES / "containers")], index, workers=1)
    assert report.counts["indexed"] == 5  # C9028, 45380, J06.9, 0DTJ4ZZ, E0100
    with Searcher(index) as searcher:
        assert searcher.search("appendectomy keyhole").hits[0].code == "0DTJ4ZZ"
        assert searcher.search("45380").hits[0].code == "45380"
        # A cut title is still found by the words of its URL slug.
        assert searcher.search("walking stick").hits[0].code == "E0100"


def test_a_truncated_title_is_found_by_its_slug_words(tmp_path: Path) -> None:
    page = (
        PAGES
        / "header-quirks"
        / "code"
        / "cpt4"
        / "45380-colonoscopy-flexible-with-biopsy-single-or-multiple.txt"
    )
    ingest([str(page)], tmp_path / "ix", workers=1)
    with Searcher(tmp_path / "ix") as searcher:
        hits = searcher.search("single or multiple").hits
    assert hits and hits[0].code == "45380"


@pytest.mark.parametrize(
    ("fixture", "key"),
    [
        ("single-newline/hcpcs-C9028.txt", "hcpcs:C9028"),
        ("containers/export.jsonl", "icd10cm:J06.9"),
        ("containers/crawl.warc.gz", "cpt:45380"),
        ("containers/pages.zip", "hcpcs:C9028"),
    ],
    ids=["page", "jsonl", "warc", "zip"],
)
def test_stdin_takes_a_page_or_a_container(fixture: str, key: str, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    result = CliRunner().invoke(
        cli,
        ["ingest", "-", "--index", str(tmp_path / "ix"), "--report", str(report), "--workers", "1"],
        input=(PAGES / fixture).read_bytes(),
    )
    assert result.exit_code in (0, 3), result.output
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert key in {line["code"] for line in lines if line["status"] == "indexed"}
    assert all(line["path"].startswith("-") for line in lines)


def test_the_size_bound_applies_to_each_page_of_a_container(tmp_path: Path) -> None:
    seen: list = []
    ingest(
        [str(PAGES / "containers" / "export.jsonl")],
        tmp_path / "ix",
        workers=1,
        max_bytes=5_000,
        on_status=seen.append,
    )
    too_large = [s for s in seen if "too large" in s.reason]
    assert too_large and all(re.search(r"export\.jsonl:\d+$", s.source) for s in too_large)
    # Lines within the bound are still read.
    assert any(s.status == "indexed" for s in seen)
