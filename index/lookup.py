"""Find the page of one code (`medcodes show`): a code such as 99213 may name a page in more
than one system, and then the caller must say which; the API says so by an error that lists them.
"""

from __future__ import annotations

from medcodes.errors import MedcodesError
from medcodes.index.reader import find_pages, open_live
from medcodes.index.store import IndexPath
from medcodes.pipeline.codes import parse_systems
from medcodes.pipeline.records import CodePage


class PageNotFoundError(MedcodesError, LookupError):
    """No page in the index has this code (in this system, when one was given)."""


class AmbiguousCodeError(MedcodesError, LookupError):
    """The code names pages in several systems; `systems` lists them, in key order."""

    def __init__(self, code: str, systems: tuple[str, ...]) -> None:
        super().__init__(f"{code} is a code in {', '.join(systems)}")
        self.code = code
        self.systems = systems

    def __reduce__(self) -> tuple[type[AmbiguousCodeError], tuple[str, tuple[str, ...]]]:
        return type(self), (self.code, self.systems)  # survives a trip between processes


def find_page(index_dir: IndexPath, code: str, system: str | None = None) -> CodePage:
    """The one page whose code is `code` (any form: j9229, E11.9, E119), optionally in `system`.

    >>> find_page("medcodes-index", "j9229").title
    'Injection, inotuzumab ozogamicin, 0.1 mg'
    """
    systems = parse_systems(system) if system else ()  # "cpt4", or several: "hcpcs,cpt"
    live = open_live(index_dir)
    try:
        pages = find_pages(live.ix, code, systems[0] if len(systems) == 1 else None)
    finally:
        live.ix.close()
    if len(systems) > 1:
        pages = [page for page in pages if page.system in systems]
    if not pages:
        raise PageNotFoundError(f"no page for code {code}" + (f" in {system}" if system else ""))
    if len(pages) > 1:
        raise AmbiguousCodeError(code, tuple(page.system for page in pages))
    return pages[0]


__all__ = ["AmbiguousCodeError", "PageNotFoundError", "find_page"]
