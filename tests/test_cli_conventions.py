"""Issue 18: the conventions a coder and an engineer expect of a command-line tool — on PATH,
queries of several words, NO_COLOR, progress on every long command, exit statuses, help,
output that says what it means, and conflicting flags refused. One section per point."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, MEDCODES, ROOT, age_files

import medcodes
from medcodes.cli import cli
from medcodes.index.sync import ReadProgress
from medcodes.queries.parse.scopes import FIELD_ALIASES
from medcodes.schedule import IntervalError, parse_interval

README = (ROOT / "README.md").read_text(encoding="utf-8")
BOLD = "\x1b[1m"


def run(runner: CliRunner, *args: str, **kwargs: object) -> click.testing.Result:
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)  # type: ignore[arg-type]


def in_pty(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[int, str]:
    """Run medcodes with stdin, stdout and stderr on a pseudo-terminal, as a user at a terminal
    does; returns its exit status and everything it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*MEDCODES, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", **(env or {})},
        cwd=cwd,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every copy of the follower end is closed, the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def _all_options() -> list[tuple[str, click.Option]]:
    found = [("medcodes", p) for p in cli.params if isinstance(p, click.Option)]
    for name, command in cli.commands.items():  # type: ignore[attr-defined]
        found += [(name, p) for p in command.params if isinstance(p, click.Option)]
    return found


# --- 1. where is medcodes ---------------------------------------------------------------------


def test_readme_quick_start_says_how_to_run_medcodes() -> None:
    quick_start = README.split("## The three uses")[0]
    for way in (".venv/bin/medcodes", "source .venv/bin/activate", "pipx install ."):
        assert way in quick_start


def test_scheduled_commands_in_the_readme_name_medcodes_by_its_absolute_path() -> None:
    cron = re.findall(r"```cron\n(.*?)```", README, re.S)
    lines = [
        line for block in cron for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]
    lines += re.findall(r"^ExecStart=(.*)$", README, re.M)
    assert lines
    for line in lines:
        command = next(word for word in line.split() if word.endswith("medcodes"))
        assert command.startswith("/opt/medcodes/"), line
    assert "mkdir -p /var/log/medcodes" in README and "python3 -m venv /opt/medcodes/.venv" in README


def test_the_console_script_the_readme_names_runs() -> None:
    script = Path(sys.executable).with_name("medcodes")  # .venv/bin/medcodes
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("medcodes, version ")


# --- 2. several words, and a query that starts with "-" ---------------------------------------


def test_several_words_are_one_query(runner: CliRunner, built_index: Path) -> None:
    words = run(runner, "search", "walker", "folding", "--json", "--index", str(built_index))
    quoted = run(runner, "search", "walker folding", "--json", "--index", str(built_index))
    assert words.exit_code == quoted.exit_code == 0
    answer = json.loads(words.stdout)
    assert answer["query"] == "walker folding" and answer["hits"]
    assert answer["hits"] == json.loads(quoted.stdout)["hits"]


def test_a_query_starting_with_a_dash_goes_after_double_dash(runner: CliRunner, built_index: Path) -> None:
    plain = json.loads(run(runner, "search", "walker", "--json", "--index", str(built_index)).stdout)
    result = run(
        runner, "search", "--json", "--index", str(built_index), "-n", "5", "--", "-pickup", "walker"
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["query"] == "-pickup walker"
    assert answer["hits"] and all("pickup" not in hit["title"].lower() for hit in answer["hits"])
    assert answer["total"] < plain["total"]  # the pickup walker is left out

    refused = run(runner, "search", "-pickup", "walker", "--index", str(built_index))
    assert refused.exit_code == 2
    assert "goes after --: medcodes search [OPTIONS] -- -pickup" in refused.stderr


# --- 3. colour --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "bold"),
    [
        ([], {}, True),
        ([], {"NO_COLOR": "1"}, False),
        ([], {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        ([], {"TERM": "dumb"}, False),
        (["--color", "never"], {}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
    ],
    ids=["terminal", "NO_COLOR", "NO_COLOR-empty", "TERM-dumb", "never", "always-beats-NO_COLOR"],
)
def test_colour_on_a_terminal(built_index: Path, args: list[str], env: dict[str, str], bold: bool) -> None:
    status, output = in_pty(["search", "walker", "--index", str(built_index), *args], env)
    assert status == 0 and "Walker" in output
    assert (BOLD in output) is bold


@pytest.mark.parametrize("where", ["group", "command"])
def test_color_always_through_a_pipe(built_index: Path, where: str) -> None:
    show = ["show", "C9028", "--index", str(built_index)]
    args = ["--color", "always", *show] if where == "group" else [*show, "--color", "always"]
    piped = subprocess.run([*MEDCODES, *args], capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0 and BOLD in piped.stdout
    plain = subprocess.run([*MEDCODES, *show], capture_output=True, text=True, cwd=ROOT)
    assert plain.returncode == 0 and "\x1b[" not in plain.stdout  # auto: not a terminal


# --- 4. progress on every long command --------------------------------------------------------


def test_reindex_full_draws_the_progress_bar_on_a_terminal(built_index: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    shutil.copytree(built_index, root)
    inputs = sum(1 for path in EXAMPLES.rglob("*") if path.is_file())
    status, output = in_pty(["reindex", "--full", "--index", str(root), "--workers", "1"])
    assert status == 0, output
    assert re.search(rf"rebuild\s+\[#+\]\s+{inputs}/{inputs}\s.*26 pages, [\d,]+ pages/s", output), output
    assert "full rebuild (asked for): " in output


def test_ingest_bar_counts_the_pages_inside_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for page in sorted(EXAMPLES.glob("*.txt"))[:7]:
            packed.write(page, page.name)
    status, output = in_pty(["ingest", str(archive), "--index", str(tmp_path / "ix")])
    assert status == 0, output
    assert re.search(r"ingest\s+\[#+\]\s+1/1\s.*7 pages, [\d,]+ pages/s", output), output


def test_read_progress_counts_inputs_and_pages(tmp_path: Path) -> None:
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for page in sorted(EXAMPLES.glob("*.txt"))[:4]:
            packed.write(page, page.name)
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(sorted(EXAMPLES.glob("*.txt"))[5], loose)
    seen: list[ReadProgress] = []
    medcodes.ingest([archive, loose], tmp_path / "ix", workers=1, on_progress=seen.append)
    assert seen[0] == ReadProgress(0, 2, 0)
    assert seen[-1] == ReadProgress(2, 2, 5)
    assert [p.inputs_read for p in seen] == sorted(p.inputs_read for p in seen)


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    runner: CliRunner, pages_dir: Path, tmp_path: Path
) -> None:
    result = run(runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0 and "pages/s" not in result.stderr and "[#" not in result.stderr


@pytest.mark.slow
def test_every_says_when_the_next_run_is_due(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    assert (
        subprocess.run([*MEDCODES, "ingest", str(pages_dir), "--index", str(root), "-q"], cwd=ROOT).returncode
        == 0
    )
    loop = subprocess.Popen(
        [*MEDCODES, "reindex", "--every", "1h30m", "--index", str(root)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert loop.stderr is not None
    lines = []
    try:
        while not (line := loop.stderr.readline()).startswith("reindex: next run at"):
            assert line, "".join(lines)
            lines.append(line)
    finally:
        loop.send_signal(signal.SIGTERM)
        loop.wait(timeout=120)
        loop.stderr.close()
    assert re.fullmatch(
        r"reindex: next run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1h(29m\d+s|30m)\)\n", line
    )
    assert loop.returncode == 0


# --- 5. exit status of a search ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "flag", "status"),
    [("walker", True, 0), ("xylophonist", True, 1), ("xylophonist", False, 0)],
    ids=["found", "nothing-found-fails", "nothing-found-without-the-flag"],
)
def test_fail_on_empty(runner: CliRunner, built_index: Path, query: str, flag: bool, status: int) -> None:
    args = ["search", query, "--index", str(built_index), *(["--fail-on-empty"] if flag else [])]
    assert run(runner, *args).exit_code == status


def test_fail_on_empty_in_a_batch(runner: CliRunner, built_index: Path) -> None:
    args = ["search", "--queries", "-", "--fail-on-empty", "--index", str(built_index)]
    assert run(runner, *args, input="xylophonist\nwalker\n").exit_code == 0
    assert run(runner, *args, input="xylophonist\nzitherist\n").exit_code == 1


def test_ctrl_c_exits_130_without_a_traceback(built_index: Path) -> None:
    batch = subprocess.Popen(
        [*MEDCODES, "search", "--queries", "-", "--index", str(built_index)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert batch.stdin is not None and batch.stdout is not None
    batch.stdin.write("walker\n")
    batch.stdin.flush()
    while " pages, " not in (line := batch.stdout.readline()):  # the first answer is out
        assert line
    batch.send_signal(signal.SIGINT)  # while it waits for the next line
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130
    assert "Traceback" not in stderr and "Aborted" not in stderr


# --- 6. help ----------------------------------------------------------------------------------


def test_every_option_has_help() -> None:
    missing = [f"{command} {option.opts[-1]}" for command, option in _all_options() if not option.help]
    assert missing == []


def test_one_metavar_for_a_file_everywhere() -> None:
    file_options = [
        (command, option)
        for command, option in _all_options()
        if isinstance(option.type, click.File)
        or (isinstance(option.type, click.Path) and not option.type.dir_okay)
    ]
    assert len(file_options) >= 4  # --report (ingest, reindex), --log-json, --queries
    assert {option.metavar for _, option in file_options} == {"FILE"}


def test_search_help_lists_the_scopes_and_three_examples(runner: CliRunner) -> None:
    text = run(runner, "search", "--help").stdout
    scopes = text.split("Scopes")[1].split("\n\n")[0]
    for scope in FIELD_ALIASES:
        assert re.search(rf"\b{scope}\b", scopes), scope
    examples = text.split("Examples:")[1].split("\n\n")[0].strip().splitlines()
    assert len(examples) == 3 and all(e.strip().startswith("medcodes search ") for e in examples)


def test_short_version_option(runner: CliRunner) -> None:
    assert run(runner, "-V").stdout == run(runner, "--version").stdout != ""


def test_shell_completion_as_documented() -> None:
    assert "_MEDCODES_COMPLETE=bash_source medcodes" in README
    script = Path(sys.executable).with_name("medcodes")
    env = {**os.environ, "_MEDCODES_COMPLETE": "bash_source"}
    source = subprocess.run([str(script)], capture_output=True, text=True, env=env)
    assert source.returncode == 0 and "complete -o nosort -F _medcodes_completion medcodes" in source.stdout
    env = {
        **os.environ,
        "_MEDCODES_COMPLETE": "bash_complete",
        "COMP_WORDS": "medcodes rei",
        "COMP_CWORD": "1",
    }
    words = subprocess.run([str(script)], capture_output=True, text=True, env=env)
    assert "plain,reindex" in words.stdout.splitlines()


# --- 7. output --------------------------------------------------------------------------------


def test_the_footer_counts_from_the_offset(runner: CliRunner, built_index: Path) -> None:
    total = json.loads(run(runner, "search", "walker", "--json", "--index", str(built_index)).stdout)["total"]
    assert total >= 3
    second = run(runner, "search", "walker", "--offset", "1", "-n", "1", "--index", str(built_index))
    assert re.fullmatch(rf"2 of {total} pages, \d+ ms", second.stdout.splitlines()[-1])
    rest = run(runner, "search", "walker", "--offset", "1", "-n", "5", "--index", str(built_index))
    assert re.fullmatch(rf"2–{total} of {total} pages, \d+ ms", rest.stdout.splitlines()[-1])
    past = run(runner, "search", "walker", "--offset", str(total), "--index", str(built_index))
    assert past.stdout.strip() == f"no pages match past the first {total} of {total}"
    answer = json.loads(
        run(runner, "search", "walker", "--offset", "1", "--json", "--index", str(built_index)).stdout
    )
    assert answer["offset"] == 1 and len(answer["hits"]) == total - 1


def _bad_pages(folder: Path, count: int) -> None:
    for number in range(count):
        (folder / f"bad-{number}.html").write_text("")  # an empty file is rejected


def test_rejected_inputs_are_named_after_the_summary(
    runner: CliRunner, pages_dir: Path, tmp_path: Path
) -> None:
    _bad_pages(pages_dir, 7)
    result = run(runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0].startswith("indexed 26, duplicates 0, rejected 7 of 33 inputs")
    named = [line for line in lines if line.startswith("  rejected: ")]
    assert len(named) == 5 and all(line.endswith(": empty file") for line in named)
    assert "  … and 2 more" in lines
    assert lines[-1] == "hint: -v lists them all as they come; --report FILE writes the status of every input"
    reported = run(
        runner, "ingest", str(pages_dir), "--index", str(tmp_path / "ix2"), "--report", str(tmp_path / "r")
    )
    assert reported.exit_code == 3 and "hint:" not in reported.stderr and "  rejected: " in reported.stderr


def test_reindex_names_its_rejected_inputs_too(runner: CliRunner, pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    assert run(runner, "ingest", str(pages_dir), "--index", str(root)).exit_code == 0
    _bad_pages(pages_dir, 1)
    result = run(runner, "reindex", "--index", str(root))
    assert result.exit_code == 3
    assert re.search(r"^  rejected: .*bad-0\.html: empty file$", result.stderr, re.M)
    assert "hint: -v lists" in result.stderr


def test_the_ingest_summary_counts_this_runs_inputs(runner: CliRunner, tmp_path: Path) -> None:
    pages = sorted(EXAMPLES.glob("*.txt"))
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, chosen in ((first, pages[:1]), (second, pages[1:4])):
        folder.mkdir()
        for page in chosen:
            shutil.copy(page, folder)
        age_files(folder)
    root = tmp_path / "ix"
    one = run(runner, "ingest", str(first), "--index", str(root))
    assert one.stderr.startswith("indexed 1, duplicates 0, rejected 0 of 1 input in ")
    assert one.stderr.splitlines()[0].endswith(f"; {root} holds 1 page")
    three = run(runner, "ingest", str(second), "--index", str(root))
    assert three.stderr.startswith("indexed 3, duplicates 0, rejected 0 of 3 inputs in ")
    assert three.stderr.splitlines()[0].endswith(f"; {root} holds 4 pages")


def test_a_full_rebuild_says_why_once(runner: CliRunner, built_index: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    shutil.copytree(built_index, root)
    result = run(runner, "reindex", "--full", "--index", str(root))
    assert result.stderr.startswith("full rebuild (asked for): added 0, updated 0, deleted 0, unchanged 26")
    assert "((" not in result.stderr and "))" not in result.stderr


def test_a_broken_jsonl_line_is_named_by_the_files_line(runner: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    good = json.dumps(
        {"url": "https://example.org/code/hcpcs/E0135", "text": (EXAMPLES / "hcpcs-E0135.txt").read_text()}
    )
    export.write_text(f"{good}\n\n" + '{"url": "https://example.org/x",\n' + f"{good}\n")
    result = run(runner, "ingest", str(export), "--index", str(tmp_path / "ix"), "-v")
    line = next(line for line in result.stderr.splitlines() if line.startswith("rejected: "))
    assert line == (
        f"rejected: {export}:3: invalid JSON line: column 34: "
        "Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1d 12h", 129600), ("1.5h", 5400)],
)
def test_intervals_with_and_without_units(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["1h30", "90x", "0", "1h1h", "h", ""])
def test_bad_intervals_are_refused_with_one_message(runner: CliRunner, tmp_path: Path, text: str) -> None:
    with pytest.raises(IntervalError):
        parse_interval(text)
    result = run(runner, "reindex", "--every", text, "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for --every: not an interval: {text!r} "
        "(a positive number of seconds, or with units s, m, h, d: 90, 15m, 6h, 1h30m)"
    )


# --- 8. conflicting flags, show, systems ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "walker", "--json", "--format", "csv"], "--json and --format csv conflict"),
        (["show", "C9028", "--json", "--format", "text"], "--json and --format text conflict"),
        (["ingest", "pages", "-q", "-v"], "--quiet and --verbose conflict"),
        (
            ["reindex", "--max-delete", "5", "--allow-mass-delete"],
            "--max-delete and --allow-mass-delete conflict",
        ),
    ],
    ids=["search-json-csv", "show-json-text", "ingest-quiet-verbose", "reindex-limits"],
)
def test_conflicting_flags_are_usage_errors(
    runner: CliRunner, built_index: Path, args: list[str], message: str
) -> None:
    result = run(runner, *args, "--index", str(built_index))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"Error: {message}")


def test_json_and_format_json_agree(runner: CliRunner, built_index: Path) -> None:
    both = run(runner, "search", "walker", "--json", "--format", "json", "--index", str(built_index))
    assert both.exit_code == 0 and json.loads(both.stdout)["query"] == "walker"


def test_show_takes_several_codes(runner: CliRunner, built_index: Path) -> None:
    text = run(runner, "show", "C9028", "E0135", "--index", str(built_index))
    assert text.exit_code == 0
    assert text.stdout.startswith("C9028  ") and "\n\nE0135  " in text.stdout
    for args in (["--format", "jsonl"], ["--json"]):
        lines = run(runner, "show", "C9028", "e0135", *args, "--index", str(built_index)).stdout.splitlines()
        assert [json.loads(line)["code"] for line in lines] == ["C9028", "E0135"]
    one = json.loads(run(runner, "show", "C9028", "--format", "json", "--index", str(built_index)).stdout)
    assert one["code"] == "C9028"
    missing = run(runner, "show", "C9028", "X9999", "E0135", "--format", "jsonl", "--index", str(built_index))
    assert missing.exit_code == 1
    assert missing.stderr == "Error: no page for code X9999\n"
    assert [json.loads(line)["code"] for line in missing.stdout.splitlines()] == ["C9028", "E0135"]


@pytest.mark.parametrize("systems", [["hcpcs,cpt4"], ["HCPCS", "--system", "CPT-4"], ["hcpcs, cpt"]])
def test_system_lists_and_other_names(runner: CliRunner, built_index: Path, systems: list[str]) -> None:
    result = run(runner, "search", "walker", "--system", *systems, "--json", "--index", str(built_index))
    assert result.exit_code == 0, result.output
    assert {hit["system"] for hit in json.loads(result.stdout)["hits"]} == {"hcpcs"}


def test_cpt4_is_cpt_in_the_api_and_in_show(
    runner: CliRunner, searcher: medcodes.Searcher, built_index: Path
) -> None:
    cpt = searcher.search("blood", systems=("cpt",))
    assert cpt.hits and searcher.search("blood", systems="cpt4").hits == cpt.hits
    code = cpt.hits[0].code
    assert run(runner, "show", code, "--system", "cpt4", "--index", str(built_index)).exit_code == 0
    unknown = run(runner, "search", "walker", "--system", "cpt5", "--index", str(built_index))
    assert unknown.exit_code == 2
    assert "unknown code system 'cpt5' (one of hcpcs, cpt, icd10cm, icd10pcs; cpt4 is cpt)" in unknown.stderr
    with pytest.raises(medcodes.UnknownSystemError):
        searcher.search("walker", systems=("cpt5",))
