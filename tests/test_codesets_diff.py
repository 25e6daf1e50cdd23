"""`codesets diff`: added, terminated, descriptor changed and reused codes between two releases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from codeset_entries import hcpcs, icd

from medcodes.cli import cli
from medcodes.pipeline.codesets.diff import (
    REUSED_BELOW,
    ReleaseMismatchError,
    diff_releases,
    word_overlap,
    word_weights,
)

OLD = [
    hcpcs("J9229", "Injection, inotuzumab ozogamicin, 0.1 mg"),
    hcpcs("C9248", "Injection, clevidipine butyrate, 1 mg"),
    hcpcs("E0986", "Manual wheelchair accessory, push-rim activated power assist system"),
    hcpcs("J0458", "Injection, ampicillin sodium, 500 mg"),
    hcpcs("A4253", "Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips"),
]
NEW = [
    hcpcs("J9229", "Injection, inotuzumab ozogamicin, 0.1 mg"),
    hcpcs(
        "C9248",
        "Injection, clevidipine butyrate, 1 mg",
        active=False,
        terminated=date(2025, 9, 30),
        action="D",
    ),
    hcpcs("E0986", "Manual wheelchair accessory, power assist system", action="C"),
    hcpcs("J0458", "Injection, aztreonam/avibactam, 7.5 mg/2.5 mg (10 mg)", action="A"),
    hcpcs("A2036", "Cohealyx collagen dermal matrix, per square centimeter", action="A"),
]


def test_added_terminated_and_changed() -> None:
    diff = diff_releases(OLD, NEW, "hcpcs-2025-jul", "hcpcs-2025-oct")
    assert (diff.system, diff.old, diff.new) == ("hcpcs", "hcpcs-2025-jul", "hcpcs-2025-oct")
    assert [e.code for e in diff.added] == ["A2036"]
    assert [(t.code, t.terminated, t.listed) for t in diff.terminated] == [
        ("A4253", None, False),  # no longer listed
        ("C9248", date(2025, 9, 30), True),
    ]
    assert [(c.code, c.reused) for c in diff.changed] == [("E0986", False), ("J0458", True)]
    assert [c.code for c in diff.reused] == ["J0458"]


def test_the_json_shape() -> None:
    shape = diff_releases(OLD, NEW).to_dict()
    assert shape["reused"] == ["J0458"] and shape["added"][0]["code"] == "A2036"
    assert shape["terminated"][1] == {
        "code": "C9248",
        "descriptor": "Injection, clevidipine butyrate, 1 mg",
        "terminated": "2025-09-30",
        "listed": True,
    }


def test_icd_codes_deleted_between_fiscal_years_are_terminated() -> None:
    old = [
        icd("E11", "Type 2 diabetes mellitus", False, None),
        icd("E11.9", "Without complications", True, "E11"),
    ]
    new = [icd("E11", "Type 2 diabetes mellitus", False, None)]
    diff = diff_releases(old, new)
    assert [(t.code, t.listed) for t in diff.terminated] == [("E11.9", False)]


def test_a_code_terminated_before_the_old_release_is_not_terminated_again() -> None:
    gone = hcpcs("J1940", "Injection, furosemide, up to 20 mg", active=False, terminated=date(2025, 3, 31))
    assert diff_releases([gone], [gone]).terminated == ()
    assert diff_releases([gone], []).terminated == ()


def test_releases_of_two_systems_are_refused() -> None:
    with pytest.raises(ReleaseMismatchError, match="different code systems: hcpcs, icd10cm"):
        diff_releases(OLD, [icd("E11", "Type 2 diabetes mellitus", False, None)])


@pytest.mark.parametrize(
    ("old", "new", "reused"),
    [
        (
            "Manual wheelchair accessory, power assist system",
            "Manual wheelchair accessory, power assist",
            False,
        ),
        ("Injection, inotuzumab ozogamicin, 0.1 mg", "Injection, inotuzumab ozogamicin, 1 mg", False),
        ("Injection, treosulfan, 50 mg", "Injection, clevidipine butyrate, 1 mg", True),
    ],
    ids=["words-dropped", "dose-changed", "other-drug"],
)
def test_overlap_weights_rare_words(old: str, new: str, reused: bool) -> None:
    descriptors = [desc for entry in (*OLD, *NEW) for desc in [entry.descriptor]] + [old, new]
    assert (word_overlap(old, new, word_weights(descriptors)) < REUSED_BELOW) is reused


# --- medcodes codesets diff OLD NEW -------------------------------------------------------------

CODESETS = Path(__file__).parent / "data" / "codesets"
RELEASES = CODESETS / "releases"
JUL, OCT = RELEASES / "hcpcs_2025_jul_codes.csv", RELEASES / "hcpcs_2025_oct_codes.csv"


def diff_cli(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(cli, ["codesets", "diff", *map(str, args)], catch_exceptions=False)


def test_the_command_prints_every_change(runner: CliRunner) -> None:
    result = diff_cli(runner, JUL, OCT)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "HCPCS hcpcs-2025-jul -> hcpcs-2025-oct: 2 added, 2 terminated, 3 descriptors changed (1 reused)"
    )
    assert [line.split()[:2] for line in lines[1:]] == [
        ["added", "A2036"],
        ["added", "A9612"],
        ["terminated", "C9174"],
        ["terminated", "C9248"],
        ["changed", "C1739"],
        ["changed", "E0986"],
        ["reused", "J0458"],
    ]
    assert lines[3].endswith("(after 2025-09-30)")


def test_the_command_in_json(runner: CliRunner) -> None:
    answer = json.loads(diff_cli(runner, JUL, OCT, "--json").stdout)
    assert (answer["old"], answer["new"], answer["reused"]) == ("hcpcs-2025-jul", "hcpcs-2025-oct", ["J0458"])
    assert [c["code"] for c in answer["changed"]] == ["C1739", "E0986", "J0458"]
    assert answer["changed"][2]["overlap"] < REUSED_BELOW <= answer["changed"][1]["overlap"]


def test_the_same_release_twice_changes_nothing(runner: CliRunner) -> None:
    answer = json.loads(diff_cli(runner, OCT, OCT, "--json").stdout)
    assert answer["added"] == answer["terminated"] == answer["changed"] == []


def test_a_bad_row_is_skipped_with_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "hcpcs_2025_jul_codes.csv"
    broken.write_text(JUL.read_text() + "J9999,procedure,7,Bad active flag,,,,,,20250101,20250101,,N\n")
    result = diff_cli(runner, broken, OCT)
    assert result.exit_code == 0
    assert "warning: skipped row hcpcs_2025_jul_codes.csv:11: active '7' is not 0 or 1" in result.stderr


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["missing.csv", OCT], "Error: missing.csv: no such file"),
        ([OCT, CODESETS / "icd10cm_2026_codes.jsonl"], "holds hcpcs codes and"),
    ],
    ids=["missing", "two-systems"],
)
def test_errors_are_one_line(runner: CliRunner, files: list[str | Path], message: str) -> None:
    result = diff_cli(runner, *files)
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_two_files_are_needed(runner: CliRunner) -> None:
    assert diff_cli(runner, OCT).exit_code == 2
