"""What a text becomes in the index, as plain functions: the engine's analyzers behind one door.

Queries, snippets and the re-ranker read words exactly as the index wrote them, so they ask
here rather than build an analyzer of their own. Two readings of a text:
- terms: tokenized, lower-cased, stop words dropped, Porter-stemmed (the text fields);
- words: tokenized as the index splits, as written (the naming vocabulary, synonym keys).
"""

from __future__ import annotations

import re

from whoosh.analysis import StemmingAnalyzer
from whoosh.analysis.filters import STOP_WORDS as _WHOOSH_STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang.porter import stem as _porter_stem

from medcodes.index.fields import TEXT_MINSIZE

# The words a text field does not index ("the", "of", "with"…).
STOP_WORDS: frozenset[str] = frozenset(_WHOOSH_STOP_WORDS)

_WORDS = re.compile(default_pattern.pattern, re.UNICODE)
# The same words without the pattern's group, so that findall returns whole words.
_PLAIN_WORDS = re.compile(default_pattern.pattern.replace("(", "(?:"), re.UNICODE)
# Per minimum size, every word seen in this process -> its term, "" for a word the text fields
# drop: the vocabulary of code pages is small.
_TERMS: dict[int, dict[str, str]] = {}
# Every word stem() was asked of in this process.
_STEMS: dict[str, str] = {}


def stemming_analyzer(minsize: int) -> StemmingAnalyzer:
    """The analyzer of a text field that keeps tokens of `minsize` characters or more."""
    return StemmingAnalyzer(minsize=minsize, cachesize=-1)


# One object, with an unbounded stem cache, for every query, snippet and highlight.
_TEXT_ANALYZER = stemming_analyzer(TEXT_MINSIZE)


def stem(word: str) -> str:
    """The Porter stem of one lower-case word ("sores" -> "sore")."""
    term = _STEMS.get(word)
    if term is None:
        term = _STEMS[word] = _porter_stem(word)
    return term


def text_terms(text: str) -> tuple[str, ...]:
    """The terms a text field indexes `text` as, in order ("Bed sores" -> ("bed", "sore"))."""
    return tuple(token.text for token in _TEXT_ANALYZER(text))


def term_spans(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) of every word of `text`, stop words included: where a term occurs."""
    return [
        (token.text, token.startchar, token.endchar)
        for token in _TEXT_ANALYZER(text, chars=True, removestops=False)
    ]


def words(text: str) -> list[str]:
    """The words of `text` as written, split where the index splits them ("w/o" -> "w", "o").

    The matches of Whoosh's RegexTokenizer's own expression, without its Token objects: the
    synonym tables split every row at a search's start (issue 16)."""
    return [match.group() for match in _WORDS.finditer(text)]


def stems(value: str, minsize: int = 2) -> tuple[int, list[str]]:
    """The terms StemmingAnalyzer(minsize=minsize) makes of `value`, in order, and the position
    of the first one; one regular expression pass and one cache lookup per word.

    Whoosh's StopFilter renumbers the words it keeps from the position of the first kept word,
    which is its place among all words ("The page…" puts "page" at 1), so that is kept too.
    """
    if value.isascii():
        # Lower-casing ASCII text first splits it as lower-casing each word after does.
        found = _PLAIN_WORDS.findall(value.lower())
    else:
        found = [match.group().lower() for match in _WORDS.finditer(value)]
    terms = _TERMS.get(minsize)
    if terms is None:
        terms = _TERMS[minsize] = {}
    out: list[str] = []
    first = 0
    for index, word in enumerate(found):
        term = terms.get(word)
        if term is None:
            term = terms[word] = "" if len(word) < minsize or word in STOP_WORDS else _porter_stem(word)
        if term:
            if not out:
                first = index
            out.append(term)
    return first, out


__all__ = ["STOP_WORDS", "stem", "stemming_analyzer", "stems", "term_spans", "text_terms", "words"]
