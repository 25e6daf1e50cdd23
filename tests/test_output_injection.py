"""Page text and file names cannot act on a terminal or a spreadsheet (issue 19 item 10).

Human-readable output drops control sequences (an OSC retitles the terminal, a CSI colours or
clears it, `\\r` and backspace overwrite); JSON keeps the text exact with them escaped; a CSV
cell that starts like a formula is led by `'` (OWASP)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.queries.present.printable import csv_cell, json_text, printable
from medcodes.server.access_log import ACCESS_LOGGER, JsonLines
from medcodes.server.app import ServerSettings, create_app

OSC_TITLE = "\x1b]0;owned terminal\x07"
TITLE = f"Zanzibar pump rental {OSC_TITLE}with \x1b[31mred\x1b[0m text"
FORMULA = "=cmd|' /C calc'!A0"
# A page written for this test: an OSC and CSI codes in its title, an 8-bit CSI (C1) in its name
# block, a formula, a carriage return and backspaces in its summary.
PAGE = (
    f"{TITLE}\n"
    "HCPCS code\n"
    "Name of the Procedure:\n"
    "Rental of a zanzibar infusion pump for home use \x9b2J(E0781).\n"
    "Summary\n"
    f"{FORMULA} zanzibar pump rental, billed\rmonthly\x08\x08 for home infusion.\n"
    "Purpose\n"
    "- Goals: Deliver zanzibar medicine at home.\n"
)
# Bytes that may never reach a terminal from a page: ESC is allowed only in our own bold.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OUR_BOLD = re.compile(r"\x1b\[(?:1|0|22)m")


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "pages"
    folder.mkdir()
    (folder / "hcpcs-E0781.txt").write_text(PAGE, encoding="utf-8")
    root = folder.parent / "ix"
    assert ingest([str(folder)], root, workers=1).counts["indexed"] == 1
    return root


def assert_inert(text: str) -> None:
    assert not FORBIDDEN.search(OUR_BOLD.sub("", text)), repr(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"a{OSC_TITLE}b", "ab"),
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC ended by ST
        ("x\x1b[1;31mred\x1b[0m", "xred"),
        ("x\x9b2Jy\x9d0;t\x9cz", "xyz"),  # 8-bit CSI and OSC
        ("over\rwrite\x08\x08 \x00\x7f", "overwrite "),
        ("lone\x1b", "lone"),
        ("reset\x1bc", "reset"),
        ("a\x1b]0;never ended", "a0;never ended"),  # unended: its text is kept, not swallowed
        ("line\n\tindented", "line\n\tindented"),
    ],
    ids=["osc-bel", "osc-st", "csi", "c1", "c0", "lone-esc", "esc-final", "osc-unended", "layout"],
)
def test_printable_drops_control_sequences(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_a_csv_cell_that_starts_like_a_formula_is_led_by_a_quote(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("walker") == "walker" and csv_cell(-1.5) == -1.5
    assert csv_cell("\x1b[0m=1+1") == "'=1+1"  # cleaned first, then checked


def test_json_text_is_exact_with_every_control_escaped() -> None:
    value = {"title": TITLE + "\x9b\x85\x7f"}
    text = json_text(value)
    assert not FORBIDDEN.search(text)
    assert json.loads(text) == value


def test_search_table_and_show_print_no_control_sequence(runner: CliRunner, hostile_index: Path) -> None:
    # --color always: click strips no ANSI codes of its own accord, as on a terminal.
    for color in ("always", "never"):
        found = runner.invoke(cli, ["--color", color, "search", "zanzibar", "--index", str(hostile_index)])
        assert found.exit_code == 0, found.output
        assert "Zanzibar pump rental with red text" in found.stdout
        assert_inert(found.stdout)
        shown = runner.invoke(cli, ["--color", color, "show", "E0781", "--index", str(hostile_index)])
        assert shown.exit_code == 0, shown.output
        assert FORMULA in shown.stdout and "home use (E0781)" in shown.stdout
        assert_inert(shown.stdout)
        if color == "always":  # our own bold is still drawn
            assert "\x1b[1mE0781" in found.stdout and "\x1b[1mSummary" in shown.stdout


def test_json_output_is_exact(runner: CliRunner, hostile_index: Path) -> None:
    found = runner.invoke(cli, ["search", "zanzibar", "--json", "--index", str(hostile_index)])
    assert_inert(found.stdout)
    hit = json.loads(found.stdout)["hits"][0]
    assert hit["title"] == TITLE
    assert "\x9b2J" in hit["snippet"]
    shown = runner.invoke(cli, ["show", "E0781", "--format", "jsonl", "--index", str(hostile_index)])
    assert_inert(shown.stdout)
    assert json.loads(shown.stdout)["title"] == TITLE


def test_csv_cells_that_start_like_formulas_are_quoted(runner: CliRunner, hostile_index: Path) -> None:
    args = ["search", "--format", "csv", "--index", str(hostile_index), "--"]
    found = runner.invoke(cli, [*args, "calc"])
    assert found.exit_code == 0, found.output
    assert_inert(found.stdout)
    (row,) = list(csv.DictReader(io.StringIO(found.stdout)))
    assert row["snippet"].startswith(f"'{FORMULA}")
    assert row["title"] == "Zanzibar pump rental with red text"
    assert float(row["score"]) > 0
    excluded = runner.invoke(cli, [*args, "-walker zanzibar"])
    (row,) = list(csv.DictReader(io.StringIO(excluded.stdout)))
    assert row["query"] == "'-walker zanzibar" and row["code"] == "E0781"


def test_batch_lines_echo_queries_without_control_sequences(runner: CliRunner, hostile_index: Path) -> None:
    lines = f"zanzibar {OSC_TITLE}\n"
    result = runner.invoke(cli, ["search", "--queries", "-", "--index", str(hostile_index)], input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("== zanzibar ")
    assert_inert(result.stdout)
    assert_inert(result.stderr)


def test_report_lines_and_errors_name_files_without_control_sequences(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / f"empty{OSC_TITLE}.html").write_text("")
    (folder / "hcpcs-E0781.txt").write_text(PAGE, encoding="utf-8")
    root = str(tmp_path / "ix")
    for verbose in ([], ["-v"]):
        result = runner.invoke(cli, ["ingest", str(folder), "--index", root, *verbose])
        assert result.exit_code == 3, result.output
        assert "rejected: " in result.stderr and "pages/empty.html: empty file" in result.stderr
        assert_inert(result.stderr)
    missing = runner.invoke(cli, ["ingest", f"{folder}/gone{OSC_TITLE}.txt", "--index", root])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: ") and "pages/gone.txt" in missing.stderr
    assert_inert(missing.stderr)


def test_the_access_log_line_names_a_path_without_control_sequences(
    hostile_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(ServerSettings(hostile_index))
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER), TestClient(app) as client:
        assert client.get("/codes/hcpcs/%1b]0;owned%07").status_code == 400  # not a code
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.getMessage().startswith("GET /codes/hcpcs/ 400 ")
    line = JsonLines().format(record)
    assert_inert(line)
    assert json.loads(line)["path"] == "/codes/hcpcs/\x1b]0;owned\x07"  # exact in JSON
