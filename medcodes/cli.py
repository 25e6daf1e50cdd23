"""The `medcodes` command: a thin click shell over the pipeline, index and queries APIs.

Exit codes: 0 success; 1 error (or, with `search --fail-on-empty`, no hits); 2 usage error or
unusable query; 3 finished, but some inputs were rejected (see --report); 75 the index is
locked by another writer; 130 interrupted (Ctrl-C); 141 standard output was closed by its reader.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import click

# A command's own machinery is imported in its function: `medcodes search` starts cold on every
# call, and loading what only other commands use cost it a third of its time (issue 16;
# tests/test_cli.py::test_a_search_imports_only_the_reading_side).
from medcodes.errors import MedcodesError
from medcodes.index.codeset_rows import KeyedCodeTable
from medcodes.index.codesets import (
    LOAD_HINT,
    NoCodeSetError,
    StoredCodeTable,
    code_set_lookups,
    open_code_table,
    read_code_sets,
)
from medcodes.index.guard import DeleteLimit, parse_delete_limit
from medcodes.index.lock import IndexBusyError
from medcodes.index.lookup import AmbiguousCodeError
from medcodes.index.reader import index_stats, page_heads
from medcodes.index.status import (
    ADDED,
    DELETED,
    DUPLICATE,
    INDEXED,
    REJECTED,
    SKIPPED,
    UNCHANGED,
    UNREADABLE,
    UPDATED,
)
from medcodes.index.store import IndexMissingError, current_generation, resolve_index_dir
from medcodes.pipeline.codes import SYSTEMS, UnknownSystemError, parse_systems
from medcodes.pipeline.sources import DEFAULT_MAX_BYTES
from medcodes.pipeline.time_budget import DEFAULT_PARSE_TIME_LIMIT
from medcodes.queries.codesets.status import CodeStatuses
from medcodes.queries.parse.scopes import FIELD_ALIASES
from medcodes.queries.parse.syntax import QuerySyntaxError
from medcodes.queries.present.printable import json_text, printable
from medcodes.queries.present.text import (
    FORMATS,
    format_page,
    format_result,
    format_results,
    format_stats,
)
from medcodes.queries.search import POOL_AFTER, Searcher, SearchResult
from medcodes.queries.validate.in_index import DateError, parse_date
from medcodes.queries.validate.validate import SHOWN_SUGGESTIONS, today, validate
from medcodes.run_record import EXIT_BUSY, EXIT_ERROR, EXIT_OK, EXIT_REJECTED, RunRecord
from medcodes.schedule import IntervalError, describe_interval, parse_interval, run_every
from medcodes.terminal import COLOR_CHOICES, PrintableFormatter, ProgressBar, color_wanted, plural

if TYPE_CHECKING:
    from medcodes.index.reindex import ReindexReport
# Standard output was closed by its reader (`| head`): the status a shell gives a process that
# SIGPIPE ended, 128 + 13, so that `set -o pipefail` scripts see what other Unix tools report.
EXIT_CLOSED_STDOUT = 141
# Ctrl-C: 128 + SIGINT, what a shell reports for a command the user interrupted.
EXIT_INTERRUPTED = 130
# How many rejected or unreadable inputs a summary names (all of them: -v or --report).
SHOWN_PROBLEMS = 5


class QueryError(click.ClickException):
    exit_code = 2


class BusyError(click.ClickException):
    exit_code = EXIT_BUSY


index_option = click.option(
    "--index",
    "index_dir",
    envvar="MEDCODES_INDEX",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Index directory [default: $MEDCODES_INDEX or ./medcodes-index].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _set_color(ctx: click.Context, _param: click.Parameter, choice: str | None) -> None:
    """--color on the group or a command; the group's (default auto) holds unless a command sets it."""
    if choice is not None or ctx.parent is None:
        ctx.color = color_wanted(choice or "auto", sys.stdout)


color_option = click.option(
    "--color",
    type=click.Choice(COLOR_CHOICES, case_sensitive=False),
    callback=_set_color,
    expose_value=False,
    help="Bold codes and matches: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.",
)


def _systems(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--system, repeatable and comma-separated, under any name of a system (cpt4 is cpt)."""
    try:
        return parse_systems(values)
    except UnknownSystemError as err:
        raise click.BadParameter(str(err)) from err


system_option = click.option(
    "--system",
    "systems",
    multiple=True,
    metavar="SYSTEM[,SYSTEM…]",
    callback=_systems,
    help=f"Only codes of these systems ({', '.join(SYSTEMS)}; cpt4 is cpt); repeatable.",
)


def _refuse_together(ctx: click.Context, *names: str) -> None:
    """A usage error when the options `names` (parameter names) were all given: conflicting
    flags are refused, not resolved silently."""
    given = [
        name
        for name in names
        if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
    ]
    if len(given) == len(names):
        flags = [next(p.opts[-1] for p in ctx.command.params if p.name == name) for name in names]
        raise click.UsageError(f"{' and '.join(flags)} conflict: give one of them")


wait_option = click.option(
    "--wait",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    help="Seconds to wait for another writer to finish.",
)


def parse_options(command: Callable[..., None]) -> Callable[..., None]:
    """--workers, --max-bytes and --parse-time-limit, shared by the commands that parse pages."""
    command = click.option(
        "--parse-time-limit",
        type=click.FloatRange(0),
        default=DEFAULT_PARSE_TIME_LIMIT,
        show_default=True,
        metavar="SECONDS",
        help="Reject a page not parsed within this many seconds (0: no limit).",
    )(command)
    command = click.option(
        "--max-bytes",
        type=click.IntRange(1),
        default=DEFAULT_MAX_BYTES,
        show_default=True,
        metavar="BYTES",
        help="Reject inputs larger than this many bytes (each page of a container too).",
    )(command)
    return click.option(
        "--workers", type=click.IntRange(1), help="Parser processes [default: one per core]."
    )(command)


class _Commands(click.Group):
    """The command group; a command whose standard output is closed by its reader ends quietly."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _end_on_closed_stdout()
        except KeyboardInterrupt:
            click.echo("", err=True)  # end the line ^C was echoed on
            sys.exit(EXIT_INTERRUPTED)


def _end_on_closed_stdout() -> None:
    """Exit EXIT_CLOSED_STDOUT without a word: what is still buffered goes nowhere, instead of
    failing again when Python flushes stdout on its way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # stdout is not a file (a test runner's buffer): nothing will flush into a pipe
    sys.exit(EXIT_CLOSED_STDOUT)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="medcodes")
@color_option
def cli() -> None:
    """Full-text search over scraped medical-code pages (HCPCS, CPT, ICD-10).

    Shell completion: eval "$(_MEDCODES_COMPLETE=bash_source medcodes)" in ~/.bashrc
    (zsh_source, fish_source for zsh and fish).
    """


@cli.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@index_option
@click.option(
    "--report", type=click.File("w"), metavar="FILE", help="Write one JSON line per input to this file."
)
@parse_options
@wait_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("-v", "--verbose", is_flag=True, help="Log each rejected page to stderr.")
@click.pass_context
def ingest_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    index_dir: Path | None,
    report: IO[str] | None,
    workers: int | None,
    max_bytes: int,
    parse_time_limit: float,
    wait: float,
    quiet: bool,
    verbose: bool,
) -> None:
    """Parse pages under PATHS (folders, files, globs, - for stdin) into the index.

    A page whose code is already indexed is replaced. Exit status 3 means that the run
    finished but some inputs were rejected.
    """
    from medcodes.index.build import ingest  # the writing side's imports cost a search 0.1 s: here only

    _refuse_together(ctx, "quiet", "verbose")
    _configure_logging(verbose)
    root = resolve_index_dir(index_dir)
    problems = _Problems()
    with _progress_bar("ingest", quiet) as bar, _errors():
        result = ingest(
            paths,
            root,
            workers=workers,
            max_bytes=max_bytes,
            time_limit=parse_time_limit or None,
            wait=wait,
            on_status=_status_listener(problems, report, verbose, unlogged=(INDEXED,)),
            on_progress=bar.update,
        )
    counts = result.counts
    if not quiet:
        click.echo(_ingest_summary(result, root), err=True)
        if not verbose:
            problems.show(told_of_all=report is not None)
        if not counts[INDEXED]:
            click.echo(printable(f"warning: nothing was indexed from {' '.join(paths)}"), err=True)
    if counts[UNREADABLE]:
        sys.exit(EXIT_ERROR)
    if counts[REJECTED]:
        sys.exit(EXIT_REJECTED)


class _Problems:
    """The first rejected and unreadable inputs of a run, named after its summary with their
    reasons, so that a run that exits 3 or 1 says why without -v or --report."""

    def __init__(self) -> None:
        self.first: list[Any] = []
        self.count = 0

    def note(self, status: Any) -> None:
        if status.status in (REJECTED, UNREADABLE):
            self.count += 1
            if len(self.first) < SHOWN_PROBLEMS:
                self.first.append(status)

    def show(self, told_of_all: bool) -> None:
        for status in self.first:
            click.echo(printable(f"  {status.status}: {status.source}: {status.reason}"), err=True)
        if self.count > len(self.first):
            click.echo(f"  … and {self.count - len(self.first)} more", err=True)
        if self.count and not told_of_all:
            hint = "hint: -v lists them all as they come; --report FILE writes the status of every input"
            click.echo(hint, err=True)


def _status_listener(
    problems: _Problems, report: IO[str] | None, verbose: bool, unlogged: tuple[str, ...]
) -> Callable[[Any], None]:
    """What ingest and reindex do with each input's status: note a problem, write the --report
    line and, with -v, log it unless its status is one of `unlogged`."""

    def on_status(status: Any) -> None:
        problems.note(status)
        if report:
            report.write(json.dumps(status.to_dict(), ensure_ascii=False) + "\n")
        if verbose and status.status not in unlogged:
            line = f"{status.status}: {status.source}: {status.reason or status.code}"
            click.echo(printable(line), err=True)

    return on_status


def _ingest_summary(result: Any, root: Path) -> str:
    """One line: how every input ended (statuses that did not occur are left out but the first
    three), and the codes the run deleted, if any."""
    counts = result.counts
    parts = [
        f"indexed {counts[INDEXED]}",
        f"duplicates {counts[DUPLICATE]}",
        f"rejected {counts[REJECTED]}",
    ]
    parts += [f"{status} {counts[status]}" for status in (UNREADABLE, SKIPPED) if counts[status]]
    deleted = f", deleted {counts[DELETED]}" if counts[DELETED] else ""
    # The counts are this run's; the index's total is said apart, not to be read as one of them.
    return (
        f"{', '.join(parts)} of {plural(result.inputs, 'input')}{deleted} in {result.seconds:.1f} s; "
        f"{root} holds {plural(result.doc_count, 'page')}"
    )


@cli.command("reindex")
@click.argument("paths", nargs=-1)
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch beside the live index.")
@wait_option
@json_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write one JSON line per page (and deleted key) with its status to this file.",
)
@click.option(
    "--every",
    "every",
    metavar="INTERVAL",
    help="Run again every INTERVAL (90 seconds, 90s, 15m, 6h, 1d, 1h30m) until SIGTERM or Ctrl-C.",
)
@click.option(
    "--log-json",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Append one JSON line per run to this file.",
)
@click.option(
    "--max-delete",
    "max_delete",
    metavar="N|P%",
    callback=lambda _ctx, _param, value: _delete_limit(value),
    help="Stop (exit 1) rather than delete more than N pages or P% of the index "
    "[default: more than 50 pages and more than 10%].",
)
@click.option(
    "--allow-mass-delete", is_flag=True, help="Delete however many pages the sources no longer have."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be added, updated and deleted; write nothing (exit 1 when a real run would stop).",
)
@parse_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, summary or next-run line.")
@click.option("-v", "--verbose", is_flag=True, help="Log each change and rejected page to stderr.")
@click.pass_context
def reindex_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    index_dir: Path | None,
    full: bool,
    wait: float,
    as_json: bool,
    report_path: Path | None,
    every: str | None,
    log_path: Path | None,
    max_delete: DeleteLimit,
    allow_mass_delete: bool,
    dry_run: bool,
    workers: int | None,
    max_bytes: int,
    parse_time_limit: float,
    quiet: bool,
    verbose: bool,
) -> None:
    """Bring the index up to date with PATHS (default: the folders it was built from).

    Only inputs whose size, mtime and content changed are parsed again; pages of deleted
    inputs are dropped, but never those of a folder or file that cannot be read, and a run
    that would delete many pages stops (--max-delete). Readers switch to the new state
    atomically. Exit status: 0 done, 3 done but some pages were rejected, 75 another writer
    holds the index, 1 failure (or an input that could not be read).
    """
    _refuse_together(ctx, "quiet", "verbose")
    _refuse_together(ctx, "max_delete", "allow_mass_delete")
    _configure_logging(verbose)
    root = resolve_index_dir(index_dir)
    try:
        interval = parse_interval(every) if every is not None else None
    except IntervalError as err:
        raise click.BadParameter(str(err), param_hint="--every") from err

    options = {
        "full": full,
        "workers": workers,
        "max_bytes": max_bytes,
        "time_limit": parse_time_limit or None,
        "wait": wait,
        "max_delete": None if allow_mass_delete else max_delete,
        "dry_run": dry_run,
    }

    def run_once() -> int:
        return _reindex_once(root, paths, options, as_json, report_path, log_path, quiet, verbose)

    if interval is None:
        sys.exit(run_once())
    stop = threading.Event()
    _stop_on_signals(stop)
    run_every(interval, run_once, stop, on_wait=None if quiet else _say_next_run)
    click.echo("reindex: stopped", err=True)


def _say_next_run(seconds: float) -> None:
    due = datetime.now(UTC) + timedelta(seconds=seconds)
    when = due.strftime("%Y-%m-%d %H:%M:%S UTC")
    click.echo(f"reindex: next run at {when} (in {describe_interval(seconds)})", err=True)


def _delete_limit(text: str | None) -> DeleteLimit:
    """--max-delete as a DeleteLimit; the default limit when it is not given."""
    if text is None:
        return DeleteLimit()
    try:
        return parse_delete_limit(text)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--max-delete") from err


def _reindex_once(
    root: Path,
    paths: tuple[str, ...],
    options: dict[str, Any],
    as_json: bool,
    report_path: Path | None,
    log_path: Path | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """One reindex run: summary, --json, --report and --log-json; returns its exit status."""
    from medcodes.index.reindex import reindex  # as ingest: not imported by the reading commands

    started = datetime.now(UTC)
    problems = _Problems()
    label = "rebuild" if options["full"] else "reindex"
    try:
        with _errors(), _open_report(report_path) as report, _progress_bar(label, quiet) as bar:
            on_status = _status_listener(problems, report, verbose, unlogged=(UNCHANGED, DUPLICATE))
            result = reindex(root, paths, on_status=on_status, on_progress=bar.update, **options)
    except click.ClickException as err:
        err.show()
        failed = RunRecord.of_error(root, started, err.__cause__ or err, err.format_message())
        return _append_log(log_path, failed) or failed.exit_code
    record = RunRecord.of_report(started, result)
    log_failed = _append_log(log_path, record)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
    if not quiet:
        click.echo(_reindex_summary(result), err=True)
        if not verbose:
            problems.show(told_of_all=report_path is not None)
    if result.stop_reason:
        click.echo(f"note: a real run would stop: {result.stop_reason}", err=True)
    return record.exit_code or log_failed


def _reindex_summary(result: ReindexReport) -> str:
    n = result.counts
    how = f"full rebuild ({result.full_reason})" if result.full_reason else "reindex"
    unread = "".join(f", {status} {n[status]}" for status in (UNREADABLE, SKIPPED) if n[status])
    seconds = f"{result.seconds:.1f} s"
    where = f"({plural(result.doc_count, 'page')} in {result.index_dir}, {result.generation})"
    if result.dry_run:
        return (
            f"{how} (dry run): would add {n[ADDED]}, update {n[UPDATED]}, delete {n[DELETED]}; "
            f"unchanged {n[UNCHANGED]}, duplicates {n[DUPLICATE]}, rejected {n[REJECTED]}{unread} "
            f"in {seconds}; nothing was written {where}"
        )
    if not result.changed and not result.full_reason and not unread:
        return (
            f"{how}: nothing changed in {seconds}: {plural(n[UNCHANGED], 'page')} up to date, "
            f"{n[REJECTED]} rejected ({result.index_dir}, {result.generation})"
        )
    return (
        f"{how}: added {n[ADDED]}, updated {n[UPDATED]}, deleted {n[DELETED]}, "
        f"unchanged {n[UNCHANGED]}, duplicates {n[DUPLICATE]}, rejected {n[REJECTED]}{unread} "
        f"in {seconds} {where}"
    )


@contextmanager
def _open_report(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def _append_log(path: Path | None, record: RunRecord) -> int:
    """Append the run's record; EXIT_ERROR when it cannot be written (said on stderr), else 0."""
    if path is None:
        return EXIT_OK
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    except OSError as err:
        click.echo(f"Error: cannot write --log-json {path}: {err.strerror or err}", err=True)
        return EXIT_ERROR
    return EXIT_OK


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM or SIGINT: stop after the current run; a second one stops at once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        click.echo(f"reindex: {signal.Signals(signum).name} received, stopping after this run", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@cli.group("codesets")
def codesets_group() -> None:
    """Official code sets (CMS HCPCS, CDC ICD-10-CM, ICD-10-PCS) beside the pages."""


@codesets_group.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@wait_option
@json_option
def codesets_load_command(
    files: tuple[Path, ...], index_dir: Path | None, wait: float, as_json: bool
) -> None:
    """Store code-set files in the index (a new generation; created when there is none).

    Each file's format is recognized from its first lines; its release is named from its file
    name. Loading a release of a system replaces that system's codes and prints what changed.
    A bad row is reported on stderr and skipped.
    """
    from medcodes.index.codeset_load import load_code_sets  # writes a generation: as ingest
    from medcodes.queries.present.codesets import describe_load

    root = resolve_index_dir(index_dir)
    with _errors():
        report = load_code_sets(root, files, wait=wait)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    for row in report.first_bad_rows[:SHOWN_PROBLEMS]:
        _warn_bad_row(row)
    if report.bad_rows > SHOWN_PROBLEMS:
        click.echo(f"warning: {report.bad_rows - SHOWN_PROBLEMS} more bad rows skipped", err=True)
    for release, changes in zip(report.releases, report.changes, strict=True):
        click.echo(describe_load(release, changes))
    stored = ", ".join(f"{system} {count:,}" for system, count in report.stored.items())
    click.echo(f"index {root} ({report.generation}): {stored} codes stored")


@codesets_group.command("report")
@index_option
@json_option
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Judge terminations on this date [default: today].",
)
@click.option(
    "--shown", type=click.IntRange(0), default=20, show_default=True, help="Pages listed per finding."
)
def codesets_report_command(index_dir: Path | None, as_json: bool, day: datetime | None, shown: int) -> None:
    """Where pages and code sets disagree: pages of terminated codes, titles unlike the official
    descriptor, codes with no page (per system and chapter), page codes in no code set."""
    from medcodes.queries.codesets.report import build_report
    from medcodes.queries.present.codesets import format_report

    root = resolve_index_dir(index_dir)
    with _errors():
        generation, heads = page_heads(root)
        table = read_code_sets(generation)
        if not len(table):
            raise NoCodeSetError(f"no code set loaded in the index at {root} ({LOAD_HINT})")
        report = build_report(heads, CodeStatuses(table, table.releases), day.date() if day else None)
    click.echo(json_text(report.to_dict()) if as_json else format_report(report, shown))


@cli.command("check")
@index_option
@json_option
def check_command(index_dir: Path | None, as_json: bool) -> None:
    """Verify the index: it opens, every file reads back as published, counts agree.

    Exit status 0 when it is sound; otherwise one line saying what is wrong, and status 1.
    """
    from medcodes.index.check import check_index

    root = resolve_index_dir(index_dir)
    with _errors():
        report = check_index(root)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(
            f"ok: {report.pages} pages in {root} ({report.generation}), "
            f"{report.files} files ({report.bytes_read / 1e6:.1f} MB) read and verified"
            + (f", {report.codes:,} code-set entries" if report.codes else "")
        )


def _scopes_help() -> str:
    """Every scope a query may name, each field with the other words for it: "risks (risk, complications)"."""
    others: dict[str, list[str]] = {}
    for word, field in FIELD_ALIASES.items():
        if word != field:
            others.setdefault(field, []).append(word)
    fields = sorted(set(FIELD_ALIASES.values()))
    return ", ".join(f"{f} ({', '.join(others[f])})" if f in others else f for f in fields)


_SEARCH_HELP = f"""Search pages: words, "phrases", codes (C9028, E11.9), prefixes (J92*), ranges
(J9000-J9999), field:term, AND/OR/NOT. Several words need no quotes. A query that starts with
"-" (-term excludes a word) goes after "--", with options before it.

\b
Examples:
  medcodes search leukemia antibody infusion
  medcodes search 'risks:fever indications:relapsed' --system hcpcs,cpt -n 5
  medcodes search --json -- -leukemia walker

\b
Scopes (scope:word, scope:(a OR b)):
{chr(10).join(textwrap.wrap(_scopes_help(), 76, initial_indent="  ", subsequent_indent="  "))}

With --queries, one query per line (JSON Lines with --json). Exit status: 0 done; 1 an error,
or nothing found with --fail-on-empty (for a batch: no line found anything); 2 a usage error or
a query with nothing to search for; 130 interrupted (Ctrl-C).
"""


class _QueryCommand(click.Command):
    """`search`: a query word starting with "-" read as an unknown option gets a hint about "--"."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes `args`
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as err:
            word = next((a for a in given if a.startswith(err.option_name)), None)
            if err.option_name.startswith("--") or word is None:
                raise
            raise click.NoSuchOption(
                err.option_name,
                message=f"No such option: {err.option_name} (a query word that starts with - goes "
                f"after --: medcodes search [OPTIONS] -- {word} …)",
                ctx=ctx,
            ) from err


@cli.command("search", cls=_QueryCommand, help=_SEARCH_HELP)
@click.argument("words", nargs=-1, metavar="[QUERY]...")
@index_option
@system_option
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Show at most this many hits.",
)
@click.option(
    "--offset",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Skip this many hits first (--offset 10 -n 10 is the second page).",
)
@click.option(
    "--queries",
    "queries_file",
    type=click.File("rb"),
    metavar="FILE",
    help="Answer every line of this file (- for stdin) with one index open.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    help=f"Searcher processes for --queries [default: one per core once a batch passes {POOL_AFTER} lines].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    help="Output format [default: table; --json means json, or jsonl with --queries].",
)
@json_option
@click.option("--facets", is_flag=True, help="Also count matching pages per code system and code status.")
@click.option(
    "--billable", is_flag=True, help="Only pages of codes billable today (or --active-on), by the code sets."
)
@click.option(
    "--active-on",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only pages of codes in force on this date, by the code sets (medcodes codesets load).",
)
@click.option("--explain", is_flag=True, help="Show matched fields and score parts of each hit.")
@click.option(
    "--fail-on-empty", is_flag=True, help="Exit 1 when nothing was found (as grep does), for scripts."
)
@color_option
def search_command(
    words: tuple[str, ...],
    index_dir: Path | None,
    systems: tuple[str, ...],
    limit: int,
    offset: int,
    queries_file: IO[bytes] | None,
    workers: int | None,
    fmt: str | None,
    as_json: bool,
    facets: bool,
    billable: bool,
    active_on: datetime | None,
    explain: bool,
    fail_on_empty: bool,
) -> None:
    query = " ".join(words) if words else None
    if (query is None) == (queries_file is None):
        raise click.UsageError("give a QUERY or --queries FILE (not both)")
    if workers is not None and queries_file is None:
        raise click.UsageError("--workers goes with --queries FILE (one query uses one process)")
    fmt = _output_format(as_json, fmt, "jsonl" if queries_file is not None else "json", "table")
    root = resolve_index_dir(index_dir)
    options: dict[str, Any] = {
        "systems": systems,
        "limit": limit,
        "offset": offset,
        "facets": facets,
        "explain": explain,
        "billable": billable,
        "active_on": active_on.date() if active_on else None,
    }
    with _errors(), Searcher(root) as searcher:
        if queries_file is not None:
            found = _search_batch(searcher, queries_file, fmt, {**options, "workers": workers})
        else:
            assert query is not None
            result = searcher.search(query, **options)
            found = result.total > 0
    if queries_file is None:
        for notice in result.notices:
            click.echo(printable(f"note: {notice}"), err=True)
        if fmt == "table":
            click.echo(format_result(result, _bold))
        else:
            click.echo(format_results([result], fmt), nl=False)
    if fail_on_empty and not found:
        sys.exit(EXIT_ERROR)


def _output_format(as_json: bool, fmt: str | None, json_format: str, default: str) -> str:
    """--format, or what --json means here; both at once only when they agree."""
    if as_json and fmt is not None and fmt.lower() not in ("json", json_format):
        raise click.UsageError(f"--json and --format {fmt} conflict: give one of them")
    if as_json:
        return json_format
    return fmt.lower() if fmt is not None else default


def _search_batch(searcher: Searcher, queries: IO[bytes], fmt: str, options: dict[str, Any]) -> bool:
    """Searcher.search_many over the lines of `queries`, each answer written as it comes;
    True when some line found something."""
    from medcodes.queries.parse.query_file import read_query_lines

    name = getattr(queries, "name", "<stdin>")
    name = "standard input" if name == "<stdin>" else name
    # Closed however the loop ends (a closed stdout, Ctrl-C): its worker processes end with it.
    with closing(searcher.search_many(read_query_lines(queries, name), **options)) as results:
        found = _write_batch(results, fmt)
    return found


def _write_batch(results: Iterator[SearchResult], fmt: str) -> bool:
    """Each result as it comes; True when some line found something."""
    header = True
    found = False
    for number, result in enumerate(results, 1):
        found |= result.total > 0
        if fmt == "table":
            if result.error is not None:
                click.echo(printable(f"line {number}: {result.error}"), err=True)
            for notice in result.notices:
                click.echo(printable(f"line {number}: note: {notice}"), err=True)
            click.echo(printable(f"== {result.query}"))
            click.echo(format_result(result, _bold))
        else:
            click.echo(format_results([result], "jsonl" if fmt == "json" else fmt, header=header), nl=False)
        header = False
    return found


@cli.command("eval")
@click.argument(
    "qrels", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@index_option
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Cut-off rank.")
@click.option("--worst", type=click.IntRange(0), default=10, show_default=True, help="Worst queries to list.")
@json_option
def eval_command(qrels: tuple[Path, ...], index_dir: Path | None, k: int, worst: int, as_json: bool) -> None:
    """Score ranking on judged queries: nDCG@k, MRR@k, Recall@k per set and overall.

    QRELS are TSV files with the columns qid, query, system, code, grade (grade 2: the code
    the query asks for; 1: also right, less exact). The worst queries are listed with what
    ranked above the code they wanted.
    """
    from medcodes.queries.evaluate.judged import evaluate, load_qrels, searcher_ranker
    from medcodes.queries.evaluate.report import format_comparison, format_worst, scores_to_dict

    root = resolve_index_dir(index_dir)
    with _errors(), Searcher(root) as searcher:
        judged = load_qrels(qrels)
        run = evaluate(searcher_ranker(searcher), judged, k)
    if as_json:
        click.echo(json_text({"medcodes": scores_to_dict(run, worst)}, indent=2))
        return
    click.echo(format_comparison({"medcodes": run}))
    if worst:
        click.echo(f"\nworst {worst} queries:")
        click.echo(format_worst(run, worst))


SHOW_FORMATS = ("text", "json", "jsonl")


@cli.command("show")
@click.argument("codes", nargs=-1, required=True, metavar="CODE...")
@index_option
@click.option(
    "--system",
    metavar="SYSTEM[,SYSTEM…]",
    help=f"The codes' system, for a code that several systems have ({', '.join(SYSTEMS)}; cpt4 is cpt).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SHOW_FORMATS, case_sensitive=False),
    help="Output format [default: text; --json means json, or jsonl for several codes].",
)
@json_option
@color_option
def show_command(
    codes: tuple[str, ...], index_dir: Path | None, system: str | None, fmt: str | None, as_json: bool
) -> None:
    """Print the page of each CODE: every section, in page order, below what the loaded code
    sets say of it. A code of a code set that no page has is shown from its entry ("no page").

    A code that is not found is an Error: line (exit 1); the others are still printed.
    """
    from medcodes.queries.codesets.lookup import find_code
    from medcodes.queries.present.codesets import format_code_set, found_to_json

    fmt = _output_format(as_json, fmt, "json" if len(codes) == 1 else "jsonl", "text")
    if fmt == "json" and len(codes) > 1:
        raise click.UsageError("--format json prints one page: use --format jsonl for several codes")
    root = resolve_index_dir(index_dir)
    failed = False
    code_sets: KeyedCodeTable | StoredCodeTable | None = None
    for number, code in enumerate(codes):
        try:
            with _errors():
                if code_sets is None:  # read by key: only the codes shown
                    code_sets = code_set_lookups(current_generation(root))
                found = find_code(root, code, system, code_sets)
        except click.ClickException as err:
            if len(codes) == 1 or isinstance(err.__cause__, IndexMissingError | UnknownSystemError):
                raise
            err.show()
            failed = True
            continue
        if fmt == "text":
            lines = format_code_set(found.page.system, found.status, found.release)
            if found.no_page:
                lines.append("No page: this code is known from its code set only.")
            click.echo(("\n" if number else "") + format_page(found.page, _bold, code_set=lines))
        else:
            text = found_to_json(found)
            click.echo(text if fmt == "json" else json_text(json.loads(text)))
    if failed:
        sys.exit(EXIT_ERROR)


@cli.command("stats")
@index_option
@json_option
def stats_command(index_dir: Path | None, as_json: bool) -> None:
    """Pages per code system, index size and last update."""
    root = resolve_index_dir(index_dir)
    with _errors():
        stats = index_stats(root)
    click.echo(json.dumps(stats, indent=2) if as_json else format_stats(stats))


@cli.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Server processes, each with its own searchers.",
)
@click.option("--log-json", is_flag=True, help="Log one JSON object per line (one per request).")
@click.option(
    "--cors",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let pages from ORIGIN (https://example.org, or *) call the API; repeatable [default: none].",
)
def serve_command(
    index_dir: Path | None, host: str, port: int, workers: int, log_json: bool, cors_origins: tuple[str, ...]
) -> None:
    """Serve the index over HTTP: a read-only JSON API (/search, /suggest, /codes, /lookup,
    /stats, /healthz, /docs) and the search page at /.

    Each worker keeps a searcher open per thread and switches to a new generation within a
    second of a reindex publishing it, without a restart.
    """
    from medcodes.server.app import ServerSettings  # the ASGI stack loads for this command only
    from medcodes.server.run import serve

    root = resolve_index_dir(index_dir)
    try:
        current_generation(root)
    except MedcodesError as err:
        click.echo(f"warning: {err}: /healthz answers 503 until an index is published", err=True)
    serve(ServerSettings(root, cors_origins=cors_origins), host, port, workers=workers, log_json=log_json)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """--date YYYY-MM-DD, else None (today)."""
    try:
        return parse_date(value) if value is not None else None
    except DateError as err:
        raise click.BadParameter(str(err)) from err


_VALIDATE_HELP = """Is each CODE valid, billable and current on a date? One line per code, in order.

\b
Verdicts: billable; header (a category: its billable codes are listed, or the
valid 7th characters); terminated (since when); not yet effective; not billable
(a modifier); unknown (with the nearest listed codes). Case, dots, spaces and
dashes are repaired and said ("read as E11.9"); a missing placeholder X, a
missing 7th character or a typo is only suggested, never applied.

\b
Examples:
  medcodes validate E11.9 e119 W21.89A S72.001 J9229 --date 2026-01-01
  medcodes validate --json < claim-codes.txt
  medcodes validate --queries codes.txt --system icd10cm

Without CODE and --queries, codes are read from standard input (one a line, blank
lines skipped) when it is not a terminal. Exit status: 0 when every code is
billable on the date; 1 when one is not (or on an error); 2 a usage error.
"""


@cli.command("validate", help=_VALIDATE_HELP)
@click.argument("codes", nargs=-1, metavar="[CODE]...")
@index_option
@system_option
@click.option(
    "--date",
    "on",
    metavar="YYYY-MM-DD",
    callback=_date,
    help="Judge the codes on this day [default: today, UTC].",
)
@click.option(
    "--queries",
    "queries_file",
    type=click.File("rb"),
    metavar="FILE",
    help="Validate every line of this file (- for stdin).",
)
@click.option(
    "--suggestions",
    "max_suggestions",
    type=click.IntRange(0, 1000),
    metavar="N",
    default=SHOWN_SUGGESTIONS,
    show_default=True,
    help="At most this many suggestions for an unknown code, best first.",
)
@json_option
def validate_command(
    codes: tuple[str, ...],
    index_dir: Path | None,
    systems: tuple[str, ...],
    on: date | None,
    queries_file: IO[bytes] | None,
    max_suggestions: int,
    as_json: bool,
) -> None:
    if codes and queries_file is not None:
        raise click.UsageError("give CODEs or --queries FILE (not both)")
    if not codes and queries_file is None:
        if sys.stdin.isatty():
            raise click.UsageError("give a CODE, --queries FILE, or codes on standard input")
        queries_file = sys.stdin.buffer
    root = resolve_index_dir(index_dir)
    day = on or today()
    from medcodes.queries.present.verdicts import format_verdict, verdict_to_json

    billable = seen = 0
    with _errors():
        try:
            table = open_code_table(root)
        except IndexMissingError as err:  # the code sets, not pages, are what validation needs
            raise click.ClickException(f"{err} — run medcodes codesets load FILE... first") from err
        for text in codes or _code_lines(queries_file):
            verdict = validate(table, text, day, systems, max_suggestions)
            click.echo(verdict_to_json(verdict) if as_json else format_verdict(verdict))
            seen += 1
            billable += verdict.billable
    if not seen:
        raise click.UsageError("no code given: standard input or the file held none")
    if billable < seen:
        sys.exit(EXIT_ERROR)


def _code_lines(stream: IO[bytes] | None) -> Iterator[str]:
    """The non-blank lines of a file of codes, read as they come (a pipe is answered line by line)."""
    from medcodes.queries.parse.query_file import read_query_lines

    assert stream is not None
    name = getattr(stream, "name", "<stdin>")
    for line in read_query_lines(stream, "standard input" if name == "<stdin>" else name):
        if line.strip():
            yield line


@codesets_group.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def codesets_diff_command(old: Path, new: Path, as_json: bool) -> None:
    """What changed from release file OLD to release file NEW of one code system.

    Lists the codes added, terminated (or no longer listed) and whose descriptor changed. A
    changed descriptor that keeps few of the old one's rarer words (word overlap weighted by
    rarity below 0.5: "injection" and "mg" weigh little, the drug's name much) is flagged
    reused: the code now means something else.
    """
    from medcodes.pipeline.codesets.diff import ReleaseMismatchError, diff_releases
    from medcodes.pipeline.codesets.read import read_code_set
    from medcodes.queries.present.verdicts import format_release_diff

    with _errors():
        old_release, old_entries = read_code_set(old, on_bad_row=_warn_bad_row)
        new_release, new_entries = read_code_set(new, on_bad_row=_warn_bad_row)
        if old_release.system != new_release.system:
            raise ReleaseMismatchError(
                f"{old} holds {old_release.system} codes and {new} {new_release.system} codes: "
                "compare two releases of one system"
            )
        names = (old_release.name, new_release.name)
        if names[0] == names[1]:
            names = (str(old), str(new))
        diff = diff_releases(old_entries, new_entries, *names)
    click.echo(json_text(diff.to_dict()) if as_json else format_release_diff(diff))


def _warn_bad_row(row: Any) -> None:
    """A row of a code-set file that was skipped, said on stderr as it is met."""
    click.echo(printable(f"warning: skipped row {row}"), err=True)


def _bold(text: str) -> str:
    """Bold when this run has colour (--color, NO_COLOR, TERM=dumb, a terminal: _set_color)."""
    ctx = click.get_current_context(silent=True)
    return click.style(text, bold=True) if ctx is not None and ctx.color else text


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the core's exceptions into one-line `Error:` messages with a hint; a file name or
    page text quoted in one is printed without its control sequences."""
    try:
        yield
    except BrokenPipeError:
        raise  # a closed stdout is no error of ours (_Commands)
    except IndexMissingError as err:
        raise click.ClickException(printable(f"{err} — run medcodes ingest first")) from err
    except QuerySyntaxError as err:
        raise QueryError(printable(str(err))) from err
    except IndexBusyError as err:
        raise BusyError(f"{err}; try again later or raise --wait") from err
    except AmbiguousCodeError as err:
        raise click.ClickException(printable(f"{err}: pass --system to choose")) from err
    except UnknownSystemError as err:
        raise click.BadParameter(printable(str(err)), param_hint="--system") from err
    except MedcodesError as err:  # every other error the core names: its message is the line
        raise click.ClickException(printable(str(err))) from err
    except OSError as err:
        message = f"{err.strerror or err}: {err.filename or ''}".rstrip(": ")
        raise click.ClickException(printable(message)) from err


@contextmanager
def _progress_bar(label: str, quiet: bool) -> Iterator[ProgressBar]:
    """A progress bar for a run that reads inputs, closed however the run ends."""
    bar = ProgressBar(label, enabled=not quiet)
    try:
        yield bar
    finally:
        bar.close()


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def main() -> None:
    cli(prog_name="medcodes")


if __name__ == "__main__":
    main()
