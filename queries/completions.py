"""As-you-type completions of a partial query (`Searcher.suggest`, the server's /suggest).

A keystroke must cost far less than a search, so nothing here ranks pages: code prefixes are a
walk of the CODE lexicon (`J92` → J9201, J9202…; `E11.` → E11.0…), and the last word is a
prefix of naming words (the WORDS lexicon: title, other names, name block), commonest word
first; `inotuz` → inotuzumab. When no word begins with it, words whose beginning is within the
allowed typing mistakes of it are tried (as search corrects whole words). The words typed before
the last one narrow the pages to those named with them too. What is read per page is its head
column (record_codec.encode_head), for at most MAX_PAGES_READ pages. What was read of a word's
pages and of a page's head is kept for the generation (queries/completion_tables.py), so a word
typed again costs no posting or head read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from medcodes.index.engine.searcher import IndexSearcher
from medcodes.pipeline.records import CodePage
from medcodes.queries.completion_tables import CompletionTables, Named
from medcodes.queries.expand.vocabulary import Vocabulary

DEFAULT_SUGGESTIONS = 8
MAX_SUGGESTIONS = 50
# Words tried for the last, partial word: the commonest completions of it.
MAX_WORDS = 6
# Code terms walked for a code prefix (each code is in the lexicon dotted and undotted).
MAX_CODE_TERMS = 400
# Page heads read per keystroke: the bound that keeps a suggestion cheap on any index size.
MAX_PAGES_READ = 150
# A token with a digit is read as the start of a code (99, J92, E11.).
_CODEISH = re.compile(r"^[A-Za-z]?\d[0-9A-Za-z.]*$|^[A-Za-z]\d?$")
_TOKEN = re.compile(r"[\w.]+")

CODE_KIND = "code"
WORD_KIND = "word"


@dataclass(frozen=True)
class Completion:
    """One suggestion: a page, why it was suggested, and what of it matched what was typed."""

    code: str
    system: str
    title: str
    kind: str  # CODE_KIND: the code begins with what was typed; WORD_KIND: its names hold the words
    completion: str  # the code or word that completed the last token
    highlights: tuple[tuple[int, int], ...]  # (start, end) of matched words within `title`
    code_highlights: tuple[tuple[int, int], ...]  # (start, end) of the typed prefix within `code`

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "system": self.system,
            "title": self.title,
            "kind": self.kind,
            "completion": self.completion,
            "highlights": [list(span) for span in self.highlights],
            "code_highlights": [list(span) for span in self.code_highlights],
        }


def complete(
    searcher: IndexSearcher,
    vocabulary: Callable[[], Vocabulary],
    head: Callable[[int], CodePage],
    text: str,
    systems: tuple[str, ...] = (),
    limit: int = DEFAULT_SUGGESTIONS,
    tables: CompletionTables | None = None,
) -> list[Completion]:
    """Completions of `text`, codes first when its one token looks like the start of a code.

    `vocabulary` is called only for words (a code prefix never loads it); `head` reads a page's
    head by document number; `tables` keeps what was read for the generation (without them,
    everything is read afresh).
    """
    tokens = _TOKEN.findall(text.lower())
    if not tokens or limit < 1:
        return []
    reading = _Reading(searcher, head, tables or CompletionTables(MAX_PAGES_READ))
    found: list[Completion] = []
    if len(tokens) == 1 and _CODEISH.match(tokens[0]):
        found = _code_completions(reading, tokens[0], systems, limit)
    if len(found) < limit and any(ch.isalpha() for ch in tokens[-1]):
        seen = {(c.system, c.code) for c in found}
        words = _word_completions(reading, vocabulary(), tokens, systems, limit - len(found), seen)
        found += words
    return found[:limit]


@dataclass(frozen=True)
class _Reading:
    """Where one suggestion reads pages from: the tables first, the searcher for the rest."""

    searcher: IndexSearcher
    head: Callable[[int], CodePage]
    tables: CompletionTables

    def named(self, docnum: int) -> Named:
        return self.tables.named(docnum, self.head)

    def all_pages(self, word: str) -> np.ndarray:
        return self.tables.all_pages(self.searcher, word)

    def first_pages(self, word: str, count: int) -> np.ndarray:
        return self.tables.first_pages(self.searcher, word, count)


def _code_completions(
    reading: _Reading,
    prefix: str,
    systems: tuple[str, ...],
    limit: int,
) -> list[Completion]:
    """Pages whose code (dotted or not) begins with `prefix`, in code order.

    The lexicon is sorted and a dotted form sorts before the undotted ones of its category
    ("e11.9" < "e119"), so the first codes walked are the first in code order: the walk stops
    once `limit` pages are found."""
    seen: set[int] = set()
    found: list[tuple[str, Completion]] = []
    terms = reading.tables.code_terms(reading.searcher, prefix)
    for count, term in enumerate(terms):
        if count >= MAX_CODE_TERMS or len(seen) >= MAX_PAGES_READ or len(found) >= limit:
            break
        for docnum in reading.tables.code_pages(reading.searcher, term).tolist():
            if docnum in seen:
                continue
            seen.add(docnum)
            page = reading.named(docnum)
            if systems and page.system not in systems:
                continue
            typed = _typed_span(page.code, prefix)
            found.append((page.code, _completion(page, CODE_KIND, page.code, (), typed)))
    found.sort(key=lambda pair: (pair[0].replace(".", ""), pair[0]))
    return [completion for _, completion in found[:limit]]


def _typed_span(code: str, prefix: str) -> tuple[tuple[int, int], ...]:
    """Where `prefix` (typed with or without the dot) covers the start of `code`."""
    at, typed = 0, 0
    while at < len(code) and typed < len(prefix):
        if code[at].lower() == prefix[typed]:
            typed += 1
        elif code[at] != ".":
            break
        at += 1
    return ((0, at),) if typed == len(prefix) else ()


def _word_completions(
    reading: _Reading,
    vocabulary: Vocabulary,
    tokens: list[str],
    systems: tuple[str, ...],
    limit: int,
    seen: set[tuple[str, str]],
) -> list[Completion]:
    """Pages named with a completion of the last token and with every earlier word (or its
    correction), commonest completion first; within one word, those whose title holds it first."""
    last = tokens[-1]
    # Each earlier word's forms, found once: a correction is a scan of the lexicon.
    earlier_forms = [_word_forms(vocabulary, token) for token in tokens[:-1]]
    allowed = _pages_named_with(reading, earlier_forms)
    if allowed is not None and not allowed.any():
        return []
    words = _last_word_candidates(vocabulary, last)
    earlier_words = [w for forms in earlier_forms for w in forms]
    found: list[Completion] = []
    read = 0
    for word in words:
        count = MAX_PAGES_READ - read
        if allowed is None:  # only the pages that may be read are decoded
            docnums = reading.first_pages(word, count)
            ranked = reading.tables.ranked(word, count, partial(_ranked, reading, word, docnums))
        else:
            docnums = reading.all_pages(word)
            docnums = docnums[allowed[docnums]]
            ranked = _ranked(reading, word, docnums[:count])
        read += min(len(docnums), count)
        # The ranked pages left out afterwards: what sorting only the others would give (stable).
        wanted = [
            page
            for page in ranked
            if (page.system, page.code) not in seen and not (systems and page.system not in systems)
        ]
        for page in wanted[: limit - len(found)]:
            spans = _title_spans(page.title, [*earlier_words, word])
            seen.add((page.system, page.code))
            found.append(_completion(page, WORD_KIND, word, spans, ()))
        if len(found) >= limit or read >= MAX_PAGES_READ:
            break
    return found[:limit]


def _ranked(reading: _Reading, word: str, docnums: np.ndarray) -> tuple[Named, ...]:
    """The pages whose title says `word` first, shorter (more general) titles before longer,
    in page order otherwise."""
    pages = [reading.named(docnum) for docnum in docnums.tolist()]
    return tuple(sorted(pages, key=lambda page: (0 if word in page.lowered else 1, len(page.title))))


def _last_word_candidates(vocabulary: Vocabulary, last: str) -> list[str]:
    """The word itself when it is one, then the commonest words it begins; failing those, the
    words that begin with something within the allowed typing mistakes of it."""
    words = [last] if vocabulary.is_word(last) else []
    words += [c.word for c in vocabulary.completions(last)]
    if not words:
        words = [c.word for c in vocabulary.prefix_corrections(last)]
    return words[:MAX_WORDS]


def _word_forms(vocabulary: Vocabulary, token: str) -> list[str]:
    """An earlier, finished word as the index names codes with it: itself, or its corrections."""
    if vocabulary.is_word(token):
        return [token]
    return [c.word for c in vocabulary.corrections(token)][:3]


def _pages_named_with(reading: _Reading, earlier_forms: list[list[str]]) -> np.ndarray | None:
    """A mask of the pages named with every earlier word (one of its forms); None when there
    is no earlier word. A word the index does not know (not even corrected) narrows nothing."""
    mask: np.ndarray | None = None
    for forms in earlier_forms:
        if not forms:
            continue
        holding = np.zeros(reading.searcher.doc_count_all(), dtype=bool)
        for form in forms:
            holding[reading.all_pages(form)] = True
        mask = holding if mask is None else mask & holding
    return mask


def _title_spans(title: str, words: list[str]) -> tuple[tuple[int, int], ...]:
    """The title's words that begin with one of `words`, as (start, end) spans."""
    spans = []
    for match in re.finditer(r"\w+", title):
        lower = match.group().lower()
        if any(lower.startswith(word) for word in words):
            spans.append((match.start(), match.end()))
    return tuple(spans)


def _completion(
    page: Named,
    kind: str,
    completed: str,
    spans: tuple[tuple[int, int], ...],
    code_spans: tuple[tuple[int, int], ...],
) -> Completion:
    return Completion(page.code, page.system, page.title, kind, completed, spans, code_spans)


__all__ = ["DEFAULT_SUGGESTIONS", "MAX_SUGGESTIONS", "Completion", "complete"]
