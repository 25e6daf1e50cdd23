"""`show CODE`: the page of a code, or, for a code of a loaded code set that no page has, a
record made of its official entry (flagged no page), with its status either way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medcodes.index.codeset_rows import KeyedCodeTable
from medcodes.index.codesets import StoredCodeTable, code_set_lookups
from medcodes.index.lookup import AmbiguousCodeError, PageNotFoundError, find_page
from medcodes.index.store import IndexPath, current_generation
from medcodes.pipeline.codes import normalize_code, parse_systems
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.table import CodeTable
from medcodes.pipeline.records import CodePage
from medcodes.queries.codesets.status import CodeStatus, CodeStatuses


@dataclass(frozen=True)
class FoundCode:
    """A code as `show` prints it: its page (title-only when `no_page`), status and release."""

    page: CodePage
    status: CodeStatus
    release: CodeSetRelease | None
    no_page: bool = False


def find_code(
    root: IndexPath,
    code: str,
    system: str | None = None,
    code_sets: KeyedCodeTable | StoredCodeTable | None = None,
) -> FoundCode:
    """The page of `code` (any form), else its code-set entry; PageNotFoundError when neither.

    `code_sets`: the live generation's, when the caller has them already (several codes)."""
    if code_sets is None:
        code_sets = code_set_lookups(current_generation(Path(root)))
    statuses = CodeStatuses(code_sets, code_sets.releases)
    try:
        page = find_page(root, code, system)
    except PageNotFoundError:
        entry = code_set_entry(code_sets, code, system)
        if entry is None:
            raise
        return found_in_code_set(statuses, entry)
    return found_page(statuses, page)


def found_page(statuses: CodeStatuses, page: CodePage, no_page: bool = False) -> FoundCode:
    """`page` with its code's status today and its system's loaded release."""
    return FoundCode(page, statuses.of(page.system, page.code), statuses.release(page.system), no_page)


def found_in_code_set(statuses: CodeStatuses, entry: CodeSetEntry) -> FoundCode:
    """A code known from its code set alone: a title-only record of its entry, flagged no page."""
    return found_page(statuses, CodePage(entry.system, entry.code, entry.descriptor, ()), no_page=True)


def code_set_entry(table: CodeTable, code: str, system: str | None = None) -> CodeSetEntry | None:
    """The one entry of `code` in the code sets (within `system`); AmbiguousCodeError when
    several systems list it."""
    systems = parse_systems(system) if system else ()
    forms = {normalize_code(code, one) for one in systems} if systems else {normalize_code(code)}
    entries = [
        entry
        for form in sorted(forms)
        for entry in table.find(form)
        if not systems or entry.system in systems
    ]
    if len(entries) > 1:
        raise AmbiguousCodeError(code, tuple(entry.system for entry in entries))
    return entries[0] if entries else None
