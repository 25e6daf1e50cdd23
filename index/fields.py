"""The one place that names the index's fields and their weights (engine-neutral).

Each token is indexed once: a section's words go into that section's field only, and a search
across all sections ORs the section fields at query time instead of reading a catch-all copy
(measured in issue 2's note: the copy doubles indexing time for no ranking gain). How the
fields are analyzed and stored is the engine's (medcodes.index.engine.schema).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medcodes.index.store import SchemaMismatchError
from medcodes.pipeline.codes import ICD10CM
from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sections import SECTION_NAMES, is_names_section

# Bump when fields or analyzers change: an index of another version must be rebuilt.
SCHEMA_VERSION = 4  # 3: one-pass text fields with compact positions, records as JSON text; 4: heads

KEY = "key"
SYSTEM = "system"
CODE = "code"
TITLE = "title"
NAMES = "names"  # alternative names: common names, technical terms
OTHER = "other"  # sections under headings the parser does not know
RECORD = "record"
HEAD = "head"  # per-document column: what re-ranking reads (record_codec.encode_head)
# The distinct unstemmed words that name a code (title, alternative names, name block): the
# vocabulary that claim abbreviations ("encntr", "clsn", "femr") are matched against. Only its
# lexicon is read; a stemmed field cannot say that "encntr" abbreviates "encounter" ("encount").
WORDS = "words"
# The 7th character of a 7-character ICD-10-CM code (A initial encounter, D subsequent, S sequela,
# G delayed healing…): CMS abbreviated titles write it as "7thG".
SEVENTH = "seventh"
NAMING_FIELDS: tuple[str, ...] = (TITLE, NAMES, "name")  # "name": the "Name of the Procedure" block
SECTION_FIELDS: tuple[str, ...] = SECTION_NAMES
TEXT_FIELDS: tuple[str, ...] = (TITLE, NAMES, *SECTION_FIELDS, OTHER)
# The fields that keep word positions, where a "phrase" can match: the text fields only. A code
# or a system is one token, so a phrase scoped to one is read as its words (queries/parse).
PHRASE_FIELDS: frozenset[str] = frozenset(TEXT_FIELDS)

# Query-time weight of a match in each text field: the title names the code, the "name" block
# restates it, the summary describes it, the other sections mention things around it.
FIELD_WEIGHTS: dict[str, float] = {
    TITLE: 4.0,
    NAMES: 3.0,
    "name": 2.5,
    "summary": 1.5,
    "purpose": 1.2,
    "indications": 1.2,
    "procedure": 1.0,
    "risks": 1.0,
    "preparation": 0.8,
    "duration": 0.5,
    "setting": 0.6,
    "personnel": 0.6,
    "benefits": 0.8,
    "recovery": 0.8,
    "alternatives": 0.5,
    "experience": 0.6,
    OTHER: 0.6,
}

# Tokens of one character are kept: doses and sizes ("1 mg" vs "2 mg", "type I") tell codes apart.
TEXT_MINSIZE = 1


def check_schema_version(root: Path, meta: dict[str, Any]) -> None:
    """SchemaMismatchError unless the generation's metadata `meta` records SCHEMA_VERSION."""
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise SchemaMismatchError(root, meta.get("schema_version"), SCHEMA_VERSION)


def field_for_section(name: str) -> str:
    """Known sections have their own field; an "Also known as" list is names; others go to OTHER."""
    if is_names_section(name):
        return NAMES
    return name if name in SECTION_FIELDS else OTHER


def names_text(page: CodePage) -> str:
    """A page's other names: its alternative-name labels and any "Also known as" list."""
    lists = [*page.alt_names, *(s.text for s in page.sections if is_names_section(s.name))]
    return "\n".join(lists)


def seventh_character(system: str, code: str) -> str | None:
    """The 7th character of an ICD-10-CM code that has one, lower-cased."""
    bare = code.replace(".", "")
    return bare[6].lower() if system == ICD10CM and len(bare) == 7 else None
