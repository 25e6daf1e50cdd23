"""The shared contract between ingest, index and queries: one scraped page as a record.

Frozen dataclasses, stdlib only, so that every later stage (and a library user) can rely on
the same shape without importing a parser or Whoosh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Label:
    """A labelled item inside a section ("Common Risks: Fever, nausea")."""

    name: str  # normalized key, e.g. "common_risks"
    text: str


@dataclass(frozen=True)
class Section:
    """One named part of a page; list items stay one per line in `text`."""

    name: str  # canonical name ("risks") or a slug of an unknown heading
    text: str
    labels: tuple[Label, ...] = ()
    heading: str = ""  # the heading as written on the page, "" when it was recovered


@dataclass(frozen=True)
class CodePage:
    """One code page: the unit that is parsed, indexed, searched and shown."""

    system: str
    code: str
    title: str
    sections: tuple[Section, ...]
    url: str | None = None
    source: str = ""
    alt_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # parser observations worth reporting (e.g. "title truncated")
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", hash_content(self))

    @property
    def key(self) -> str:
        """The unique id of the page's document: `system:code`."""
        return f"{self.system}:{self.code}"

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; `sections` maps name -> text in page order."""
        return {
            "system": self.system,
            "code": self.code,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "alt_names": list(self.alt_names),
            "sections": {s.name: s.text for s in self.sections},
            "labels": {
                s.name: {label.name: label.text for label in s.labels} for s in self.sections if s.labels
            },
            "headings": {s.name: s.heading for s in self.sections},
            "notes": list(self.notes),
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodePage:
        labels = data.get("labels", {})
        headings = data.get("headings", {})
        sections = tuple(
            Section(
                name=name,
                text=text,
                labels=tuple(Label(k, v) for k, v in labels.get(name, {}).items()),
                heading=headings.get(name, ""),
            )
            for name, text in data["sections"].items()
        )
        return cls(
            system=data["system"],
            code=data["code"],
            title=data["title"],
            sections=sections,
            url=data.get("url"),
            source=data.get("source", ""),
            alt_names=tuple(data.get("alt_names", ())),
            notes=tuple(data.get("notes", ())),
            content_hash=data.get("content_hash", ""),
        )


def hash_content(page: CodePage) -> str:
    """Hash what a reader sees (code, title, sections), not where the page came from.

    The same page saved twice, or fetched over http and https, hashes the same.
    """
    content = {
        "system": page.system,
        "code": page.code,
        "title": page.title,
        "alt_names": list(page.alt_names),
        "sections": [[s.name, s.text] for s in page.sections],
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]
