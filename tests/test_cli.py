"""The medcodes command: exit codes, output formats and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medcodes.cli import cli
from medcodes.queries.present.text import SYSTEM_LABELS
from medcodes.queries.search import Searcher, SearchResult

ROOT = Path(__file__).resolve().parent.parent


def run(runner: CliRunner, *args: str, **kwargs: object):
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)  # type: ignore[arg-type]


def test_ingest_summary_and_report(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    result = run(runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix"), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "indexed 26, duplicates 0, rejected 0 of 26 inputs" in result.stderr
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(lines) == 26 and {line["status"] for line in lines} == {"indexed"}


def test_ingest_exits_3_when_pages_are_rejected(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    (pages_dir / "empty.html").write_text("")
    result = run(runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix"), "-v")
    assert result.exit_code == 3
    assert "rejected 1 of 27 inputs" in result.stderr
    assert "empty.html: empty file" in result.stderr


def test_ingest_quiet_prints_nothing(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    result = run(runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix"), "--quiet")
    assert result.exit_code == 0
    assert result.output == ""


def test_index_directory_from_environment(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    env = {"MEDCODES_INDEX": str(tmp_path / "from-env")}
    assert run(runner, "ingest", str(pages_dir), env=env).exit_code == 0
    assert (tmp_path / "from-env" / "CURRENT").exists()
    assert "C9028" in run(runner, "search", "C9028", env=env).output


def test_search_table(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "search", "leukemia antibody infusion", "--index", str(built_index))
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.split()[0] in {"C9028", "J9229"}
    assert "pages," in result.output.splitlines()[-1]


def test_search_json(runner: CliRunner, built_index: Path) -> None:
    result = run(
        runner, "search", "walker", "--system", "hcpcs", "--limit", "5", "--json", "--index", str(built_index)
    )
    assert result.exit_code == 0
    answer = json.loads(result.output)
    assert set(answer) == {
        "query",
        "hits",
        "total",
        "offset",
        "took_ms",
        "did_you_mean",
        "notices",
        "facets",
        "status_facets",
    }
    assert answer["query"] == "walker" and answer["offset"] == 0 and answer["facets"] is None
    assert answer["status_facets"] is None
    hits = answer["hits"]
    assert 0 < len(hits) <= answer["total"] and len(hits) <= 5
    for hit in hits:
        assert {"code", "system", "title", "score", "section", "snippet"} <= set(hit)
        assert hit["system"] == "hcpcs"


def test_show_prints_every_section_in_order(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "show", "C9028", "--system", "hcpcs", "--json", "--index", str(built_index))
    assert result.exit_code == 0
    record = json.loads(result.output)
    assert record["code"] == "C9028" and record["system"] == "hcpcs"
    assert list(record["sections"])[:3] == ["name", "summary", "purpose"]
    text = run(runner, "show", "e119", "--index", str(built_index)).output
    assert text.splitlines()[0].startswith("E11.9")
    assert text.index("Summary") < text.index("Risks and Complications") < text.index("Patient Experience")


def test_stats(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "stats", "--json", "--index", str(built_index))
    stats = json.loads(result.output)
    assert stats["pages"] == 26
    assert stats["pages_by_system"]["hcpcs"] == 14
    text = run(runner, "stats", "--index", str(built_index)).output
    assert "pages      26" in text
    assert re.search(r"^  ICD-10-CM +\d+$", text, re.MULTILINE)  # a space between label and count


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", ""], 2, "Error: nothing to search for"),
        (["search", "the of"], 2, "Error: nothing to search for"),
        (["show", "Z9999"], 1, "Error: no page for code Z9999"),
    ],
    ids=["empty-query", "stop-words", "unknown-code"],
)
def test_errors_are_one_line(
    runner: CliRunner, built_index: Path, args: list[str], code: int, message: str
) -> None:
    result = run(runner, *args, "--index", str(built_index))
    assert result.exit_code == code
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message)


def test_missing_index(runner: CliRunner, tmp_path: Path) -> None:
    for args in (["search", "fever"], ["show", "C9028"], ["stats"]):
        result = run(runner, *args, "--index", str(tmp_path / "none"))
        assert result.exit_code == 1
        assert result.stderr == f"Error: no index at {tmp_path / 'none'} — run medcodes ingest first\n"


def test_missing_input_path(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "ingest", str(tmp_path / "nope"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: no such file or folder: {tmp_path / 'nope'}\n"


def test_python_dash_m_and_console_script(built_index: Path) -> None:
    env = {**os.environ, "MEDCODES_INDEX": str(built_index)}
    module = subprocess.run(
        [sys.executable, "-m", "medcodes", "search", "E11.9"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout.startswith("E11.9")
    script = Path(sys.executable).with_name("medcodes")
    console = subprocess.run(
        [str(script), "search", "--json", "C9028"], capture_output=True, text=True, env=env
    )
    assert json.loads(console.stdout)["hits"][0]["code"] == "C9028"


def test_imports_raise_no_warnings() -> None:
    code = "import medcodes, medcodes.pipeline.parse, medcodes.index.build, medcodes.queries.search"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


# Modules a `medcodes search` has no use for: the parser (bs4, lxml), the writing side and its
# worker pools, other commands' machinery and the server's stack. Each costs a cold search its
# import (issue 16).
NOT_FOR_SEARCH = (
    "bs4",
    "lxml",
    "multiprocessing",
    "medcodes.pipeline.parse",
    "medcodes.index.build",
    "medcodes.index.writing",
    "medcodes.index.codeset_load",
    "medcodes.index.check",
    "medcodes.queries.evaluate",
    "medcodes.pipeline.codesets.read",
    "medcodes.queries.present.verdicts",
    "medcodes.index.engine.segment_writer",
    "medcodes.server",
    "fastapi",
    "starlette",
    "uvicorn",
)


def test_a_search_imports_only_the_reading_side(built_index: Path) -> None:
    code = (
        "import sys\nfrom medcodes.cli import main\nsys.argv = ['medcodes', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        f"print(sorted(m for m in sys.modules if m.startswith({NOT_FOR_SEARCH!r})), file=sys.stderr)"
    )
    for args in (["fracture of femur"], ["J92*", "--facets", "--json"], ["C9028", "--explain"]):
        result = subprocess.run(
            [sys.executable, "-c", code, "search", *args, "--index", str(built_index)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout and result.stderr.strip() == "[]", args


def test_batch_queries_write_one_json_line_per_input_line_in_order(
    runner: CliRunner, built_index: Path
) -> None:
    lines = "Inj ondansetron 1 mg\n\nKeytruda\n(unbalanced\nthe of\nJ92*\n"
    result = runner.invoke(
        cli, ["search", "--queries", "-", "--json", "--index", str(built_index)], input=lines
    )
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["query"] for a in answers] == lines.splitlines()
    assert answers[0]["hits"][0]["code"] == "J2405" and answers[2]["hits"][0]["code"] == "J9271"
    assert answers[1]["hits"] == [] and "nothing to search for" in answers[1]["error"]
    assert "notices" in answers[3] and "error" in answers[4]
    assert [h["code"] for h in answers[5]["hits"]] == ["J9229", "J9271"]
    for answer in answers:
        assert answer["took_ms"] >= 0
        assert all(
            set(h) >= {"code", "system", "title", "score", "section", "snippet"} for h in answer["hits"]
        )


def test_batch_queries_from_a_file_as_csv(runner: CliRunner, built_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "remits.txt"
    queries.write_text("Inj dexameth sod phos\nxylophonist\n")
    args = ["search", "--queries", str(queries), "--format", "csv", "-n", "2", "--index", str(built_index)]
    result = run(runner, *args)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["query", "rank", "code", "system", "title", "score", "section", "snippet"]
    assert rows[1][:3] == ["Inj dexameth sod phos", "1", "J1100"]
    assert rows[-1][0] == "xylophonist" and rows[-1][2] == ""


def _json_hits(output: str, result: SearchResult) -> list[dict]:
    """--format json is the same object as a --queries line (SearchResult.to_dict), indented."""
    record = json.loads(output)
    assert json.loads(output.replace("\n", "")) == record and len(output.splitlines()) > 1
    return _jsonl_hits(json.dumps(record), result)


def _jsonl_hits(output: str, result: SearchResult) -> list[dict]:
    [line] = output.splitlines()
    record = json.loads(line)
    expected = {"query", "hits", "took_ms", "total", "offset", "did_you_mean", "notices", "facets"}
    assert set(record) == expected | {"status_facets"}
    assert (record["query"], record["total"]) == ("walker", result.total) and record["took_ms"] >= 0
    return record["hits"]


def _csv_hits(output: str, result: SearchResult) -> list[dict]:
    header, *rows = csv.reader(io.StringIO(output))
    assert header == ["query", "rank", "code", "system", "title", "score", "section", "snippet"]
    assert [row[:2] for row in rows] == [["walker", str(rank)] for rank in range(1, len(rows) + 1)]
    return [dict(zip(header[2:], row[2:], strict=True)) | {"score": float(row[5])} for row in rows]


def _table_hits(output: str, result: SearchResult) -> list[dict]:
    *lines, summary = output.splitlines()
    assert re.fullmatch(rf"1–{len(result.hits)} of {result.total} pages, \d+ ms", summary)
    hits = []
    for first, second in zip(lines[::2], lines[1::2], strict=True):
        code, label, title = re.fullmatch(r"(\S+) +(\S+) +(\S.*)", first).groups()  # type: ignore[union-attr]
        system = {label: system for system, label in SYSTEM_LABELS.items()}[label]
        section, snippet = re.fullmatch(r" +(\w+): (.*)", second).groups()  # type: ignore[union-attr]
        hits.append({"code": code, "system": system, "title": title, "section": section, "snippet": snippet})
    return hits


FORMAT_READERS = {"json": _json_hits, "jsonl": _jsonl_hits, "csv": _csv_hits, "table": _table_hits}
# The fields of a hit each format carries.
FORMAT_FIELDS = {
    "json": {
        "code",
        "system",
        "title",
        "score",
        "section",
        "snippet",
        "highlights",
        "url",
        "billable",
        "no_page",
        "status",
    },
    "csv": {"code", "system", "title", "score", "section", "snippet"},
    "table": {"code", "system", "title", "section", "snippet"},
}
FORMAT_FIELDS["jsonl"] = FORMAT_FIELDS["json"]


@pytest.mark.parametrize("fmt", list(FORMAT_READERS))
def test_every_format_for_one_query(runner: CliRunner, built_index: Path, fmt: str) -> None:
    """Each format carries the hits the API finds, in its order, with the fields it promises."""
    with Searcher(built_index) as searcher:
        expected = searcher.search("walker", limit=2)
    # more pages found than shown, and a page without a URL: each format must tell them apart
    assert expected.total > len(expected.hits) == 2 and any(hit.url is None for hit in expected.hits)
    result = run(runner, "search", "walker", "-n", "2", "--format", fmt, "--index", str(built_index))
    assert result.exit_code == 0
    got = FORMAT_READERS[fmt](result.stdout, expected)
    fields = FORMAT_FIELDS[fmt]
    assert all(set(hit) == fields for hit in got)
    want = [
        {
            "code": hit.code,
            "system": hit.system,
            "title": hit.title,
            "score": pytest.approx(hit.score, abs=1e-4),
            "section": hit.section,
            "snippet": hit.snippet,
            "highlights": [list(span) for span in hit.highlights],
            "url": hit.url,
            "billable": hit.billable,
            "status": hit.status,
            "no_page": hit.no_page,
        }
        for hit in expected.hits
    ]
    assert got == [{name: value for name, value in hit.items() if name in fields} for hit in want]


def test_facets_and_explain_in_the_table(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "search", "inj ondansetron", "--facets", "--explain", "--index", str(built_index))
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pages per system: ") and "HCPCS 9" in lines[0]
    assert any("score" in line and "coverage" in line for line in lines)
    assert any(line.strip().startswith("matched title:") for line in lines)


def test_facets_as_json(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "search", "injection", "--facets", "--json", "--index", str(built_index))
    data = json.loads(result.stdout)
    assert data["facets"]["hcpcs"] >= 5 and data["hits"]


def test_did_you_mean(runner: CliRunner, built_index: Path) -> None:
    result = run(runner, "search", "ondansetron injeciton", "--index", str(built_index))
    assert result.stdout.splitlines()[0] == "Did you mean: ondansetron injection"


def test_query_and_queries_file_exclude_each_other(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(cli, ["search", "--index", str(built_index)])
    assert result.exit_code == 2 and "give a QUERY or --queries FILE" in result.output


def test_batch_table_and_json_format(runner: CliRunner, built_index: Path) -> None:
    lines = "Keytruda\n(unbalanced walker\n"
    args = ["search", "--queries", "-", "--index", str(built_index)]
    table = runner.invoke(cli, [*args, "-n", "1"], input=lines)
    assert table.stdout.splitlines()[0] == "== Keytruda" and "J9271" in table.stdout
    assert "line 2: note: unbalanced parenthesis" in table.stderr
    as_json = runner.invoke(cli, [*args, "--format", "json"], input=lines)
    assert [json.loads(line)["query"] for line in as_json.stdout.splitlines()] == lines.splitlines()
