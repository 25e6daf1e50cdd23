"""Reference points for bench/run.py: the naive pipeline, SQLite FTS5 and tantivy.

- The naive pipeline is what a first version would do: BeautifulSoup with Python's html.parser,
  every section indexed twice (its own field and a catch-all), one process that parses and
  writes, Whoosh's default StemmingAnalyzer.
- FTS5 and tantivy index the same records medcodes indexes (title and one column per section),
  read from a JSON-lines dump, so their times are indexing only.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema

from medcodes.pipeline.records import CodePage
from medcodes.pipeline.sections import SECTION_NAMES, section_for_heading

NAIVE_SECTIONS = (*SECTION_NAMES, "other")


def naive_schema() -> Schema:
    analyzer = StemmingAnalyzer()
    fields = {name: TEXT(analyzer=analyzer) for name in NAIVE_SECTIONS}
    return Schema(
        key=ID(unique=True, stored=True),
        title=TEXT(analyzer=analyzer, stored=True),
        everything=TEXT(analyzer=analyzer),
        record=STORED(),
        **fields,
    )


def naive_page(path: Path) -> dict[str, str]:
    """Title and sections of one page, the straightforward way (html.parser, text split by lines)."""
    data = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix.lower().startswith(".htm"):
        soup = BeautifulSoup(data, "html.parser")
        heading = soup.find("h1")
        lines = [(tag.name, tag.get_text(" ", strip=True)) for tag in soup.find_all(["h2", "h3", "p", "li"])]
        title = heading.get_text(strip=True) if heading else path.stem
    else:
        rows = [line.strip() for line in data.splitlines() if line.strip()]
        title = rows[1] if len(rows) > 1 else path.stem
        lines = [("h2" if section_for_heading(row) else "p", row) for row in rows[3:]]
    sections: dict[str, list[str]] = {}
    current = "other"
    for tag, text in lines:
        if tag in ("h2", "h3"):
            current = section_for_heading(text) or "other"
        else:
            sections.setdefault(current, []).append(re.sub(r"^[-•]\s*", "", text))
    return {"key": path.stem, "title": title, **{k: "\n".join(v) for k, v in sections.items()}}


def naive_ingest(files: list[Path], index_dir: Path) -> float:
    """Parse and index `files` one by one in this process; returns seconds."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True)
    ix = whoosh_index.create_in(str(index_dir), naive_schema())
    writer = ix.writer(limitmb=256)
    for path in files:
        doc = naive_page(path)
        sections = [doc[name] for name in NAIVE_SECTIONS if name in doc]
        writer.add_document(everything="\n".join(sections), record=json.dumps(doc), **doc)
    writer.commit()
    return time.perf_counter() - started


def dump_records(pages: Iterator[CodePage], path: Path) -> int:
    """Write records as JSON lines (title + sections) for the FTS5 and tantivy references."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for page in pages:
            doc = {"key": page.key, "title": page.title}
            for section in page.sections:
                name = section.name if section.name in SECTION_NAMES else "other"
                doc[name] = f"{doc[name]}\n{section.text}" if name in doc else section.text
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    return count


def _records(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def fts5_ingest(records: Path, db_path: Path) -> tuple[float, sqlite3.Connection]:
    """Index the records into an FTS5 table (porter stemmer); returns seconds and the connection."""
    started = time.perf_counter()
    db = sqlite3.connect(db_path)
    columns = ", ".join(["key UNINDEXED", "title", *NAIVE_SECTIONS])
    db.execute(f"CREATE VIRTUAL TABLE pages USING fts5({columns}, tokenize='porter')")
    names = ["key", "title", *NAIVE_SECTIONS]
    marks = ", ".join("?" for _ in names)
    with db:
        rows = ([doc.get(n, "") for n in names] for doc in _records(records))
        db.executemany(f"INSERT INTO pages VALUES ({marks})", rows)
    return time.perf_counter() - started, db


def fts5_search(db: sqlite3.Connection, words: list[str], limit: int = 10) -> list[str]:
    """BM25 (title weight 2) over an OR of the words, with a snippet, as medcodes answers."""
    query = " OR ".join('"' + w.replace('"', "") + '"' for w in words if w)
    if not query:
        return []
    weights = ", ".join(["0", "2", *(["1"] * len(NAIVE_SECTIONS))])
    rows = db.execute(
        f"SELECT key, snippet(pages, -1, '[', ']', '…', 12) FROM pages WHERE pages MATCH ? "
        f"ORDER BY bm25(pages, {weights}) LIMIT ?",
        (query, limit),
    ).fetchall()
    return [row[0] for row in rows]


def tantivy_ingest(records: Path, index_dir: Path) -> tuple[float, object]:
    """Index the records with tantivy (en_stem); returns seconds and the index."""
    import tantivy

    started = time.perf_counter()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    for name in ("title", *NAIVE_SECTIONS):
        builder.add_text_field(name, stored=name == "title", tokenizer_name="en_stem")
    schema = builder.build()
    index_dir.mkdir(parents=True)
    index = tantivy.Index(schema, path=str(index_dir))
    writer = index.writer()
    for doc in _records(records):
        writer.add_document(tantivy.Document(**{k: [v] for k, v in doc.items()}))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return time.perf_counter() - started, index


def tantivy_search(index: object, words: list[str], limit: int = 10) -> list[str]:
    searcher = index.searcher()  # type: ignore[attr-defined]
    text = " ".join(re.sub(r"[^\w]", " ", w) for w in words).strip()
    if not text:
        return []
    query = index.parse_query(text, ["title", *NAIVE_SECTIONS])  # type: ignore[attr-defined]
    hits = searcher.search(query, limit).hits
    return [searcher.doc(address)["key"][0] for _, address in hits]
