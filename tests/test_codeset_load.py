"""`codesets load`: code sets stored in a new generation, kept by ingest and reindex, checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, age_files, write_lock_holder

import medcodes
from medcodes.cli import cli
from medcodes.index.codesets import CODESETS_FILE, NoCodeSetError, open_code_table
from medcodes.index.store import current_generation
from medcodes.pipeline.codesets.read import read_code_set
from medcodes.pipeline.codesets.table import CodeTable

CODESETS = Path(__file__).parent / "data" / "codesets"
HCPCS_FILE = CODESETS / "hcpcs_2025_oct_codes.csv"
ICD_FILE = CODESETS / "icd10cm_2026_codes.jsonl"
PCS_FILE = CODESETS / "icd10pcs_2025_codes.csv"
ALL_FILES = [HCPCS_FILE, ICD_FILE, PCS_FILE]


def newer_hcpcs(tmp_path: Path) -> Path:
    """The HCPCS excerpt as a next quarter might list it: one code dropped, one added, one
    terminated, one reworded, one given a descriptor of another meaning."""
    lines = HCPCS_FILE.read_text().splitlines(keepends=True)
    out = []
    for line in lines:
        if line.startswith("A0021,"):
            continue  # removed
        if line.startswith("J9229,"):
            line = line.replace(",1,", ",0,", 1).replace(",,N\n", ",20251231,D\n")  # terminated
        if line.startswith("E0100,"):
            line = line.replace("with tip", "with tips")  # reworded: plural folded, same words
        if line.startswith("G0008,"):
            line = line.replace(
                "Administration of influenza virus vaccine", "Telehealth consultation for critical care"
            )
        out.append(line)
    out.append('Q5999,procedure,1,"Injection, new biosimilar, 10 mg",,,,,,20260101,20260101,,A\n')
    path = tmp_path / "hcpcs_2026_jan_codes.csv"
    path.write_text("".join(out))
    return path


def entries_of(path: Path) -> list[medcodes.CodeSetEntry]:
    return list(read_code_set(path)[1])


def test_load_into_a_new_index_stores_every_entry(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    report = medcodes.load_code_sets(root, ALL_FILES)
    table = open_code_table(root)
    expected = CodeTable(entry for path in ALL_FILES for entry in entries_of(path))
    assert len(table) == len(expected) == 61
    assert sorted(table, key=lambda e: (e.system, e.code)) == sorted(
        expected, key=lambda e: (e.system, e.code)
    )
    assert table.children("icd10cm", "A01.0") == expected.children("icd10cm", "A01.0") == ["A01.00", "A01.01"]
    assert table.get("hcpcs", "C9088") == expected.get("hcpcs", "C9088")
    assert [entry.system for entry in table.find("I10")] == ["icd10cm"]
    assert report.stored == {"hcpcs": 18, "icd10cm": 31, "icd10pcs": 12}
    assert [c.old for c in report.changes] == ["", "", ""]
    assert medcodes.check_index(root).codes == 61


def test_load_records_releases_in_the_metadata(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, [ICD_FILE], loaded="2026-01-02T03:04:05+00:00")
    meta = current_generation(root).read_meta()["codesets"]
    assert meta["releases"]["icd10cm"] == {
        "name": "icd10cm-fy2026",
        "system": "icd10cm",
        "file": "icd10cm_2026_codes.jsonl",
        "version": "FY2026",
        "loaded": "2026-01-02T03:04:05+00:00",
    }
    assert meta["entries"] == {"icd10cm": 31}
    assert open_code_table(root).releases["icd10cm"].loaded == "2026-01-02T03:04:05+00:00"


def test_newer_release_replaces_its_system_and_records_what_changed(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, ALL_FILES)
    report = medcodes.load_code_sets(root, [newer_hcpcs(tmp_path)])
    [changes] = report.changes
    assert (changes.old, changes.new) == ("hcpcs-2025-oct", "hcpcs-2026-jan")
    assert (changes.added, changes.removed, changes.terminated) == (["Q5999"], ["A0021"], ["J9229"])
    assert (changes.descriptor_changed, changes.reused) == (["E0100"], ["G0008"])
    table = open_code_table(root)
    assert table.get("hcpcs", "A0021") is None and table.get("hcpcs", "Q5999") is not None
    assert table.get("hcpcs", "J9229").terminated is not None  # type: ignore[union-attr]
    assert table.releases["hcpcs"].name == "hcpcs-2026-jan"
    assert len(list(table.entries("icd10cm"))) == 31 and len(table.codes("icd10pcs")) == 12  # kept
    last = current_generation(root).read_meta()["codesets"]["last_load"]
    assert last[0]["counts"] == {
        "added": 1,
        "removed": 1,
        "terminated": 1,
        "descriptor_changed": 1,
        "reused": 1,
    }


def test_a_file_that_cannot_be_read_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, [ICD_FILE])
    live = current_generation(root)
    unknown = tmp_path / "codes.csv"
    unknown.write_text("code,title\nJ9229,Injection\n")
    with pytest.raises(medcodes.CodeSetFileError, match="not a known code-set format"):
        medcodes.load_code_sets(root, [HCPCS_FILE, unknown])
    empty = tmp_path / "hcpcs_2026_jan.csv"
    empty.write_text(HCPCS_FILE.read_text().splitlines()[0] + "\nJ9229,procedure,1,Too few fields\n")
    with pytest.raises(medcodes.CodeSetFileError, match="no code could be read"):
        medcodes.load_code_sets(root, [empty])
    assert current_generation(root) == live and open_code_table(root).systems() == {"icd10cm"}


def test_no_code_set_is_a_one_line_error(tmp_path: Path, built_index: Path) -> None:
    with pytest.raises(NoCodeSetError, match=r"no code set loaded .* \(medcodes codesets load"):
        open_code_table(built_index)
    with pytest.raises(medcodes.IndexMissingError):
        open_code_table(tmp_path / "nothing")


@pytest.fixture
def paged_index(pages_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    medcodes.load_code_sets(root, ALL_FILES)
    return root


def test_reindex_and_ingest_keep_what_was_loaded(paged_index: Path, pages_dir: Path, tmp_path: Path) -> None:
    before = sorted(open_code_table(paged_index), key=lambda e: (e.system, e.code))
    pages = medcodes.check_index(paged_index).pages
    (pages_dir / "hcpcs-J9229.txt").unlink()
    assert medcodes.reindex(paged_index, workers=1).counts["deleted"] == 1
    assert sorted(open_code_table(paged_index), key=lambda e: (e.system, e.code)) == before
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(EXAMPLES / "hcpcs-J9229.txt", extra)
    age_files(extra)
    medcodes.ingest([str(extra)], paged_index, workers=1)
    full = medcodes.reindex(paged_index, full=True, workers=1)
    assert full.full_reason == "asked for"
    assert sorted(open_code_table(paged_index), key=lambda e: (e.system, e.code)) == before
    report = medcodes.check_index(paged_index)
    assert (report.pages, report.codes) == (pages, 61)
    meta = current_generation(paged_index).read_meta()
    assert meta["codesets"]["entries"] == {"hcpcs": 18, "icd10cm": 31, "icd10pcs": 12}


def test_load_keeps_the_pages_and_their_sources(paged_index: Path) -> None:
    meta = current_generation(paged_index).read_meta()
    pages = medcodes.check_index(paged_index).pages
    medcodes.load_code_sets(paged_index, [newer_hcpcs(paged_index.parent)])
    assert medcodes.check_index(paged_index).pages == pages
    assert current_generation(paged_index).read_meta()["sources"] == meta["sources"]
    assert medcodes.reindex(paged_index, workers=1).changed is False


def test_check_finds_a_damaged_code_set_file(paged_index: Path) -> None:
    path = current_generation(paged_index).path / CODESETS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.unlink()  # hard-linked from the previous generation: damage only the live copy
    path.write_bytes(bytes(data))
    with pytest.raises(medcodes.IndexCheckError, match=CODESETS_FILE):
        medcodes.check_index(paged_index)


def test_load_waits_for_the_writer_then_gives_up(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, [PCS_FILE])
    with write_lock_holder(root), pytest.raises(medcodes.IndexBusyError):
        medcodes.load_code_sets(root, [HCPCS_FILE], wait=0.2)
    assert open_code_table(root).systems() == {"icd10pcs"}


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_load_prints_releases_and_changes(tmp_path: Path, runner: CliRunner) -> None:
    root = tmp_path / "ix"
    files = [str(p) for p in ALL_FILES]
    result = runner.invoke(cli, ["codesets", "load", *files, "--index", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        lines[0]
        == "loaded hcpcs-2025-oct (2025-Q4, hcpcs_2025_oct_codes.csv): 18 codes, first release of hcpcs"
    )
    assert lines[-1].endswith("hcpcs 18, icd10cm 31, icd10pcs 12 codes stored")
    result = runner.invoke(cli, ["codesets", "load", str(newer_hcpcs(tmp_path)), "--index", str(root)])
    assert result.exit_code == 0, result.output
    assert "since hcpcs-2025-oct: 1 added (Q5999); 1 removed (A0021); 1 terminated (J9229)" in result.output
    assert "1 reused (descriptor of another meaning) (G0008)" in result.output
    check = runner.invoke(cli, ["check", "--index", str(root)])
    assert check.exit_code == 0 and "61 code-set entries" in check.output


def test_cli_load_json_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm_2026.jsonl"
    path.write_text(ICD_FILE.read_text() + "{oops\n")
    result = CliRunner().invoke(
        cli, ["codesets", "load", str(path), "--index", str(tmp_path / "ix"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["bad_rows"] == 1 and data["first_bad_rows"][0].startswith("icd10cm_2026.jsonl:32: ")
    assert data["stored"] == {"icd10cm": 31} and data["changes"][0]["counts"]["added"] == 31
    text = CliRunner().invoke(cli, ["codesets", "load", str(path), "--index", str(tmp_path / "ix")])
    assert "warning: skipped row icd10cm_2026.jsonl:32: " in text.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "Error: missing.csv: no such file"),
        (["."], "Error: .: is a folder, not a code-set file"),
    ],
    ids=["missing", "folder"],
)
def test_cli_load_errors_are_one_line(
    tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["codesets", "load", *args, "--index", str(tmp_path / "ix")])
    assert (result.exit_code, result.stderr.strip()) == (1, message)
    assert not (tmp_path / "ix").exists()


def test_an_old_index_has_no_code_set_until_one_is_loaded(tmp_path: Path) -> None:
    root = tmp_path / "old"
    with tarfile.open(Path(__file__).parent / "old_index" / "39ac0ee.tar.gz") as tar:
        tar.extractall(root, filter="data")
    with pytest.raises(NoCodeSetError):
        open_code_table(root)
    pages = medcodes.check_index(root)
    assert pages.codes == 0
    medcodes.load_code_sets(root, [PCS_FILE])
    after = medcodes.check_index(root)
    assert (after.pages, after.codes) == (pages.pages, 12)


def test_bench_script_loads_and_checks_the_excerpts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for folder, path in (("hcpcs", HCPCS_FILE), ("icd10cm", ICD_FILE), ("icd10pcs", PCS_FILE)):
        (data / folder).mkdir(parents=True)
        shutil.copy(path, data / folder)
    bench = Path(__file__).resolve().parent.parent / "bench" / "codesets_load.py"
    run = subprocess.run(
        [sys.executable, str(bench), str(data), "--runs", "1", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "| entries stored | 61 (hcpcs 18, icd10cm 31, icd10pcs 12) |" in run.stdout
    assert "| checks failed | 0 |" in run.stdout
    assert "17 billable ICD-10-CM codes, 14 categories with children, 7 terminated HCPCS codes" in run.stderr
    # A stored entry that contradicts its file is caught: HCPCS's terminated C9088 made active.
    (data / "hcpcs" / HCPCS_FILE.name).write_text(
        HCPCS_FILE.read_text()
        .replace("C9088,procedure,0,", "C9088,procedure,1,")
        .replace(",20250930,D", ",,D")
    )
    (data / "hcpcs" / "hcpcs_2025_jul_extra.csv").write_text(
        HCPCS_FILE.read_text().splitlines()[0]
        + "\nC9088,procedure,0,Instillation,,,,,,20220101,20250701,20250630,D\n"
    )
    failed = subprocess.run(
        [sys.executable, str(bench), str(data), "--runs", "1", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and "- hcpcs C9088: terminated 2025-06-30, stored active" in failed.stdout


def test_pages_ingested_after_a_load_join_the_code_sets(tmp_path: Path, pages_dir: Path) -> None:
    root = tmp_path / "ix"
    medcodes.load_code_sets(root, [HCPCS_FILE])
    report = medcodes.ingest([str(pages_dir)], root, workers=1)
    assert report.counts["indexed"] == 26
    assert medcodes.check_index(root).codes == 18 and len(open_code_table(root)) == 18
    with medcodes.Searcher(root) as searcher:
        [hit] = searcher.search("J9229").hits
    assert (hit.status, hit.billable, hit.no_page) == ("active", True, False)
