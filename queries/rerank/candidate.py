"""A page the re-ranker weighs: what the first stage found and the names it is known by."""

from __future__ import annotations

from dataclasses import dataclass

from medcodes.pipeline.records import CodePage


@dataclass(frozen=True)
class Candidate:
    page: CodePage
    names: str  # the page's other names, as indexed
    first_stage: float  # its first-stage score relative to the best candidate's
    inherited: str = ""  # titles and other names of the categories the code belongs to
    found: frozenset[str] = frozenset()  # query terms the first stage found anywhere on the page
