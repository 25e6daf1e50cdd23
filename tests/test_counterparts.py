"""Classification axes a query states (neoplasm behaviour, external-cause intent, traffic) and
the counterparts of a site or object across behaviour and intent blocks: the generator on
tabular rows written here, the shipped table, and search over a small ICD-10-CM corpus."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from medcodes.index.build import ingest
from medcodes.queries.expand.concepts import TRUNCATION, Alternative, Concept, concepts_for
from medcodes.queries.icd10cm.behaviour import (
    BENIGN,
    IN_SITU,
    PRIMARY,
    SECONDARY,
    code_behaviour,
    stated_behaviour,
)
from medcodes.queries.icd10cm.counterparts import counterpart_keys, site_text
from medcodes.queries.icd10cm.intent import (
    ACCIDENT,
    ASSAULT,
    SELF_HARM,
    UNDETERMINED,
    code_intent,
    stated_intent,
)
from medcodes.queries.icd10cm.traffic import (
    NONTRAFFIC,
    TRAFFIC,
    WHETHER_FIT,
    stated_traffic,
    traffic_agreement,
)
from medcodes.queries.search import Searcher

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _row(code: str, description: str, parent: str | None, chapter: str, block: str, **extra: object) -> dict:
    bare = code.replace(".", "")
    return {
        "code": bare,
        "code_dot": code,
        "description": description,
        "parent": parent.replace(".", "") if parent else None,
        "chapter": chapter,
        "block": block,
        **extra,
    }


ROWS = [
    _row("C16", "Malignant neoplasm of stomach", None, "2", "C15-C26"),
    _row("C16.4", "Malignant neoplasm of pylorus", "C16", "2", "C15-C26", inclusionTerm=["Pyloric canal"]),
    _row("C06", "Malignant neoplasm of other and unspecified parts of mouth", None, "2", "C00-C14"),
    _row(
        "C06.0", "Malignant neoplasm of cheek mucosa", "C06", "2", "C00-C14", inclusionTerm=["Buccal mucosa"]
    ),
    _row("C78", "Secondary malignant neoplasm of respiratory and digestive organs", None, "2", "C76-C80"),
    _row("C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct", "C78", "2", "C76-C80"),
    _row("C78.89", "Secondary malignant neoplasm of other digestive organs", "C78", "2", "C76-C80"),
    _row("C79", "Secondary malignant neoplasm of other and unspecified sites", None, "2", "C76-C80"),
    _row("C79.89", "Secondary malignant neoplasm of other specified sites", "C79", "2", "C76-C80"),
    _row("D00", "Carcinoma in situ of oral cavity, esophagus and stomach", None, "2", "D00-D09"),
    _row("D00.2", "Carcinoma in situ of stomach", "D00", "2", "D00-D09"),
    _row("D13", "Benign neoplasm of other and ill-defined parts of digestive system", None, "2", "D10-D36"),
    _row("D13.1", "Benign neoplasm of stomach", "D13", "2", "D10-D36"),
    _row("X15", "Contact with hot household appliances", None, "20", "X10-X19"),
    _row("X15.2", "Contact with hotplate", "X15", "20", "X10-X19"),
    _row("W86", "Exposure to other specified electric current", None, "20", "W85-W99"),
    _row("X77", "Intentional self-harm by steam, hot vapors and hot objects", None, "20", "X71-X83"),
    _row("X77.3", "Intentional self-harm by hot household appliances", "X77", "20", "X71-X83"),
    _row("X83", "Intentional self-harm by other specified means", None, "20", "X71-X83"),
    _row("X83.8", "Intentional self-harm by other specified means", "X83", "20", "X71-X83"),
    _row("T30.0", "Burn of unspecified body region, unspecified degree", None, "19", "T20-T32"),
    _row(
        "V44", "Car occupant injured in collision with heavy transport vehicle or bus", None, "20", "V40-V49"
    ),
    _row(
        "V44.0",
        "Car driver injured in collision with heavy transport vehicle or bus in nontraffic accident",
        "V44",
        "20",
        "V40-V49",
    ),
    _row(
        "V44.5",
        "Car driver injured in collision with heavy transport vehicle or bus in traffic accident",
        "V44",
        "20",
        "V40-V49",
    ),
]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("code", "behaviour"),
    [("C16.4", PRIMARY), ("C78.89", SECONDARY), ("D00.2", IN_SITU), ("D13.1", BENIGN), ("C7A.00", None)],
    ids=["primary", "secondary", "in-situ", "benign", "by-morphology"],
)
def test_a_neoplasm_code_has_the_behaviour_of_its_block(code: str, behaviour: str | None) -> None:
    assert code_behaviour("icd10cm", code) == behaviour
    assert code_behaviour("hcpcs", code) is None


@pytest.mark.parametrize(
    ("text", "behaviour"),
    [
        ("secondary malignant neoplasm of pylorus", SECONDARY),
        ("metastatic liver", SECONDARY),
        ("carcinoma in situ of stomach", IN_SITU),
        ("malignant neoplasm of stomach", PRIMARY),
        ("benign neoplasm of stomach", BENIGN),
        ("neoplasm of hip", None),
    ],
)
def test_a_query_states_a_behaviour(text: str, behaviour: str | None) -> None:
    assert stated_behaviour(concepts_for(text, None)) == behaviour


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("burn hotplate suicide", SELF_HARM),
        ("struck by blunt object, homicide", ASSAULT),
        ("discharge firearm stated as undetermined whether accidental or intentional", UNDETERMINED),
        ("contact with hotplate", None),
    ],
)
def test_a_query_states_an_intent(text: str, intent: str | None) -> None:
    assert stated_intent(concepts_for(text, None)) == intent


def test_an_external_cause_has_the_intent_of_its_block() -> None:
    assert [code_intent("icd10cm", c) for c in ("X15.2", "X77.3", "Y04.0", "Y27.3", "T71.162")] == [
        ACCIDENT,
        SELF_HARM,
        ASSAULT,
        UNDETERMINED,
        None,
    ]


@pytest.mark.parametrize(
    ("stated", "title", "agreement"),
    [
        (None, "car driver in nontraffic accident", -1.0),
        (None, "car driver in traffic accident", 0.0),
        (None, "pedestrian, unspecified whether traffic or nontraffic accident", WHETHER_FIT),
        (NONTRAFFIC, "car driver in traffic accident", -1.0),
        (NONTRAFFIC, "car driver in nontraffic accident", 0.0),
        (TRAFFIC, "car driver in nontraffic accident", -1.0),
        (None, "fall from ladder", 0.0),
    ],
)
def test_traffic_is_assumed_unless_stated(stated: str | None, title: str, agreement: float) -> None:
    terms = frozenset(term for c in concepts_for(title, None) for term in c.best.terms)
    assert traffic_agreement(stated, terms) == agreement


def test_a_shortened_nontraffic_still_states_it() -> None:
    concept = Concept("nontraf", (Alternative(("nontraff",), 0.8, TRUNCATION, "nontraffic"),))
    assert stated_traffic([concept]) == NONTRAFFIC


def test_generator_climbs_to_the_site_another_block_names(tmp_path: Path) -> None:
    generator = _load("make_counterparts")
    table = generator.build(ROWS)
    # Pylorus: stomach in situ and benign; as a secondary, the residual of its organ system.
    assert {"D00.2", "D13.1", "C78.89"} <= set(table["C16.4"])
    assert "C78.7" not in table["C16.4"]
    # Mouth names no secondary site and its block no organ system: other specified sites.
    assert {"C79", "C79.89"} <= set(table["C06.0"])
    # External causes across intents: hotplate is a hot household appliance.
    assert table["X15.2"] == ["X77.3"]
    assert set(table["W86"]) == {"X83", "X83.8"}
    out = tmp_path / "counterparts.tsv"
    source = tmp_path / "icd.jsonl"
    source.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
    assert generator.main(["--icd10cm", str(source), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert "C16.4\tC78.89|D00.2|D13.1" in lines and "X15.2\tX77.3" in lines


def test_shipped_table_and_site_text() -> None:
    assert "icd10cm:C78.89" in counterpart_keys("icd10cm", "C16.4")
    assert "icd10cm:X77.3" in counterpart_keys("icd10cm", "X15.2")
    assert counterpart_keys("hcpcs", "C16.4") == ()
    assert site_text("Malignant neoplasm of pylorus").split() == ["of", "pylorus"]
    assert site_text("Intentional self-harm by hotplate").split() == ["by", "hotplate"]


@pytest.fixture(scope="module")
def icd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rows above rendered by bench/make_corpus.py and ingested."""
    make_corpus = _load("make_corpus")
    folder = tmp_path_factory.mktemp("icd")
    hcpcs, icd = folder / "hcpcs.csv", folder / "icd.jsonl"
    hcpcs.write_text("code,kind,active,long_description\n")
    icd.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
    make_corpus.main(["--hcpcs", str(hcpcs), "--icd10cm", str(icd), "--out", str(folder / "corpus")])
    ingest([str(folder / "corpus")], folder / "ix", workers=1)
    return folder / "ix"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("secondary malignant neoplasm of pylorus", "C78.89"),  # found through its anchor C16.4
        ("benign neoplasm of pyloric canal", "D13.1"),  # the anchor's inclusion term
        ("malignant neoplasm of pylorus", "C16.4"),
        ("secondary malignant neoplasm of buccal mucosa", "C79.89"),
        ("burn hotplate suicide", "X77.3"),
        ("contact with hotplate", "X15.2"),
        ("car driver collision bus", "V44.5"),  # traffic unless stated
        ("car driver collision bus nontraffic", "V44.0"),
    ],
)
def test_search_follows_the_stated_axes(icd_index: Path, text: str, first: str) -> None:
    with Searcher(icd_index) as searcher:
        assert searcher.search(text).hits[0].code == first
