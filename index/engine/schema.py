"""The Whoosh schema of the index and the Whoosh document of a page.

The field names, weights and schema version are engine-neutral (medcodes.index.fields); how
each field is analyzed, stored and scored is decided here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema

from medcodes.index.engine.analysis import words
from medcodes.index.engine.text_fields import StemmedText
from medcodes.index.fields import (
    CODE,
    HEAD,
    KEY,
    NAMES,
    NAMING_FIELDS,
    PHRASE_FIELDS,
    RECORD,
    SEVENTH,
    SYSTEM,
    TEXT_FIELDS,
    TEXT_MINSIZE,
    TITLE,
    WORDS,
    field_for_section,
    names_text,
    seventh_character,
)
from medcodes.index.record_codec import encode_head, encode_record
from medcodes.pipeline.codes import code_forms
from medcodes.pipeline.records import CodePage


def build_schema() -> Schema:
    text = {name: StemmedText(minsize=TEXT_MINSIZE, phrase=name in PHRASE_FIELDS) for name in TEXT_FIELDS}
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


def naming_words(texts: Iterable[str]) -> list[str]:
    """The distinct lower-case words of the texts that name a code, sorted."""
    return sorted({word.lower() for text in texts for word in words(text)})


__all__ = ["build_schema", "naming_words", "page_to_document"]
