"""Traffic or nontraffic: a transport accident's axis that a query often leaves unsaid.

ICD-10-CM codes most land-transport accidents twice, "in traffic accident" and "in nontraffic
accident", and its tabular list (chapter 20, definitions of transport accidents) rules that "a
vehicle accident is assumed to have occurred on the public highway unless another place is
specified". So a query that says neither fits the traffic code, or the code that says
"unspecified whether traffic or nontraffic" where there is one, and never the nontraffic one.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcodes.queries.expand.concepts import Concept

TRAFFIC = "traffic"
NONTRAFFIC = "nontraff"  # analyzed "nontraffic"
_WHETHER = "whether"
# How much more the "unspecified whether" code fits a query that leaves the axis unsaid.
WHETHER_FIT = 0.5


def stated_traffic(concepts: Iterable[Concept]) -> str | None:
    """NONTRAFFIC or TRAFFIC when the query says so, else None; claims shorten the word
    ("nontraf"), so what a word may be short for counts too."""
    terms = {t for c in concepts for a in c.alternatives for t in a.terms}
    if NONTRAFFIC in terms:
        return NONTRAFFIC
    return TRAFFIC if TRAFFIC in terms else None


def traffic_agreement(stated: str | None, title_terms: frozenset[str]) -> float:
    """-1 when a title's traffic status contradicts the query's (said or assumed), WHETHER_FIT
    when the title leaves it open as the query does, else 0.

    >>> traffic_agreement(None, frozenset({"car", "driver", "nontraff", "accid"}))
    -1.0
    """
    if NONTRAFFIC not in title_terms and TRAFFIC not in title_terms:
        return 0.0
    if _WHETHER in title_terms:
        return WHETHER_FIT if stated is None else 0.0
    says = NONTRAFFIC if NONTRAFFIC in title_terms else TRAFFIC
    return -1.0 if says != (stated or TRAFFIC) else 0.0
