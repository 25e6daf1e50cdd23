"""Page files whose names hold a container's member separators (`#`, `:`) are inputs of their own
(issue 19 item 5): recorded, reported and deleted as themselves, never as a page of the file whose
name begins theirs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, age_files, live_pages

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.manifest import MANIFEST_VERSION
from medcodes.index.reindex import reindex
from medcodes.index.store import MANIFEST_FILE, current_generation
from medcodes.index.sync import group_by_input
from medcodes.pipeline.batch import Outcome
from medcodes.pipeline.sources import came_from, input_source, split_source

# Each odd name beside the file (or archive) whose name begins it; the page each holds.
ODD_NAMES = {
    "a.txt#b.txt": ("a.txt", "hcpcs-C9028.txt", "hcpcs:C9028"),
    "c.txt:7": ("c.txt", "hcpcs-A0427.txt", "hcpcs:A0427"),
    "x.zip#y.txt": ("x.zip", "hcpcs-A4253.txt", "hcpcs:A4253"),
}
NEIGHBOURS = {"a.txt": "hcpcs-A0429.html", "c.txt": "hcpcs-A4206.html"}
ZIP_MEMBER = ("y.txt", "hcpcs-A6216.txt")  # x.zip holds a member named like the odd file


@pytest.fixture
def odd_pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, (_, example, _) in ODD_NAMES.items():
        shutil.copy(EXAMPLES / example, folder / name)
    for name, example in NEIGHBOURS.items():
        shutil.copy(EXAMPLES / example, folder / name)
    with zipfile.ZipFile(folder / "x.zip", "w") as archive:
        archive.write(EXAMPLES / ZIP_MEMBER[1], ZIP_MEMBER[0])
    age_files(folder)
    return folder


@pytest.mark.parametrize(
    "path",
    [
        "pages/a.txt",
        "pages/x.zip#y.txt",
        "pages/c.txt:7",
        "a\\",
        "a\\#b",
        "/d/x:y#z\\",
        "-",
        "",
        "caf\udce9",
        "a\\xe9",
    ],
    ids=[
        "plain",
        "hash",
        "colon",
        "backslash",
        "escaped-hash",
        "all",
        "stdin",
        "empty",
        "not-utf8",
        "like-escape",
    ],
)
def test_a_source_names_its_input_and_member_unambiguously(path: str) -> None:
    name = input_source(path)
    assert split_source(name) == (path, None)
    assert split_source(name + "#y.txt#z") == (path, "#y.txt#z")
    assert split_source(name + ":17") == (path, ":17")
    assert came_from(name, path) and came_from(name + "#m", path) and came_from(name + ":3", path)


def test_a_file_named_like_a_member_is_not_taken_for_one() -> None:
    assert input_source("p/x.zip#y.txt") == "p/x.zip\\#y.txt"
    assert not came_from(input_source("p/x.zip#y.txt"), "p/x.zip")
    assert came_from("p/x.zip#y.txt", "p/x.zip")
    inputs = ["p/a.txt", "p/a.txt#b.txt", "p/x.zip", "p/x.zip#y.txt"]
    sources = ["p/a.txt", "p/a.txt\\#b.txt", "p/x.zip#y.txt", "p/x.zip\\#y.txt"]
    groups = group_by_input(inputs, [Outcome(source, None, "r") for source in sources])
    assert [(path, [o.source for o in outcomes]) for path, outcomes in groups] == [
        (path, [source]) for path, source in zip(inputs, sources, strict=True)
    ]


def test_odd_names_are_reported_apart_and_deleted_with_their_files(
    runner: CliRunner, odd_pages: Path, tmp_path: Path
) -> None:
    root, report = tmp_path / "ix", tmp_path / "ingest.jsonl"
    args = ["ingest", str(odd_pages), "--index", str(root), "--report", str(report), "-q"]
    assert runner.invoke(cli, args).exit_code == 0
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    by_code = {line["code"]: line["path"] for line in lines}
    # The file x.zip#y.txt and the member y.txt of x.zip: two pages, two names.
    assert by_code["hcpcs:A4253"] == f"{odd_pages}/x.zip\\#y.txt"
    assert by_code["hcpcs:A6216"] == f"{odd_pages}/x.zip#y.txt"
    assert by_code["hcpcs:A0427"] == f"{odd_pages}/c.txt\\:7"
    assert by_code["hcpcs:C9028"] == f"{odd_pages}/a.txt\\#b.txt"
    assert len(set(by_code.values())) == len(lines) == 6
    shown = runner.invoke(cli, ["show", "A4253", "--index", str(root), "--format", "json"])
    assert json.loads(shown.stdout)["source"] == f"{odd_pages}/x.zip\\#y.txt"

    for name in ODD_NAMES:
        (odd_pages / name).unlink()
    changes = tmp_path / "reindex.jsonl"
    result = runner.invoke(cli, ["reindex", "--index", str(root), "--report", str(changes), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"] == 3
    lines = [json.loads(line) for line in changes.read_text().splitlines()]
    deleted = {line["code"] for line in lines if line["status"] == "deleted"}
    assert deleted == {code for _, _, code in ODD_NAMES.values()}
    for _, _, key in ODD_NAMES.values():
        found = runner.invoke(cli, ["search", key.split(":")[1], "--index", str(root), "--json"])
        assert json.loads(found.stdout)["hits"] == []
    assert {page.key for page in live_pages(root)} == {"hcpcs:A0429", "hcpcs:A4206", "hcpcs:A6216"}


def test_an_index_that_filed_them_under_their_neighbours_is_mended(odd_pages: Path, tmp_path: Path) -> None:
    """Before issue 19, `x.zip#y.txt`'s page was recorded as a page of `x.zip` and the file as an
    input with no page: the manifest is rewritten that way, and a reindex still deletes it."""
    root = tmp_path / "ix"
    ingest([str(odd_pages)], root, workers=1)
    manifest = current_generation(root).path / MANIFEST_FILE
    header, *lines = manifest.read_text(encoding="utf-8").splitlines()
    assert json.loads(header)["manifest_version"] == MANIFEST_VERSION
    entries = {entry[0]: entry for entry in map(json.loads, lines)}
    for name, (neighbour, _, _) in ODD_NAMES.items():
        odd, near = entries[str(odd_pages / name)], entries[str(odd_pages / neighbour)]
        near[4].extend([str(odd_pages / name), *page[1:]] for page in odd[4])  # the old unescaped name
        odd[4] = []
    manifest.write_text("\n".join([header, *map(json.dumps, entries.values())]) + "\n", encoding="utf-8")

    for name in ODD_NAMES:
        (odd_pages / name).unlink()
    report = reindex(root, workers=1)
    assert report.counts["deleted"] == 3
    assert {page.key for page in live_pages(root)} == {"hcpcs:A0429", "hcpcs:A4206", "hcpcs:A6216"}
    assert reindex(root, workers=1).counts["deleted"] == 0


def test_a_file_name_that_is_not_utf8_is_read_reported_and_deleted(tmp_path: Path) -> None:
    """os.listdir keeps such a name's bytes as lone surrogates, which no report could write: the
    run ended with a traceback (UnicodeEncodeError) after the pages were parsed."""
    folder = tmp_path / "pages"
    folder.mkdir()
    odd = os.fsdecode(bytes(folder) + b"/caf\xe9.txt")
    shutil.copy(EXAMPLES / "hcpcs-C9028.txt", odd)
    shutil.copy(EXAMPLES / "hcpcs-A0427.txt", folder / "plain.txt")
    age_files(folder)
    root, report = tmp_path / "ix", tmp_path / "report.jsonl"
    args = [
        sys.executable,
        "-m",
        "medcodes",
        "ingest",
        str(folder),
        "--index",
        str(root),
        "--report",
        str(report),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    paths = {json.loads(line)["path"] for line in report.read_text(encoding="utf-8").splitlines()}
    assert paths == {f"{folder}/caf\\xe9.txt", f"{folder}/plain.txt"}

    os.unlink(odd)
    args = [sys.executable, "-m", "medcodes", "reindex", "--index", str(root), "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["deleted"] == 1
    assert {page.key for page in live_pages(root)} == {"hcpcs:A0427"}
