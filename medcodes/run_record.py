"""The record of one reindex run as a job sees it: when it ran, how it ended, what it did.

`medcodes reindex --log-json` appends one record per run (`to_dict`, one JSON line) and exits
with its `exit_code`; a scheduler or an HTTP layer reads the same record, so the rule that turns
a run into a status lives here and not in the CLI.

>>> record = RunRecord.of_report(datetime.now(UTC), medcodes.reindex("medcodes-index"))
>>> record.status, record.exit_code
(<RunStatus.OK: 'ok'>, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcodes.index.lock import IndexBusyError
from medcodes.index.status import REJECTED, UNREADABLE, RunStatus
from medcodes.index.store import IndexPath

if TYPE_CHECKING:  # the writing side is imported by the commands that write, not by this record
    from medcodes.index.reindex import ReindexReport

# Exit statuses of the `medcodes` command (its docstring lists them all).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REJECTED = 3
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: try again later

_EXIT_CODES = {
    RunStatus.OK: EXIT_OK,
    RunStatus.REJECTED: EXIT_REJECTED,
    RunStatus.UNREADABLE: EXIT_ERROR,
    # A dry run fails where the real run would stop, so that a scheduled dry run warns.
    RunStatus.WOULD_STOP: EXIT_ERROR,
    RunStatus.ERROR: EXIT_ERROR,
    RunStatus.BUSY: EXIT_BUSY,
}


@dataclass(frozen=True)
class RunRecord:
    """One run: its index, start and end (UTC), status, and the report or the error."""

    index_dir: Path
    started: datetime
    finished: datetime
    status: RunStatus
    report: ReindexReport | None = None  # what the run did; None when it failed
    error: str = ""  # why it failed, one line

    @classmethod
    def of_report(cls, started: datetime, report: ReindexReport) -> RunRecord:
        """The record of a run that finished, now."""
        return cls(Path(report.index_dir), started, _now(), run_status(report), report)

    @classmethod
    def of_error(
        cls, index_dir: IndexPath, started: datetime, error: BaseException, message: str = ""
    ) -> RunRecord:
        """The record of a run that `error` ended, now; `message` (default: the error's) says why."""
        status = RunStatus.BUSY if isinstance(error, IndexBusyError) else RunStatus.ERROR
        return cls(Path(index_dir), started, _now(), status, error=message or str(error))

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        """The `--log-json` line: the run, then the report's counts and timing (or the error)."""
        record: dict[str, Any] = {
            "started": _timestamp(self.started),
            "index": str(self.index_dir),
            "status": self.status.value,
            "exit_code": self.exit_code,
        }
        if self.report is None:
            record["error"] = self.error
        else:
            record.update(self.report.to_dict())
        record["finished"] = _timestamp(self.finished)
        return record


def run_status(report: ReindexReport) -> RunStatus:
    """How a run that finished ended: a dry run ends as the real run would."""
    if report.stop_reason:
        return RunStatus.WOULD_STOP
    if report.counts[UNREADABLE]:
        return RunStatus.UNREADABLE
    if report.counts[REJECTED]:
        return RunStatus.REJECTED
    return RunStatus.OK


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


__all__ = ["EXIT_BUSY", "EXIT_ERROR", "EXIT_OK", "EXIT_REJECTED", "RunRecord", "run_status"]
