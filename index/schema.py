"""The one place that names the index's fields, analyzers and weights.

Each token is indexed once: a section's words go into that section's field only, and a search
across all sections ORs the section fields at query time instead of reading a catch-all copy
(measured in issue 2's note: the copy doubles indexing time for no ranking gain).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh.analysis import RegexTokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema

from medcodes.index.record_codec import encode_head, encode_record
from medcodes.index.store import SchemaMismatchError
from medcodes.index.text_fields import StemmedText, stemming_analyzer
from medcodes.pipeline.codes import ICD10CM, code_forms
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
# What a text field's words index as (medcodes.index.text_fields indexes the same terms in one pass), for
# query planning, snippets and highlights; one object, with an unbounded stem cache.
TEXT_ANALYZER = stemming_analyzer(TEXT_MINSIZE)
# Surface words, as written: lower-cased, not stemmed, no stop list.
WORD_TOKENIZER = RegexTokenizer()


def check_schema_version(root: Path, meta: dict[str, Any]) -> None:
    """SchemaMismatchError unless the generation's metadata `meta` records SCHEMA_VERSION."""
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise SchemaMismatchError(root, meta.get("schema_version"), SCHEMA_VERSION)


def build_schema() -> Schema:
    text = {name: StemmedText(minsize=TEXT_MINSIZE, phrase=True) for name in TEXT_FIELDS}
    return Schema(
        key=ID(unique=True, stored=True, sortable=True),
        system=ID(stored=True, sortable=True),
        code=KEYWORD(lowercase=True, scorable=True),
        words=KEYWORD(lowercase=True),
        seventh=ID(),
        record=STORED(),
        head=COLUMN(VarBytesColumn()),
        **text,
    )


def field_for_section(name: str) -> str:
    """Known sections have their own field; an "Also known as" list is names; others go to OTHER."""
    if is_names_section(name):
        return NAMES
    return name if name in SECTION_FIELDS else OTHER


def page_to_document(page: CodePage) -> dict[str, Any]:
    """The Whoosh document of a page: searchable fields plus the compressed record."""
    doc: dict[str, Any] = {
        KEY: page.key,
        SYSTEM: page.system,
        CODE: " ".join(code_forms(page.code)),
        TITLE: page.title,
        RECORD: encode_record(page),
        HEAD: encode_head(page),
    }
    for section in page.sections:
        fieldname = field_for_section(section.name)
        if fieldname != NAMES:
            doc[fieldname] = f"{doc[fieldname]}\n{section.text}" if fieldname in doc else section.text
    if names := names_text(page):
        doc[NAMES] = names
    doc[WORDS] = " ".join(naming_words(doc.get(name, "") for name in NAMING_FIELDS))
    if seventh := seventh_character(page.system, page.code):
        doc[SEVENTH] = seventh
    return doc


def names_text(page: CodePage) -> str:
    """A page's other names: its alternative-name labels and any "Also known as" list."""
    lists = [*page.alt_names, *(s.text for s in page.sections if is_names_section(s.name))]
    return "\n".join(lists)


def naming_words(texts: Iterable[str]) -> list[str]:
    """The distinct lower-case words of the texts that name a code, sorted."""
    return sorted({token.text.lower() for text in texts for token in WORD_TOKENIZER(text)})


def seventh_character(system: str, code: str) -> str | None:
    """The 7th character of an ICD-10-CM code that has one, lower-cased."""
    bare = code.replace(".", "")
    return bare[6].lower() if system == ICD10CM and len(bare) == 7 else None
