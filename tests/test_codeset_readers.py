"""The code-set readers on public-domain excerpts of the CMS and CDC releases (tests/data/codesets)."""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

import pytest

from medcodes.pipeline.codesets.entry import CodeSetEntry
from medcodes.pipeline.codesets.problems import BadRow, CodeSetFileError
from medcodes.pipeline.codesets.read import read_code_set, read_text
from medcodes.pipeline.codesets.release import release_from_file
from medcodes.pipeline.codesets.table import CodeTable

CODESETS = Path(__file__).parent / "data" / "codesets"
HCPCS_FILE = CODESETS / "hcpcs_2025_oct_codes.csv"
ICD_FILE = CODESETS / "icd10cm_2026_codes.jsonl"
PCS_FILE = CODESETS / "icd10pcs_2025_codes.csv"
HCPCS_HEADER = (
    "code,kind,active,long_description,betos,cov,price1,mult_pi,tos1,add_dt,act_eff_dt,term_dt,action_cd\n"
)


def read_all(path: Path) -> tuple[dict[str, CodeSetEntry], list[BadRow]]:
    bad: list[BadRow] = []
    _, entries = read_code_set(path, bad.append, loaded="2026-01-01T00:00:00+00:00")
    return {entry.code: entry for entry in entries}, bad


# --- HCPCS ---------------------------------------------------------------------------------------


def test_hcpcs_reads_every_row_of_the_excerpt() -> None:
    entries, bad = read_all(HCPCS_FILE)
    rows = len(HCPCS_FILE.read_text().splitlines()) - 1
    assert (len(entries), bad) == (rows, [])
    assert {entry.system for entry in entries.values()} == {"hcpcs"}


def test_hcpcs_active_procedure_code() -> None:
    j9229 = read_all(HCPCS_FILE)[0]["J9229"]
    assert j9229.descriptor == "Injection, inotuzumab ozogamicin, 0.1 mg"
    assert (j9229.kind, j9229.billable, j9229.active, j9229.header) == ("procedure", True, True, False)
    assert (j9229.added, j9229.effective, j9229.terminated) == (date(2019, 1, 1), date(2019, 1, 1), None)
    assert (j9229.action, j9229.release) == ("N", "hcpcs-2025-oct")


def test_hcpcs_terminated_codes_keep_their_dates_and_action() -> None:
    entries = read_all(HCPCS_FILE)[0]
    c9088 = entries["C9088"]
    assert (c9088.active, c9088.terminated, c9088.effective, c9088.action) == (
        False,
        date(2025, 9, 30),
        date(2025, 10, 1),
        "D",
    )
    j1940 = entries["J1940"]  # terminated in an earlier quarter: action N, still listed
    assert (j1940.active, j1940.terminated, j1940.action) == (False, date(2025, 3, 31), "N")
    terminated = {code for code, entry in entries.items() if entry.terminated}
    assert terminated == {code for code, entry in entries.items() if not entry.active}


def test_hcpcs_modifier_is_not_billable_by_itself() -> None:
    entries = read_all(HCPCS_FILE)[0]
    assert (entries["A1"].kind, entries["A1"].billable, entries["A1"].active) == ("modifier", False, True)
    assert (entries["CP"].active, entries["CP"].terminated) == (False, date(2017, 12, 31))


def test_hcpcs_bad_rows_are_reported_with_their_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "hcpcs_2025_jan_codes.csv"
    path.write_text(
        HCPCS_HEADER
        + "J9229,procedure,1,Injection,O1E,C,51,A,1,20190101,20190101,,N\n"  # line 2: fine
        + 'J9999,procedure,1,"Spans\ntwo lines",,,,,,2019-01-01,20190101,,N\n'  # line 3: bad date
        + "J9998,procedure,1,Too few fields\n"  # line 5
        + "J9997,service,1,Wrong kind,,,,,,20190101,20190101,,N\n"  # line 6
        + "99213,procedure,1,A CPT code,,,,,,20190101,20190101,,N\n"  # line 7: not HCPCS II
        + "J9996,procedure,yes,Odd active,,,,,,20190101,20190101,,N\n"  # line 8
        + "G0008,procedure,1,Administration of influenza virus vaccine,,,,,,19940101,19960101,,N\n"
    )
    entries, bad = read_all(path)
    assert sorted(entries) == ["G0008", "J9229"]
    assert [row.line for row in bad] == [3, 5, 6, 7, 8]
    assert "YYYYMMDD" in bad[0].reason and "fields" in bad[1].reason
    assert str(bad[2]).startswith("hcpcs_2025_jan_codes.csv:6: ")


# --- ICD-10-CM -----------------------------------------------------------------------------------


def test_icd10cm_reads_every_line_dotted() -> None:
    entries, bad = read_all(ICD_FILE)
    assert (len(entries), bad) == (len(ICD_FILE.read_text().splitlines()), [])
    assert "A00.0" in entries and "A000" not in entries
    assert entries["A00.0"].parent == "A00" and entries["A01.00"].parent == "A01.0"


def test_icd10cm_header_has_billable_children() -> None:
    entries = read_all(ICD_FILE)[0]
    a010 = entries["A01.0"]
    assert (a010.billable, a010.header) == (False, True)
    table = CodeTable(entries.values())
    assert table.children("icd10cm", "A01.0") == ["A01.00", "A01.01"]
    assert all(entries[child].billable for child in table.children("icd10cm", "A01.0"))
    assert (entries["A00"].header, entries["A00"].chapter, entries["A00"].block) == (True, "1", "A00-A09")


def test_icd10cm_billable_category_is_no_header() -> None:
    i10 = read_all(ICD_FILE)[0]["I10"]
    assert (i10.billable, i10.header, i10.parent, i10.chapter) == (True, False, None, "9")


def test_icd10cm_placeholder_path_and_seventh_characters() -> None:
    entries = read_all(ICD_FILE)[0]
    assert dict(entries["W21"].seventh) == {
        "A": "initial encounter",
        "D": "subsequent encounter",
        "S": "sequela",
    }
    assert (entries["W21.89"].billable, entries["W21.89"].header) == (False, True)
    assert "W21.89A" not in entries
    xa = entries["W21.89XA"]
    assert (xa.billable, xa.header, xa.parent, xa.seventh) == (True, False, "W21.89", ())
    assert [char for char, _ in entries["E08.32"].seventh] == ["1", "2", "3", "9"]
    assert len(entries["S72"].seventh) == 16 and entries["S72.001A"].billable


def test_icd10cm_not_billable_without_children_is_no_header(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm_2025.jsonl"
    path.write_text(
        '{"code": "A00", "description": "Cholera", "parent": null, "billable": false}\n'
        '{"code": "B00", "description": "Herpes", "parent": null, "billable": false}\n'
        '{"code": "A000", "description": "Cholera 01", "parent": "A00", "billable": true}\n'
    )
    entries, _ = read_all(path)
    assert (entries["A00"].header, entries["B00"].header) == (True, False)


def test_icd10cm_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm_2026_codes.jsonl"
    path.write_text(
        '{"code": "I10", "description": "Essential (primary) hypertension", "billable": true}\n'
        "{not json\n"
        '{"code": "I11", "description": "Hypertensive heart disease"}\n'
        '{"code": "12345", "description": "Not a diagnosis", "billable": true}\n'
        "\n"
        '["a", "list"]\n'
        '{"code": "I119", "description": "Hypertensive heart disease", "billable": "yes"}\n'
        '{"code": "I12", "description": "Hypertensive kidney disease", "parent": null, "billable": false}\n'
    )
    entries, bad = read_all(path)
    assert sorted(entries) == ["I10", "I12"]
    assert [row.line for row in bad] == [2, 3, 4, 6, 7]
    assert "missing billable" in bad[1].reason


# --- ICD-10-PCS ----------------------------------------------------------------------------------


def test_icd10pcs_every_code_is_billable() -> None:
    entries, bad = read_all(PCS_FILE)
    assert (len(entries), bad) == (len(PCS_FILE.read_text().splitlines()) - 1, [])
    assert all(entry.billable and entry.system == "icd10pcs" for entry in entries.values())
    assert entries["0DTJ4ZZ"].descriptor == "Resection of Appendix, Percutaneous Endoscopic Approach"


def test_icd10pcs_bad_codes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_codes.csv"
    path.write_text(
        "code,long_description\n0DTJ4ZZ,Resection of Appendix\n0DTJ4Z,Too short\nDHYBFZZ,No digit\n"
        "0DTJ0ZZ,\n0DTI0ZZ,Has an I\n"
    )
    entries, bad = read_all(path)
    assert sorted(entries) == ["0DTJ4ZZ", "DHYBFZZ"]
    assert [row.line for row in bad] == [3, 5, 6]


# --- formats and releases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "system", "name", "version"),
    [
        ("hcpcs_2025_oct_codes.csv", "hcpcs", "hcpcs-2025-oct", "2025-Q4"),
        ("HCPC2026_JAN_ANWEB.csv", "hcpcs", "hcpcs-2026-jan", "2026-Q1"),
        ("hcpcs-jul-2024.csv", "hcpcs", "hcpcs-2024-jul", "2024-Q3"),
        ("icd10cm_2026_codes.jsonl", "icd10cm", "icd10cm-fy2026", "FY2026"),
        ("icd10pcs_order_FY2025.csv", "icd10pcs", "icd10pcs-fy2025", "FY2025"),
        ("icd10pcs_codes.csv", "icd10pcs", "icd10pcs", ""),
    ],
    ids=["hcpcs-oct", "hcpcs-cms-name", "month-first", "icd-fy", "pcs-fy", "no-year"],
)
def test_release_named_from_file(file: str, system: str, name: str, version: str) -> None:
    release = release_from_file(f"/some/where/{file}", system, "2026-01-01T00:00:00+00:00")
    assert (release.name, release.version, release.file, release.system) == (name, version, file, system)


def test_read_code_set_names_the_release() -> None:
    release, _ = read_code_set(ICD_FILE)
    assert (release.system, release.name, release.version) == ("icd10cm", "icd10cm-fy2026", "FY2026")
    assert release.loaded[:4].isdigit() and "T" in release.loaded


def test_format_picked_by_content_not_name(tmp_path: Path) -> None:
    swapped = tmp_path / "whatever.txt"
    swapped.write_bytes(b"\xef\xbb\xbf" + PCS_FILE.read_bytes())  # with a byte-order mark
    release, entries = read_code_set(swapped)
    assert release.system == "icd10pcs" and len(list(entries)) == 12


def test_gzipped_and_windows_1252_files(tmp_path: Path) -> None:
    path = tmp_path / "hcpcs_2025_oct_codes.csv.gz"
    row = "E0100,procedure,1,Cane – fixed,,,,,,19860101,19960101,,N\n"
    path.write_bytes(gzip.compress((HCPCS_HEADER + row).encode("cp1252")))
    release, entries = read_code_set(path)
    assert release.name == "hcpcs-2025-oct" and [e.descriptor for e in entries] == ["Cane – fixed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,title\nJ9229,Injection\n", "not a known code-set format"),
        ('{"code": "J9229", "title": "x"}\n', "not a known code-set format"),
        ("", "not a known code-set format"),
    ],
    ids=["csv-columns", "json-fields", "empty"],
)
def test_unknown_format_is_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(content)
    with pytest.raises(CodeSetFileError, match=message) as caught:
        read_code_set(path)
    assert "\n" not in str(caught.value) and "codes.csv" in str(caught.value)


def test_unreadable_inputs_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01code,kind\n")
    for path, message in [
        (tmp_path / "missing.csv", "no such file"),
        (tmp_path, "is a folder"),
        (tmp_path / "binary.csv", "not a text file"),
    ]:
        with pytest.raises(CodeSetFileError, match=message):
            read_code_set(path)


def test_a_gzip_bomb_or_a_fifo_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """gzip.decompress had no bound (a small .gz could fill memory) and a FIFO was read forever."""
    bomb = tmp_path / "hcpcs_2025_oct_codes.csv.gz"
    bomb.write_bytes(gzip.compress(b"code,kind\n" + b"0" * 100_000))
    with pytest.raises(CodeSetFileError, match="too large once decompressed"):
        read_text(bomb, max_bytes=10_000)
    fifo = tmp_path / "codes.csv"
    os.mkfifo(fifo)
    with pytest.raises(CodeSetFileError, match="FIFO"):
        read_code_set(fifo)
