"""medcodes: full-text search over scraped medical-code pages (HCPCS, CPT, ICD-10).

The public API; everything else is internal.

>>> import medcodes
>>> medcodes.ingest(["examples/pages"], "medcodes-index").counts["indexed"]
26
>>> with medcodes.Searcher("medcodes-index") as searcher:
...     searcher.search("leukemia antibody infusion").hits[0].code
'J9229'

Names are imported on first use, so `import medcodes` stays cheap: a search does not load
the writing side, and `medcodes.pipeline`'s parser workers do not load the searching side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medcodes.errors import MedcodesError
    from medcodes.index.build import IngestReport, ingest
    from medcodes.index.check import CheckReport, IndexCheckError, check_index
    from medcodes.index.codeset_load import LoadReport, load_code_sets
    from medcodes.index.codesets import NoCodeSetError, open_code_table
    from medcodes.index.guard import DeleteLimit, MassDeleteError
    from medcodes.index.lock import IndexBusyError
    from medcodes.index.lookup import AmbiguousCodeError, PageNotFoundError, find_page
    from medcodes.index.reindex import ReindexReport, reindex
    from medcodes.index.status import PageStatus, RunStatus
    from medcodes.index.store import (
        DiskFullError,
        IndexCorruptError,
        IndexMissingError,
        NoSourcesError,
        NotAnIndexError,
        SchemaMismatchError,
        UnreadableSourcesError,
    )
    from medcodes.index.sync import InputStatus, ReadProgress
    from medcodes.pipeline.codes import UnknownSystemError, parse_systems
    from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
    from medcodes.pipeline.codesets.problems import BadRow, CodeSetFileError
    from medcodes.pipeline.codesets.read import read_code_set
    from medcodes.pipeline.codesets.table import CodeTable
    from medcodes.pipeline.records import CodePage
    from medcodes.pipeline.sources import InputError
    from medcodes.queries.completions import Completion
    from medcodes.queries.evaluate.judged import QrelsError
    from medcodes.queries.parse.query_file import QueryFileError
    from medcodes.queries.parse.syntax import QuerySyntaxError
    from medcodes.queries.rerank.features import RankingWeights
    from medcodes.queries.search import Hit, Searcher, SearchResult
    from medcodes.queries.validate.in_index import DateError, validate_codes
    from medcodes.queries.validate.verdict import Verdict
    from medcodes.run_record import RunRecord
    from medcodes.schedule import IntervalError

# Each public name and the module that defines it.
_HOMES = {
    # what you run
    "ingest": "medcodes.index.build",
    "reindex": "medcodes.index.reindex",
    "check_index": "medcodes.index.check",
    "find_page": "medcodes.index.lookup",
    "parse_systems": "medcodes.pipeline.codes",
    "load_code_sets": "medcodes.index.codeset_load",
    "open_code_table": "medcodes.index.codesets",
    "read_code_set": "medcodes.pipeline.codesets.read",
    "Searcher": "medcodes.queries.search",
    "validate_codes": "medcodes.queries.validate.in_index",
    # what it returns or takes
    "RankingWeights": "medcodes.queries.rerank.features",
    "Hit": "medcodes.queries.search",
    "SearchResult": "medcodes.queries.search",
    "Completion": "medcodes.queries.completions",
    "Verdict": "medcodes.queries.validate.verdict",
    "CodePage": "medcodes.pipeline.records",
    "IngestReport": "medcodes.index.build",
    "ReindexReport": "medcodes.index.reindex",
    "CheckReport": "medcodes.index.check",
    "RunRecord": "medcodes.run_record",
    "RunStatus": "medcodes.index.status",
    "InputStatus": "medcodes.index.sync",
    "ReadProgress": "medcodes.index.sync",
    "PageStatus": "medcodes.index.status",
    "DeleteLimit": "medcodes.index.guard",
    "LoadReport": "medcodes.index.codeset_load",
    "CodeSetEntry": "medcodes.pipeline.codesets.entry",
    "CodeSetRelease": "medcodes.pipeline.codesets.entry",
    "CodeTable": "medcodes.pipeline.codesets.table",
    "BadRow": "medcodes.pipeline.codesets.problems",
    # what it raises: every one a MedcodesError
    "MedcodesError": "medcodes.errors",
    "InputError": "medcodes.pipeline.sources",
    "IndexMissingError": "medcodes.index.store",
    "IndexCorruptError": "medcodes.index.store",
    "DiskFullError": "medcodes.index.store",
    "IndexCheckError": "medcodes.index.check",
    "SchemaMismatchError": "medcodes.index.store",
    "NotAnIndexError": "medcodes.index.store",
    "NoSourcesError": "medcodes.index.store",
    "UnreadableSourcesError": "medcodes.index.store",
    "IndexBusyError": "medcodes.index.lock",
    "MassDeleteError": "medcodes.index.guard",
    "QuerySyntaxError": "medcodes.queries.parse.syntax",
    "QueryFileError": "medcodes.queries.parse.query_file",
    "PageNotFoundError": "medcodes.index.lookup",
    "AmbiguousCodeError": "medcodes.index.lookup",
    "IntervalError": "medcodes.schedule",
    "UnknownSystemError": "medcodes.pipeline.codes",
    "QrelsError": "medcodes.queries.evaluate.judged",
    "NoCodeSetError": "medcodes.index.codesets",
    "CodeSetFileError": "medcodes.pipeline.codesets.problems",
    "DateError": "medcodes.queries.validate.in_index",
}

__all__ = [
    "AmbiguousCodeError",
    "BadRow",
    "CheckReport",
    "CodePage",
    "CodeSetEntry",
    "CodeSetFileError",
    "CodeSetRelease",
    "CodeTable",
    "Completion",
    "DateError",
    "DeleteLimit",
    "DiskFullError",
    "Hit",
    "IndexBusyError",
    "IndexCheckError",
    "IndexCorruptError",
    "IndexMissingError",
    "IngestReport",
    "InputError",
    "InputStatus",
    "IntervalError",
    "LoadReport",
    "MassDeleteError",
    "MedcodesError",
    "NoCodeSetError",
    "NoSourcesError",
    "NotAnIndexError",
    "PageNotFoundError",
    "PageStatus",
    "QrelsError",
    "QueryFileError",
    "QuerySyntaxError",
    "RankingWeights",
    "ReadProgress",
    "ReindexReport",
    "RunRecord",
    "RunStatus",
    "SchemaMismatchError",
    "SearchResult",
    "Searcher",
    "UnknownSystemError",
    "UnreadableSourcesError",
    "Verdict",
    "check_index",
    "find_page",
    "ingest",
    "load_code_sets",
    "open_code_table",
    "parse_systems",
    "read_code_set",
    "reindex",
    "validate_codes",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'medcodes' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
