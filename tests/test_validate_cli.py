"""`medcodes validate`, GET /validate and medcodes.validate_codes on a real index with the
code-set excerpts of tests/data/codesets loaded (`medcodes codesets load`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import MEDCODES, ROOT
from fastapi.testclient import TestClient

import medcodes
from medcodes.cli import cli
from medcodes.server.app import ServerSettings, create_app
from medcodes.server.limits import MAX_VALIDATE_CODES

CODESETS = ROOT / "tests" / "data" / "codesets"
EXCERPTS = sorted(str(path) for path in CODESETS.iterdir() if path.is_file() and path.suffix != ".md")
DAY = "2026-01-01"


@pytest.fixture(scope="module")
def loaded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh index holding only the excerpts' code sets (no pages)."""
    root = tmp_path_factory.mktemp("codesets") / "medcodes-index"
    result = CliRunner().invoke(cli, ["codesets", "load", *EXCERPTS, "--index", str(root)])
    assert result.exit_code == 0, result.output
    return root


def run(*args: str, index: Path, **kwargs: object) -> click.testing.Result:
    return CliRunner().invoke(
        cli,
        ["validate", *args, "--index", str(index)],
        catch_exceptions=False,
        **kwargs,  # type: ignore[arg-type]
    )


def verdicts(*args: str, index: Path, **kwargs: object) -> list[dict]:
    result = run(*args, "--json", "--date", DAY, index=index, **kwargs)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- one verdict per input, from the loaded excerpts ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "code"),
    [
        ("E08.3211", "billable", "E08.3211"),
        ("e083211", "billable", "E08.3211"),
        ("J9229", "billable", "J9229"),
        ("0dtj4zz", "billable", "0DTJ4ZZ"),
        ("S72.001", "header", "S72.001"),
        ("A01", "header", "A01"),
        ("C9174", "terminated", "C9174"),
        ("GD", "terminated", "GD"),  # a modifier, terminated after 2019-12-31
        ("a1", "not billable", "A1"),  # a modifier
        ("W21.89A", "unknown", None),
        ("J9292", "unknown", None),
        ("99213", "unknown", None),
    ],
)
def test_every_verdict_from_a_loaded_index(loaded_index: Path, text: str, verdict: str, code: str) -> None:
    [answer] = verdicts(text, index=loaded_index)
    assert (answer["input"], answer["verdict"], answer["code"]) == (text, verdict, code)


def test_the_json_lines_carry_what_a_biller_needs(loaded_index: Path) -> None:
    header, placeholder, terminated = verdicts("S72.001", "W21.89A", "C9174", index=loaded_index)
    assert [s["character"] for s in header["seventh"]] == ["A", "B", "S"]  # D is not in the excerpt
    assert header["children_count"] == 3 and header["children"][0]["code"] == "S72.001A"
    assert header["release"] == "icd10cm-fy2026"
    assert placeholder["suggestions"][0]["code"] == "W21.89XA"
    assert placeholder["suggestions"][0]["kind"] == "placeholder"
    assert terminated["terminated"] == "2025-09-30" and terminated["replacement"] is None
    assert "no replacement given: the CMS HCPCS file has no replacement column" in terminated["notes"]


def test_the_date_decides(loaded_index: Path) -> None:
    before = json.loads(run("C9174", "--json", "--date", "2025-06-30", index=loaded_index).stdout)
    assert before["verdict"] == "not yet effective" and before["effective"] == "2025-07-01"
    during = run("C9174", "--date", "2025-08-01", index=loaded_index)
    assert during.exit_code == 0 and " billable " in during.stdout


# --- output and exit status -------------------------------------------------------------------


def test_one_line_per_input_in_input_order(loaded_index: Path) -> None:
    result = run("J9229", "e083211", "W21.89A", "--date", DAY, index=loaded_index)
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["J9229", "e083211", "W21.89A"]
    assert lines[1].endswith("— read as E08.3211")
    assert "did you mean W21.89XA?" in lines[2]


def test_exit_zero_only_when_every_code_is_billable(loaded_index: Path) -> None:
    assert run("J9229", "E08.3211", "--date", DAY, index=loaded_index).exit_code == 0
    assert run("J9229", "S72.001", "--date", DAY, index=loaded_index).exit_code == 1
    assert run("C9174", "--date", DAY, index=loaded_index).exit_code == 1


def test_codes_from_a_file_or_stdin(loaded_index: Path, tmp_path: Path) -> None:
    listed = tmp_path / "codes.txt"
    listed.write_text("J9229\n\n  e083211\nW21.89A\n")
    from_file = verdicts("--queries", str(listed), index=loaded_index)
    from_stdin = verdicts(index=loaded_index, input="J9229\n\n  e083211\nW21.89A\n")
    dash = verdicts("--queries", "-", index=loaded_index, input=listed.read_text())
    assert from_file == from_stdin == dash
    assert [v["input"] for v in from_file] == ["J9229", "e083211", "W21.89A"]  # blank lines skipped


def test_stdin_is_read_as_it_comes(loaded_index: Path) -> None:
    """A pipe is answered line by line: the first verdict is out before the second code is sent."""
    batch = subprocess.Popen(
        [*MEDCODES, "validate", "--json", "--index", str(loaded_index)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert batch.stdin is not None and batch.stdout is not None
    batch.stdin.write("J9229\n")
    batch.stdin.flush()
    assert json.loads(batch.stdout.readline())["code"] == "J9229"
    batch.stdin.write("W21.89A\n")
    batch.stdin.close()
    assert json.loads(batch.stdout.readline())["verdict"] == "unknown"
    assert batch.wait(timeout=60) == 1
    batch.stdout.close()


def test_system_narrows_and_suggestions_are_bounded(loaded_index: Path) -> None:
    [narrowed] = verdicts("J9229", "--system", "icd10cm", index=loaded_index)
    assert narrowed["verdict"] == "unknown"
    [one] = verdicts("J9292", "--suggestions", "1", index=loaded_index)
    assert len(one["suggestions"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "Invalid value for '--date': not a date: '2026-13-01'"),
        (["--system", "cpt5"], "unknown code system 'cpt5'"),
        (["--queries", "-"], "give CODEs or --queries FILE (not both)"),
    ],
    ids=["bad-date", "bad-system", "codes-and-queries"],
)
def test_usage_errors_exit_2(loaded_index: Path, args: list[str], message: str) -> None:
    result = run("J9229", *args, index=loaded_index)
    assert result.exit_code == 2 and message in result.stderr


def test_nothing_to_validate_is_a_usage_error(loaded_index: Path) -> None:
    result = run(index=loaded_index, input="\n\n")
    assert result.exit_code == 2 and "no code given" in result.stderr


def test_no_code_set_loaded_is_one_error_line(built_index: Path, tmp_path: Path) -> None:
    pages_only = run("J9229", index=built_index)
    assert pages_only.exit_code == 1
    assert pages_only.stderr.startswith("Error: no code set loaded in the index at ")
    assert len(pages_only.stderr.splitlines()) == 1
    nothing = run("J9229", index=tmp_path / "none")
    assert nothing.exit_code == 1 and nothing.stderr.startswith("Error: ")
    assert "run medcodes codesets load FILE... first" in nothing.stderr


def test_a_binary_file_of_codes_is_an_error(loaded_index: Path, tmp_path: Path) -> None:
    binary = tmp_path / "codes.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    result = run("--queries", str(binary), index=loaded_index)
    assert result.exit_code == 1 and "is binary" in result.stderr and "Traceback" not in result.output


# --- the API ----------------------------------------------------------------------------------


def test_validate_codes(loaded_index: Path) -> None:
    answers = medcodes.validate_codes(["J9229", "W21.89A"], loaded_index, on=DAY)
    assert [(a.verdict, a.code) for a in answers] == [("billable", "J9229"), ("unknown", None)]
    assert answers[1].to_dict() == verdicts("W21.89A", index=loaded_index)[0]
    with pytest.raises(medcodes.DateError):
        medcodes.validate_codes(["J9229"], loaded_index, on="01/01/2026")


# --- GET /validate ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(loaded_index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(loaded_index))) as opened:
        yield opened


def test_get_validate_answers_as_the_cli(client: TestClient, loaded_index: Path) -> None:
    codes = ["J9229", "e083211", "W21.89A", "S72.001"]
    response = client.get("/validate", params={"code": codes, "date": DAY})
    assert response.status_code == 200
    answer = response.json()
    assert (answer["date"], answer["billable"]) == (DAY, False)
    assert answer["verdicts"] == verdicts(*codes, index=loaded_index)
    billable = client.get("/validate", params={"code": ["J9229", "E08.3211"], "date": DAY}).json()
    assert billable["billable"] is True


def test_get_validate_errors(client: TestClient) -> None:
    bad_date = client.get("/validate", params={"code": "J9229", "date": "tomorrow"})
    assert bad_date.status_code == 400 and bad_date.json()["error"]["code"] == "bad_date"
    many = client.get("/validate", params={"code": ["J9229"] * (MAX_VALIDATE_CODES + 1)})
    assert many.status_code == 413 and many.json()["error"]["code"] == "too_large"
    assert client.get("/validate").status_code == 422  # no code at all
    system = client.get("/validate", params={"code": "J9229", "system": "cpt5"})
    assert system.status_code == 400


def test_get_validate_without_code_sets_is_503(built_index: Path) -> None:
    with TestClient(create_app(ServerSettings(built_index))) as pages_only:
        response = pages_only.get("/validate", params={"code": "J9229"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "no_code_set"


def test_get_validate_sees_a_new_load(loaded_index: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    shutil.copytree(loaded_index, root)
    settings = ServerSettings(root, check_every=0)
    with TestClient(create_app(settings)) as fresh:
        before = fresh.get("/validate", params={"code": "J9239"}).json()
        assert before["verdicts"][0]["verdict"] == "unknown"
        release = tmp_path / "hcpcs_2026_jan_codes.csv"
        release.write_text((CODESETS / "hcpcs_2025_oct_codes.csv").read_text().replace("J9229,", "J9239,"))
        assert (
            CliRunner().invoke(cli, ["codesets", "load", str(release), "--index", str(root)]).exit_code == 0
        )
        after = fresh.get("/validate", params={"code": "J9239"}).json()
    assert after["verdicts"][0]["verdict"] == "billable"


@pytest.mark.parametrize(
    ("text", "first", "kind"),
    [
        ("W21.89A", "W21.89XA", "placeholder"),
        ("W21.89X", "W21.89XA", "seventh character"),
        ("J9292", "J9229", "transposition"),
        ("J9329", "J9229", "substitution"),
        ("J929", "J9229", "deletion"),
        ("E08.32111", "E08.3211", "insertion"),
    ],
)
def test_every_repair_is_suggested_from_a_loaded_index(
    loaded_index: Path, text: str, first: str, kind: str
) -> None:
    [answer] = verdicts(text, index=loaded_index)
    assert answer["verdict"] == "unknown"
    assert (first, kind) in [(s["code"], s["kind"]) for s in answer["suggestions"]]
