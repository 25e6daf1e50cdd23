"""What ICD-10-CM knows beyond a page's text, behind one door for the re-ranker and the searcher.

The re-ranker asks `stated_axes(concepts).agreement(page, title_terms)`: whether a code
contradicts the neoplasm behaviour, external-cause intent or traffic status the query states
(behaviour.py, intent.py, traffic.py). The searcher keeps one `Classification` per open index
and asks it for a code's parent categories' names (hierarchy.py) and, for a query stating a
behaviour or intent, for the counterparts of the best candidates of other blocks
(counterparts.py); it hands over a way to read a document's head by key and gets candidates back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from medcodes.index.fields import names_text
from medcodes.pipeline.codes import ICD10CM
from medcodes.pipeline.records import CodePage
from medcodes.queries.expand.concepts import Concept
from medcodes.queries.icd10cm.behaviour import code_behaviour, stated_behaviour
from medcodes.queries.icd10cm.counterparts import AXES, counterpart_keys, site_text
from medcodes.queries.icd10cm.hierarchy import parent_keys
from medcodes.queries.icd10cm.intent import code_intent, stated_intent
from medcodes.queries.icd10cm.traffic import stated_traffic, traffic_agreement
from medcodes.queries.rerank.candidate import Candidate

# The document number and head of a document key, or None (the searcher's reader).
HeadOfKey = Callable[[str], tuple[int, CodePage] | None]
# The best re-ranked neoplasm codes whose sites are looked up under the other behaviours.
COUNTERPART_ANCHORS = 5
# Parents' and candidates' texts kept: the candidates of related queries overlap.
_PARENT_CACHE = 20000
_CANDIDATE_CACHE = 8192


@dataclass(frozen=True)
class StatedAxes:
    """The classification axes a query states: neoplasm behaviour, external-cause intent, traffic."""

    behaviour: str | None
    intent: str | None
    traffic: str | None

    def agreement(self, page: CodePage, title_terms: frozenset[str]) -> float:
        """-1 for a code of another behaviour or intent block than the query states (the
        classification's first axis, which no wealth of site or object words makes up for),
        plus how its title's traffic status fits the query's (traffic.py)."""
        disagrees = any(
            stated is not None and own is not None and own != stated
            for stated, own in (
                (self.behaviour, code_behaviour(page.system, page.code)),
                (self.intent, code_intent(page.system, page.code)),
            )
        )
        return (-1.0 if disagrees else 0.0) + traffic_agreement(self.traffic, title_terms)


def stated_axes(concepts: Iterable[Concept]) -> StatedAxes:
    concepts = tuple(concepts)
    return StatedAxes(stated_behaviour(concepts), stated_intent(concepts), stated_traffic(concepts))


class Classification:
    """ICD-10-CM's hierarchy and counterparts over one open index.

    `parents`: False leaves out the parent categories' names (bench/ablation.py weighs them).
    """

    def __init__(self, head_of_key: HeadOfKey, *, parents: bool = True) -> None:
        self._head_of_key = head_of_key
        self._parents_on = parents
        self._parents: dict[str, str] = {}  # key -> a category's title and names
        self._inherited: dict[str, str] = {}  # key -> inherited(page)

    def inherited(self, page: CodePage) -> str:
        """Titles and other names of the categories above an ICD-10-CM code (E11.9: E11): as in
        the tabular list, a category's inclusion terms hold for its subcodes."""
        if not self._parents_on:
            return ""
        known = self._inherited.get(page.key)
        if known is None:
            if len(self._inherited) > _CANDIDATE_CACHE:
                self._inherited.clear()
            known = self._inherited[page.key] = self._parents_text(page)
        return known

    def counterparts(
        self, ranked: Sequence[tuple[Candidate, float]], concepts: tuple[Concept, ...]
    ) -> dict[str, tuple[int, Candidate]]:
        """For a query stating a neoplasm behaviour or an external cause's intent: the codes of
        that block for the sites or objects of the best candidates of other blocks, each named
        by the site words of the anchors it stands for; by key, with its document number.

        `ranked`: the candidates, best first, each with its score without the axes' agreement
        (how well it names the site). A counterpart already among them comes back re-named.
        """
        axis = next(((s, block) for stated, block in AXES if (s := stated(concepts))), None)
        if axis is None:
            return {}
        stated, code_block = axis
        by_key = {candidate.page.key: candidate for candidate, _ in ranked}
        anchors = []
        for candidate, site_fit in ranked:
            own = code_block(candidate.page.system, candidate.page.code)
            if own is not None and own != stated:
                anchors.append((site_fit, candidate.page.key))
        lent: dict[str, list[str]] = {}
        for _, key in sorted(anchors, key=lambda a: (-a[0], a[1]))[:COUNTERPART_ANCHORS]:
            anchor = by_key[key]
            site = site_text(f"{anchor.page.title}\n{anchor.names}\n{anchor.inherited}")
            for other in counterpart_keys(anchor.page.system, anchor.page.code):
                if code_block(ICD10CM, other.split(":", 1)[1]) == stated:
                    lent.setdefault(other, []).append(site)
        found: dict[str, tuple[int, Candidate]] = {}
        for key, sites in lent.items():
            head = self._head_of_key(key)
            if head is None:
                continue
            docnum, page = head
            own_candidate = by_key.get(key)
            inherited = own_candidate.inherited if own_candidate else self.inherited(page)
            first_stage = own_candidate.first_stage if own_candidate else 0.0
            terms = own_candidate.found if own_candidate else frozenset()
            lent_names = "\n".join([inherited, *sites])
            found[key] = (docnum, Candidate(page, names_text(page), first_stage, lent_names, terms))
        return found

    def _parents_text(self, page: CodePage) -> str:
        texts = []
        for key in parent_keys(page.system, page.code):
            if key not in self._parents:
                if len(self._parents) > _PARENT_CACHE:
                    self._parents.clear()
                head = self._head_of_key(key)
                self._parents[key] = f"{head[1].title}\n{names_text(head[1])}" if head else ""
            texts.append(self._parents[key])
        return "\n".join(t for t in texts if t)
