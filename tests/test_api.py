"""`import medcodes` is the public API: its names, one error hierarchy, one status vocabulary,
index paths as str or PathLike, search_many's batch contract, and what the CLI only prints: a
reindex run's record, the check report, the one page of a code, the --every loop."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import pickle
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, age_files, hit_codes, write_lock_holder

import medcodes
from medcodes.cli import cli
from medcodes.index.store import current_generation
from medcodes.index.sync import InputStatus
from medcodes.schedule import parse_interval, run_every

PACKAGES = ("pipeline", "index", "queries")


def test_every_public_name_resolves_and_star_import_gives_all() -> None:
    for name in medcodes.__all__:
        assert getattr(medcodes, name).__name__ == name
    namespace: dict[str, object] = {}
    exec("from medcodes import *", namespace)
    assert set(medcodes.__all__) <= set(namespace)
    assert {"ingest", "reindex", "check_index", "Searcher", "Hit", "SearchResult"} <= set(medcodes.__all__)
    with pytest.raises(AttributeError):
        medcodes.no_such_name  # noqa: B018


def test_import_medcodes_loads_neither_side() -> None:
    """The API imports its names on first use: a parser worker or a search does not pay for
    the rest (Whoosh, the writer)."""
    code = "import sys, medcodes; print(sorted(m for m in sys.modules if m in ('whoosh', 'bs4')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _core_error_classes() -> list[type]:
    """Every class named *Error defined in pipeline/, index/, queries/ and the modules of
    medcodes/ beside the CLI (schedule, run_record), found in the source."""
    modules = {
        "medcodes." + ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    modules |= {f"medcodes.{p.stem}": p for p in sorted((ROOT / "medcodes").glob("*.py")) if p.stem != "cli"}
    found = []
    for dotted, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Error")]
        module = importlib.import_module(dotted) if names else None
        found += [getattr(module, name) for name in names]
    return found


def test_every_core_error_is_a_medcodes_error() -> None:
    errors = _core_error_classes()
    assert len(errors) >= 15
    assert {medcodes.IntervalError, medcodes.AmbiguousCodeError, medcodes.PageNotFoundError} <= set(errors)
    outside = [error.__qualname__ for error in errors if not issubclass(error, medcodes.MedcodesError)]
    assert outside == []
    for name in medcodes.__all__:
        if name.endswith("Error"):
            assert issubclass(getattr(medcodes, name), medcodes.MedcodesError), name
    # builtin kinds are kept for callers that catch by kind
    assert issubclass(medcodes.IndexMissingError, FileNotFoundError)
    assert issubclass(medcodes.QuerySyntaxError, ValueError)
    assert not issubclass(medcodes.SchemaMismatchError, medcodes.IndexCorruptError)


@pytest.fixture
def index_of_another_schema(built_index: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ix"
    shutil.copytree(built_index, root)
    meta_path = current_generation(root).path / "medcodes.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "schema_version": 3}), encoding="utf-8")
    return root


def test_another_schema_raises_one_error_everywhere(index_of_another_schema: Path) -> None:
    root = index_of_another_schema
    calls = {
        "search": lambda: medcodes.Searcher(root),
        "check": lambda: medcodes.check_index(root),
        "ingest": lambda: medcodes.ingest([str(EXAMPLES / "hcpcs-C9028.txt")], root, workers=1),
    }
    for what, call in calls.items():
        with pytest.raises(medcodes.SchemaMismatchError) as caught:
            call()
        assert (caught.value.found, caught.value.expected) == (3, 4), what
        assert "reindex --full" in str(caught.value), what


@pytest.mark.parametrize("as_path", [str, Path, PurePath], ids=["str", "Path", "PurePath"])
def test_index_paths_may_be_str_or_pathlike(tmp_path: Path, as_path: type) -> None:
    root = as_path(str(tmp_path / "ix"))
    pages = as_path(str(EXAMPLES / "hcpcs-C9028.txt"))
    assert medcodes.ingest([pages], root, workers=1).counts["indexed"] == 1
    assert medcodes.reindex(root).to_dict()["unchanged"] == 1
    assert medcodes.check_index(root).pages == 1
    with medcodes.Searcher(root) as searcher:
        assert hit_codes(searcher.search("inotuzumab")) == ["C9028"]


def test_search_many_answers_every_text_in_order(built_index: Path) -> None:
    texts = ["Keytruda", "", "C9028", "J92*"]
    with medcodes.Searcher(built_index) as searcher:
        results = list(searcher.search_many(texts, limit=3))
        singles = [searcher.search(text, limit=3) for text in ("Keytruda", "C9028", "J92*")]
    assert [result.query for result in results] == texts
    assert results[1].error is not None and results[1].hits == ()
    answered = [results[0], results[2], results[3]]
    assert all(result.error is None for result in answered)
    assert [hit_codes(r) for r in answered] == [hit_codes(r) for r in singles]
    assert all(len(r.hits) <= 3 for r in answered) and hit_codes(results[2]) == ["C9028"]


def test_search_many_answers_each_text_before_reading_the_next(built_index: Path) -> None:
    """A batch streams: a caller has the first answer while the next text is not yet read."""
    pulled: list[str] = []

    def texts() -> Iterator[str]:
        for text in ("C9028", "E11.9"):
            pulled.append(text)
            yield text

    with medcodes.Searcher(built_index) as searcher:
        batch = searcher.search_many(texts())
        first = next(batch)
        assert (hit_codes(first)[0], pulled) == ("C9028", ["C9028"])
        assert hit_codes(next(batch))[0] == "E11.9"


class _DefectOn(medcodes.Searcher):
    """A searcher with a defect met by one text only (the real index answers the others)."""

    def search(self, text: str, **options: Any) -> medcodes.SearchResult:
        if text == "defect":
            raise KeyError("a bug")
        return super().search(text, **options)


def test_a_defect_on_one_text_costs_only_its_line(
    built_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _DefectOn(built_index) as searcher:
        results = list(searcher.search_many(["C9028", "defect", "E11.9"]))
    assert [r.query for r in results] == ["C9028", "defect", "E11.9"]
    assert hit_codes(results[0])[0] == "C9028" and hit_codes(results[2])[0] == "E11.9"
    assert results[1].hits == () and "KeyError" in (results[1].error or "")
    assert any("defect" in record.getMessage() and record.exc_info for record in caplog.records)


def test_a_broken_option_ends_the_batch(built_index: Path) -> None:
    """Options are the same for every text: a bad one is the batch's error, not each line's."""
    with medcodes.Searcher(built_index) as searcher, pytest.raises(medcodes.MedcodesError):
        list(searcher.search_many(["C9028", "E11.9"], systems="no-such-system"))


def test_runs_report_page_statuses_from_one_vocabulary(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    seen: list[InputStatus] = []
    report = medcodes.ingest([str(pages_dir)], root, workers=1, on_status=seen.append)
    (pages_dir / "hcpcs-C9028.txt").unlink()
    medcodes.reindex(root, on_status=seen.append)
    assert all(isinstance(status.status, medcodes.PageStatus) for status in seen)
    statuses = {status.status for status in seen}
    assert {
        medcodes.PageStatus.INDEXED,
        medcodes.PageStatus.UNCHANGED,
        medcodes.PageStatus.DELETED,
    } <= statuses
    assert report.counts[medcodes.PageStatus.INDEXED] == report.counts["indexed"] == 26
    assert json.loads(json.dumps(seen[0].to_dict()))["status"] == "indexed"


# --- what the CLI only prints ----------------------------------------------------------------


def test_run_record_says_how_each_run_ended(pages_dir: Path, tmp_path: Path) -> None:
    """Worst first: a failure, a run a dry run says would stop, an unreadable input, a rejected page."""
    root, other = tmp_path / "ix", tmp_path / "other"
    other.mkdir()
    shutil.move(pages_dir / "hcpcs-C9028.txt", other)
    medcodes.ingest([str(pages_dir), str(other)], root, workers=1)

    def run(dry_run: bool = False, limit: medcodes.DeleteLimit | None = None) -> medcodes.RunRecord:
        started = datetime.now(UTC)
        try:
            report = medcodes.reindex(
                root, workers=1, dry_run=dry_run, max_delete=limit or medcodes.DeleteLimit()
            )
            return medcodes.RunRecord.of_report(started, report)
        except medcodes.MedcodesError as err:
            return medcodes.RunRecord.of_error(root, started, err)

    endings = [run()]
    (pages_dir / "broken.html").write_text("")
    endings.append(run())
    (other / "hcpcs-C9028.txt").unlink()  # the folder found empty: unreadable, its page kept
    endings.append(run())
    for path in sorted(pages_dir.glob("hcpcs-*"))[:5]:
        path.unlink()
    two = medcodes.DeleteLimit(pages=2, share=None)
    endings.append(run(dry_run=True, limit=two))
    endings.append(run(limit=two))
    assert [(record.status, record.exit_code) for record in endings] == [
        (medcodes.RunStatus.OK, 0),
        (medcodes.RunStatus.REJECTED, 3),
        (medcodes.RunStatus.UNREADABLE, 1),
        (medcodes.RunStatus.WOULD_STOP, 1),
        (medcodes.RunStatus.ERROR, 1),
    ]
    assert endings[3].report is not None and endings[3].report.stop_reason.startswith("would delete 5 of")
    failed = endings[4]
    assert failed.report is None and failed.error.startswith("reindex would delete 5 of")


def test_run_record_to_dict_is_the_log_json_line(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    started = datetime.now(UTC)
    report = medcodes.reindex(root, workers=1)
    line = json.loads(json.dumps(medcodes.RunRecord.of_report(started, report).to_dict()))
    assert list(line)[:4] == ["started", "index", "status", "exit_code"] and list(line)[-1] == "finished"
    finished = line.pop("finished")
    assert line == {
        "started": started.isoformat(timespec="seconds"),
        "status": "ok",
        "exit_code": 0,
        **report.to_dict(),
    }
    assert line["started"] <= finished and line["index"] == str(root) and line["unchanged"] == 26
    # A failed run: the error's line instead of the counts, in the caller's words when given.
    missing = medcodes.RunRecord.of_error(tmp_path / "none", started, medcodes.IndexMissingError("no index"))
    assert {k: v for k, v in missing.to_dict().items() if k not in ("started", "finished")} == {
        "index": str(tmp_path / "none"),
        "status": "error",
        "exit_code": 1,
        "error": "no index",
    }
    worded = medcodes.RunRecord.of_error(root, started, OSError("disk full"), "disk full: /x")
    assert (worded.status, worded.error) == (medcodes.RunStatus.ERROR, "disk full: /x")


def test_run_record_of_a_busy_index(tmp_path: Path) -> None:
    root = tmp_path / "ix"
    medcodes.ingest([str(EXAMPLES / "hcpcs-C9028.txt")], root, workers=1)
    started = datetime.now(UTC)
    with write_lock_holder(root), pytest.raises(medcodes.IndexBusyError) as caught:
        medcodes.reindex(root, wait=0.2)
    record = medcodes.RunRecord.of_error(root, started, caught.value)
    assert (record.status, record.exit_code, record.error) == (medcodes.RunStatus.BUSY, 75, str(caught.value))
    assert record.to_dict()["status"] == "busy"


def test_check_report_to_dict_is_the_check_json(built_index: Path, runner: CliRunner) -> None:
    report = medcodes.check_index(built_index)
    assert report.to_dict() == {
        "ok": True,
        "index": str(built_index),
        "generation": report.generation,
        "pages": 26,
        "files": report.files,
        "bytes": report.bytes_read,
        "codes": 0,
    }
    assert report.files > 0 and report.bytes_read > 0 and report.generation
    result = runner.invoke(cli, ["check", "--index", str(built_index), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == report.to_dict()


@pytest.fixture
def code_in_two_systems(tmp_path: Path) -> Path:
    """An index where A0100 is an HCPCS code (a taxi ride) and, undotted, the ICD-10-CM A01.00
    (typhoid fever); fixture pages written for this test."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "hcpcs-A0100.txt").write_text(
        "Search all medical codes\nNon-emergency transportation; taxi\nHCPCS code\n"
        "Name of the Procedure:\nNon-emergency transport of a patient by taxi (A0100).\n"
        "Summary\nA taxi carries a patient who needs no care on the way to or from a covered visit.\n"
    )
    (pages / "icd10cm-A01.00.txt").write_text(
        "Search all medical codes\nTyphoid fever, unspecified\nICD-10-CM code\n"
        "Name of the Procedure:\nDiagnosis of typhoid fever with no stated complication (A01.00).\n"
        "Summary\nTyphoid fever is a bacterial infection spread by food or water: long fever, weakness.\n"
    )
    age_files(pages)
    root = tmp_path / "ix"
    assert medcodes.ingest([str(pages)], root, workers=1).counts["indexed"] == 2
    return root


def test_find_page_gives_the_one_page_of_a_code(built_index: Path, code_in_two_systems: Path) -> None:
    assert medcodes.find_page(built_index, "j9229").code == "J9229"
    assert (
        medcodes.find_page(built_index, "E119").code,
        medcodes.find_page(built_index, "E11.9").system,
    ) == (
        "E11.9",
        "icd10cm",
    )
    assert medcodes.find_page(code_in_two_systems, "A0100", "icd10cm").code == "A01.00"
    assert medcodes.find_page(code_in_two_systems, "a0100", "HCPCS").code == "A0100"


def test_a_code_in_several_systems_is_ambiguous(code_in_two_systems: Path, runner: CliRunner) -> None:
    for typed in ("A0100", "A01.00"):
        with pytest.raises(medcodes.AmbiguousCodeError) as caught:
            medcodes.find_page(code_in_two_systems, typed)
        assert (caught.value.code, caught.value.systems) == (typed, ("hcpcs", "icd10cm"))
        assert str(caught.value) == f"{typed} is a code in hcpcs, icd10cm"
    assert isinstance(caught.value, medcodes.MedcodesError) and isinstance(caught.value, LookupError)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.code, again.systems, str(again)) == (
        caught.value.code,
        caught.value.systems,
        str(caught.value),
    )
    result = runner.invoke(cli, ["show", "A0100", "--index", str(code_in_two_systems)])
    assert result.exit_code == 1
    assert result.stderr == "Error: A0100 is a code in hcpcs, icd10cm: pass --system to choose\n"
    chosen = runner.invoke(cli, ["show", "A0100", "--system", "icd10cm", "--index", str(code_in_two_systems)])
    assert chosen.exit_code == 0 and chosen.stdout.startswith("A01.00")


def test_a_code_with_no_page_is_not_found(code_in_two_systems: Path, runner: CliRunner) -> None:
    with pytest.raises(medcodes.PageNotFoundError, match=r"^no page for code Z9999$"):
        medcodes.find_page(code_in_two_systems, "Z9999")
    with pytest.raises(medcodes.PageNotFoundError, match=r"^no page for code A0100 in cpt$"):
        medcodes.find_page(code_in_two_systems, "A0100", "cpt")
    result = runner.invoke(cli, ["show", "A0100", "--system", "cpt", "--index", str(code_in_two_systems)])
    assert (result.exit_code, result.stderr) == (1, "Error: no page for code A0100 in cpt\n")


def test_the_every_loop_lives_beside_the_api() -> None:
    """`reindex --every` is not index logic: medcodes.schedule, with its error exported."""
    assert importlib.util.find_spec("medcodes.index.schedule") is None
    assert parse_interval("6h") == 21600.0 and parse_interval("90") == 90.0 and parse_interval("1.5m") == 90.0
    for text in ("soon", "0", "-5m", "6 hours"):
        with pytest.raises(medcodes.IntervalError, match="not an interval"):
            parse_interval(text)
    stop = threading.Event()
    runs: list[int] = []

    def job() -> None:
        runs.append(len(runs))
        if len(runs) == 3:
            stop.set()

    assert run_every(0.0, job, stop) == 3 and runs == [0, 1, 2]
    assert run_every(3600.0, job, stop) == 0  # asked to stop before it starts: no run
    # A stop asked for during a run is honoured when the run ends, without waiting out the interval.
    stop.clear()
    assert run_every(3600.0, stop.set, stop) == 1


def test_qrels_error_is_exported(tmp_path: Path) -> None:
    from medcodes.queries.evaluate.judged import load_qrels

    bad = tmp_path / "bad.tsv"
    bad.write_text("query\tcode\nfever\tR50.9\n", encoding="utf-8")
    with pytest.raises(medcodes.QrelsError, match="expected the columns"):
        load_qrels([bad])
