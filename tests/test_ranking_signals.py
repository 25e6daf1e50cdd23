"""What the re-ranker reads besides the names (issue 12), on an index of fixture pages written
for these tests (tests/ranking_pages): section evidence, "other" as a residual rule of
ICD-10-CM only, a code typed with words, the 7th character among siblings, the kind of code
system the words point to, lay words, brands, abbreviations both ways, possessives, numbers,
code-shaped words and words no page holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import hit_codes as codes

from medcodes.cli import cli
from medcodes.index.build import ingest
from medcodes.index.engine.searcher import IndexSearcher
from medcodes.index.reader import open_live
from medcodes.pipeline.records import CodePage, Section
from medcodes.queries.expand.abbreviations import read_table
from medcodes.queries.expand.concepts import analyze, concepts_for
from medcodes.queries.expand.synonyms import (
    LAY_TERMS_FILE,
    MAX_TERM_WORDS,
    brand_table,
    equivalents,
    generic_names,
    stemmed_key,
)
from medcodes.queries.rerank import system_evidence
from medcodes.queries.rerank.features import WEIGHTS, Candidate, features
from medcodes.queries.rerank.seventh import INITIAL, SEQUELA, SUBSEQUENT, seventh_agreement, stated_seventh
from medcodes.queries.rerank.system_evidence import DIAGNOSIS, PROCEDURE, SystemEvidence, system_fit
from medcodes.queries.search import Searcher

PAGES = Path(__file__).resolve().parent / "ranking_pages"


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ranking") / "index"
    report = ingest([str(PAGES)], root, workers=1)
    assert report.counts["rejected"] == 0
    return root


@pytest.fixture(scope="module")
def searcher(index_root: Path) -> Iterator[Searcher]:
    with Searcher(index_root) as opened:
        yield opened


# Section evidence -------------------------------------------------------------------------


HEARING_SCREEN = "beeps through headphones to check hearing"


def test_words_found_only_in_the_body_rank_the_page_that_describes_them(searcher: Searcher) -> None:
    """ "hearing" is in the hearing-aid title; "beeps", "headphones" only in the screening body."""
    assert codes(searcher.search(HEARING_SCREEN))[0] == "92551"


def test_section_evidence_is_what_lifts_the_body_match(searcher: Searcher) -> None:
    """Without section evidence the page sharing one title word would win: the weight matters."""
    text = HEARING_SCREEN
    plan_concepts = concepts_for(text, searcher.vocabulary)
    screening, hearing_aid = (searcher.page(f"{s}:{c}") for s, c in (("cpt", "92551"), ("hcpcs", "V5010")))
    assert screening is not None and hearing_aid is not None
    found = frozenset(t for t in analyze(text))  # both pages hold "hearing"; only 92551 the rest
    candidates = [
        Candidate(screening, "", 1.0, "", found),
        Candidate(hearing_aid, "", 1.0, "", frozenset(analyze("hearing"))),
    ]
    without = features(
        candidates, tuple(plan_concepts), searcher.vocabulary, dataclasses.replace(WEIGHTS, sections=0)
    )
    with_sections = features(candidates, tuple(plan_concepts), searcher.vocabulary)
    assert without[0].score() < without[1].score()
    assert with_sections[0].score() > with_sections[1].score()


# "Other" is a residual rule of ICD-10-CM -------------------------------------------------


def _page(system: str, code: str, title: str) -> CodePage:
    return CodePage(system, code, title, (Section("summary", title),))


def test_other_credits_only_icd10cm_residual_categories() -> None:
    """A word no candidate names points to an ICD-10-CM "other specified" code, never to a
    procedure whose title merely says "other" ("Office or other outpatient visit")."""
    concepts = tuple(concepts_for("heartburn symptom", None))
    residual = Candidate(
        _page("icd10cm", "R19.8", "Other specified symptoms of the digestive system"), "", 1.0
    )
    visit = Candidate(_page("cpt", "99212", "Office or other outpatient visit, symptom review"), "", 1.0)
    icd_found, cpt_found = features([residual, visit], concepts, None)
    assert icd_found.coverage > cpt_found.coverage


def test_a_procedure_saying_other_does_not_win_unrelated_queries(searcher: Searcher) -> None:
    assert "99212" not in codes(searcher.search("medicine for feeling queasy after radiation"))[:1]


# A code typed with words -------------------------------------------------------------------


@pytest.mark.parametrize(("query", "code"), [("J1626 nausea", "J1626"), ("J1100 hypertension", "J1100")])
def test_a_code_with_words_keeps_the_code_first(searcher: Searcher, query: str, code: str) -> None:
    assert codes(searcher.search(query))[0] == code


# The 7th character --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Torus fracture of lower end of right radius, 7thA", "S52.521A"),
        ("Torus fx lower end r radius, subs", "S52.521D"),
        ("Torus fracture right radius sqla", "S52.521S"),
        ("torus fracture right radius initial encounter", "S52.521A"),
    ],
    ids=["7thA", "subs", "sqla", "initial-encounter"],
)
def test_a_stated_7th_character_selects_among_siblings(searcher: Searcher, query: str, code: str) -> None:
    """The parent (S52.521) names every other word as well; the 7th character decides."""
    assert codes(searcher.search(query))[0] == code


def test_what_states_a_7th_character() -> None:
    assert stated_seventh(concepts_for("fx of radius, 7thG", None)) == frozenset("g")
    assert stated_seventh(concepts_for("malpresentation of fetus, fts2", None)) == frozenset("2")
    assert stated_seventh(concepts_for("burn of hand, init", None)) == INITIAL
    assert stated_seventh(concepts_for("subsequent encounter", None)) == SUBSEQUENT
    assert stated_seventh(concepts_for("sequela", None)) == SEQUELA
    assert stated_seventh(concepts_for("initial office visit", None)) is None


def test_the_7th_character_only_sorts_when_a_sibling_has_it() -> None:
    assert seventh_agreement(frozenset("a"), ["a", "d", None]) == [0.0, -1.0, -1.0]
    assert seventh_agreement(frozenset("a"), ["d", None]) == [0.0, 0.0]
    assert seventh_agreement(None, ["a", "d"]) == [0.0, 0.0]


# The kind of code system the words point to --------------------------------------------------


def test_dose_words_point_to_procedures_and_encounter_words_to_diagnoses(
    index_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = open_live(index_root)
    with IndexSearcher(live.ix) as raw:
        # The fixture index is small: every word is in fewer than MIN_TITLES titles of a kind.
        assert SystemEvidence(raw).probabilities(analyze("injection mg")) == {DIAGNOSIS: 0.5, PROCEDURE: 0.5}
        monkeypatch.setattr(system_evidence, "MIN_TITLES", 1)
        evidence = SystemEvidence(raw)
        doses = evidence.probabilities(analyze("injection 20 mg"))
        encounters = evidence.probabilities(analyze("fracture radius subsequent encounter"))
        unknown = evidence.probabilities(analyze("zzqx"))
    live.ix.close()
    assert doses is not None and doses[PROCEDURE] > doses[DIAGNOSIS]
    assert encounters is not None and encounters[DIAGNOSIS] > encounters[PROCEDURE]
    assert unknown == {DIAGNOSIS: 0.5, PROCEDURE: 0.5}  # a word in no title is no evidence


def test_system_fit_is_zero_for_the_likelier_kind() -> None:
    odds = {DIAGNOSIS: 0.2, PROCEDURE: 0.8}
    assert system_fit(odds, "hcpcs") == 0.0
    assert system_fit(odds, "icd10cm") == pytest.approx(-0.75)
    assert system_fit(None, "icd10cm") == 0.0


# Words: lay terms, brands, abbreviations both ways, possessives, numbers --------------------


def test_lay_words_reach_the_clinical_page(searcher: Searcher) -> None:
    """No page says "jab" or "puking": the lay table reads them as injection and vomiting."""
    assert codes(searcher.search("jab to stop puking"))[0] == "J1626"


def test_a_lay_row_covers_every_inflection() -> None:
    """Keys are matched on stemmed words: one row serves "bed sore" and "bed sores"."""
    assert equivalents(("bed", "sores")) == equivalents(("bed", "sore")) == ("pressure ulcer",)
    assert equivalents(("drained",)) == equivalents(("draining",)) == ("drainage",)
    assert equivalents(("sleep",)) == ()  # "can't sleep" keeps its words: not every "sleep"


def test_every_lay_row_is_one_term_a_query_can_hold() -> None:
    """No two rows stem alike (one row per term), and none is longer than a query term."""
    keys = [row[0] for row in read_table(LAY_TERMS_FILE)]
    stemmed = [stemmed_key((key,)) for key in keys]
    assert len(set(stemmed)) == len(stemmed)
    assert all(len(key.split()) <= MAX_TERM_WORDS for key in stemmed)


def test_a_brand_missing_from_the_page_reaches_it_through_the_generic(searcher: Searcher) -> None:
    assert codes(searcher.search("Kytril"))[0] == "J1626"
    assert codes(searcher.search("Decadron"))[0] == "J1100"


def test_the_brand_table_is_broad() -> None:
    """Common brands beyond the CMS crosswalk: not only those of any query set."""
    assert generic_names(("Phenergan",)) == ("promethazine",)
    assert generic_names(("Lipitor",)) == ("atorvastatin",)
    assert len(brand_table()) > 1000


def test_abbreviations_work_both_ways(searcher: Searcher) -> None:
    """MI finds "myocardial infarction"; that and "heart attack" find "(prior MI)"."""
    assert set(codes(searcher.search("MI"))[:2]) == {"4008F", "I21.9"}
    assert "4008F" in codes(searcher.search("myocardial infarction"))[:2]
    assert codes(searcher.search("heart attack"))[0] == "I21.9"  # the synonym outweighs its abbreviation


def test_a_possessive_is_the_word() -> None:
    assert [c.best.terms for c in concepts_for("Crohn's disease", None)] == [("crohn",), ("diseas",)]


def test_possessive_query_finds_the_page(searcher: Searcher) -> None:
    assert codes(searcher.search("Crohn's"))[0] == "K50.90"
    assert codes(searcher.search("crohns disease"))[0] == "K50.90"


@pytest.mark.parametrize(("one", "other"), [("7 percent", "7%"), ("12-hour", "12 hours")])
def test_numbers_and_units_in_either_form(one: str, other: str) -> None:
    assert [c.best.terms for c in concepts_for(one, None)] == [
        c.best.terms for c in concepts_for(other, None)
    ]


def test_a_whole_number_meets_its_decimal_and_its_word(searcher: Searcher) -> None:
    assert codes(searcher.search("sugar result 9 percent"))[0] == "3046F"  # 9 meets "9.0%"
    assert [a.words for a in concepts_for("2", None)[0].alternatives] == ["2", "2.0", "two"]


# Code-shaped words and words no page holds ----------------------------------------------------


def test_a_code_shaped_word_that_names_no_code_is_a_word(searcher: Searcher) -> None:
    result = searcher.search("B12 shot")
    assert "no code 'B12' in the index: searched as a word" in result.notices
    assert codes(result)  # the other words still find pages, instead of an empty code listing


def test_a_code_shaped_word_that_names_a_code_stays_a_code(searcher: Searcher) -> None:
    result = searcher.search("S52")
    assert codes(result)[:4] == ["S52.521", "S52.521A", "S52.521D", "S52.521S"]
    assert not result.notices


def test_a_word_no_page_holds_is_named_in_a_notice(searcher: Searcher) -> None:
    result = searcher.search("zzqx injection")
    assert result.notices == ("no page has the word 'zzqx': the hits rest on the other words",)
    assert not searcher.search("granisetron injection").notices


def test_the_cli_prints_the_word_notices(index_root: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "B12 zzqx injection", "--index", str(index_root)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "note: no code 'B12' in the index: searched as a word",
        "note: no page has the word 'zzqx': the hits rest on the other words",
    ]


def test_a_short_token_that_only_begins_codes_is_a_word(searcher: Searcher) -> None:
    """T40.1X1A is in the index, so "T4" begins codes; two characters list no range: the word
    finds the thyroxine test that mentions T4, with the notice."""
    result = searcher.search("T4")
    assert "no code 'T4' in the index: searched as a word" in result.notices
    assert codes(result)[0] == "84436"


@pytest.mark.parametrize("stem", ["T40", "t40.1", "T40.1X1A"])
def test_a_category_long_stem_or_a_whole_code_lists_codes(searcher: Searcher, stem: str) -> None:
    result = searcher.search(stem)
    assert codes(result) == ["T40.1X1A"]
    assert not result.notices
