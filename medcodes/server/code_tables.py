"""The code table of the live generation, shared by the server's threads for GET /validate.

Opening it reads every stored entry (a fraction of a second for all of HCPCS, ICD-10-CM and
ICD-10-PCS), so it is opened once and again only when a newer generation has been published;
CURRENT is looked at no more than once per `check_every` seconds, as SearcherPool does. The
table is read-only once opened, so the threads share it.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from medcodes.index.codesets import open_code_table
from medcodes.index.store import current_generation
from medcodes.pipeline.codesets.table import CodeTable
from medcodes.server.searchers import CHECK_EVERY_S


class CodeTables:
    """Hands out the live generation's CodeTable (NoCodeSetError when none is loaded)."""

    def __init__(self, index_dir: Path, check_every: float = CHECK_EVERY_S) -> None:
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._table: CodeTable | None = None
        self._generation = ""
        self._checked = -math.inf

    def table(self) -> CodeTable:
        with self._lock:
            now = time.monotonic()
            if self._table is None or now - self._checked >= self.check_every:
                generation = current_generation(self.index_dir).path.name
                if self._table is None or generation != self._generation:
                    self._table = open_code_table(self.index_dir)
                    self._generation = generation
                self._checked = now
            return self._table


__all__ = ["CodeTables"]
