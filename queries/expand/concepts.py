"""Query words -> concepts: what each typed word may stand for in the index, and how surely.

A coder types "Inj", "encntr", "Keytruda", "injeciton" or "7thG"; the pages say injection,
encounter, pembrolizumab, injection, and a code whose 7th character is G. Each typed word
becomes a Concept: its alternatives are the analyzed index terms it may mean, each with a
weight (an exact word 1.0, a known abbreviation or brand nearly as much, a truncation, a
dropped-letter contraction or a typo less), so that exact matches rank above guessed ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from medcodes.index.engine.analysis import STOP_WORDS, text_terms
from medcodes.index.engine.analysis import words as split_words
from medcodes.index.fields import SEVENTH
from medcodes.queries.expand.abbreviations import abbreviations_of, expand_abbreviation
from medcodes.queries.expand.synonyms import MAX_TERM_WORDS, equivalents, generic_names
from medcodes.queries.expand.vocabulary import Candidate, Vocabulary

EXACT = "exact"
ABBREVIATION = "abbreviation"
BRAND = "brand"
SYNONYM = "synonym"
TRUNCATION = "truncation"
CONTRACTION = "contraction"
TYPO = "typo"
SEVENTH_CHARACTER = "seventh"

# Weights of the kinds of alternative: set by hand in this order of certainty (README, Ranking).
WEIGHTS = {
    EXACT: 1.0,
    ABBREVIATION: 0.95,
    BRAND: 0.95,
    SYNONYM: 0.9,
    SEVENTH_CHARACTER: 1.0,
    TRUNCATION: 0.8,
    CONTRACTION: 0.7,
    TYPO: 0.6,
}
# A guessed word's weight also shrinks with its rarity next to the commonest candidate.
RARITY_EXPONENT = 0.25
# Words this short are often abbreviations even when the index has them as words ("ped").
SHORT_WORD = 3
# …as long as the words they would stand for are this many times commoner than they are.
WORD_OVER_GUESS = 2

# A word typed without a space splits into two words of at least this length.
MIN_SPLIT_PART = 3

# "7thG", "fts2": CMS abbreviated titles name the 7th character of the code (the encounter, or
# the fetus of a multiple gestation).
_SEVENTH = re.compile(r"^(?:7th([a-z])|fts([0-9]))$", re.IGNORECASE)
# A word gluing a number to a unit ("4999cc", "60m") reads as two.
_NUMBER_UNIT = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_WHOLE = re.compile(r"^(\d+)(\.0+)?$")
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Words for a symbol the index drops ("%"): after a number they add nothing to search for.
_SYMBOL_WORDS = frozenset({"percent", "pct"})
# A possessive ("Crohn's", "child's") is the word itself, not the word and an "s".
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b", re.IGNORECASE)


@dataclass(frozen=True)
class Expansions:
    """Which sources may say what a typed word means besides the word itself (all by default;
    bench/ablation.py switches each off through medcodes.RankingWeights)."""

    abbreviations: bool = True  # the abbreviation table, both ways (queries/data/abbreviations.tsv)
    synonyms: bool = True  # brand names and synonyms (queries/expand/synonyms.py)
    guesses: bool = True  # truncations, contractions and typos read from the index's words


ALL_EXPANSIONS = Expansions()


@dataclass(frozen=True)
class Alternative:
    terms: tuple[str, ...]  # analyzed terms that must all match
    weight: float
    kind: str
    words: str  # the surface words it stands for (shown by --explain and "Did you mean")
    field: str | None = None  # a field of its own (SEVENTH), else the concept's fields


@dataclass(frozen=True)
class Concept:
    typed: str
    alternatives: tuple[Alternative, ...]

    @property
    def best(self) -> Alternative:
        return max(self.alternatives, key=lambda a: a.weight)

    @property
    def exact(self) -> bool:
        return any(a.kind == EXACT for a in self.alternatives)


@lru_cache(maxsize=16384)
def analyze(text: str) -> tuple[str, ...]:
    """The index terms of `text` (lower-cased, stop words dropped, stemmed); remembered, as a
    query analyzes the same typed words and table entries several times."""
    return text_terms(text)


def surface_tokens(text: str, expansions: Expansions = ALL_EXPANSIONS) -> list[str]:
    """The words of `text` as typed, split where the index splits them, keeping "w/o"-style
    abbreviations whole when the table knows them."""
    tokens: list[str] = []
    for chunk in _POSSESSIVE.sub("", text).split():
        if expansions.abbreviations and expand_abbreviation(chunk):
            tokens.append(chunk)
            continue
        for word in split_words(chunk):
            if (match := _NUMBER_UNIT.match(word)) and not _SEVENTH.match(word):
                tokens.extend(match.groups())
            elif word.lower() in _SYMBOL_WORDS and tokens and _NUMBER.match(tokens[-1]):
                continue  # "7 percent" is "7%", which the index keeps as "7"
            else:
                tokens.append(word)
    return tokens


def concepts_for(
    text: str,
    vocabulary: Vocabulary | None,
    *,
    capitals_mark: bool = True,
    expansions: Expansions = ALL_EXPANSIONS,
) -> list[Concept]:
    """Concepts of the words in `text`, in order; words with nothing to search are dropped.

    Without a vocabulary (no index at hand) only exact words, abbreviations and brands are read.
    `capitals_mark`: capitals tell an abbreviation from a word ("ALL" from "all"); False when the
    whole query is in capitals (queries/plan/query_plan.py, in_capitals), where they tell nothing.
    `expansions`: which sources may expand a word.
    """
    tokens = surface_tokens(text, expansions)
    concepts: list[Concept] = []
    index = 0
    while index < len(tokens):
        concept, used = _known_term(tokens, index, vocabulary, expansions)
        if concept is None:
            concept, used = concept_for(tokens[index], vocabulary, capitals_mark, expansions), 1
        if concept is not None and not any(same_meaning(concept, seen) for seen in concepts):
            concepts.append(concept)
        index += used
    return concepts


def same_meaning(a: Concept, b: Concept) -> bool:
    """Two typed forms of one word ("Burn, burned, burning" in an index entry) count once."""
    return a.best.terms == b.best.terms and a.best.field == b.best.field


def concept_for(
    token: str,
    vocabulary: Vocabulary | None,
    capitals_mark: bool = True,
    expansions: Expansions = ALL_EXPANSIONS,
) -> Concept | None:
    """The alternatives one typed word may mean."""
    if match := _SEVENTH.match(token):
        letter = (match.group(1) or match.group(2)).lower()
        return Concept(
            token, (Alternative((letter,), WEIGHTS[SEVENTH_CHARACTER], SEVENTH_CHARACTER, token, SEVENTH),)
        )
    if not any(ch.isalnum() for ch in token):
        return None  # "*" (of "*:*"), "&": punctuation is no word to search or to report missing
    alternatives: list[Alternative] = []
    terms = analyze(token)
    table = expand_abbreviation if expansions.abbreviations else _nothing
    meanings = table(token)
    if not terms and token.lower() in STOP_WORDS and not meanings:
        return None  # "the", "of": nothing to guess from
    if meanings and not any(analyze(e) for e in meanings):
        return None  # "w" is "with": a common word, nothing to search for
    # "ALL" in capitals is the leukemia, not the word "all" (abbreviations that are also words
    # are read as such only when typed in capitals) - unless the whole query is in capitals, as
    # remittance lines are ("EMERGENCY TRANSPORT, ALL INCLUSIVE"): there "ALL" is the word.
    capitals_only = bool(meanings) and not table(token.lower())
    if capitals_only and not capitals_mark:
        meanings, capitals_only = (), False
    if terms and not capitals_only and (vocabulary is None or all(vocabulary.known_term(t) for t in terms)):
        alternatives.append(Alternative(terms, WEIGHTS[EXACT], EXACT, token))
    for expansion in meanings:
        expanded = analyze(expansion)
        if expanded and (vocabulary is None or all(vocabulary.known_term(t) for t in expanded)):
            alternatives.append(Alternative(expanded, WEIGHTS[ABBREVIATION], ABBREVIATION, expansion))
    for form in _number_forms(token):
        if vocabulary is None or vocabulary.known_term(form):
            alternatives.append(Alternative((form,), WEIGHTS[SYNONYM], SYNONYM, form))
    if vocabulary is not None and token.isalpha() and expansions.guesses:
        guessed = not alternatives or len(token) <= SHORT_WORD or not vocabulary.is_word(token)
        if guessed and not any(a.kind == ABBREVIATION for a in alternatives):
            own = vocabulary.word_frequency(token)
            found = _guesses(vocabulary, token, TRUNCATION, vocabulary.completions(token), own)
            found += _guesses(vocabulary, token, CONTRACTION, vocabulary.contractions(token), own)
            if not found and not alternatives:
                found = _guesses(vocabulary, token, TYPO, vocabulary.corrections(token))
            if not found and not alternatives:
                found = _split(vocabulary, token)
            alternatives.extend(found)
    if not alternatives and capitals_only:
        # An abbreviation whose meaning no page holds: searched as meant, so that nothing matches.
        meant = analyze(meanings[0])
        return Concept(token, (Alternative(meant, WEIGHTS[ABBREVIATION], ABBREVIATION, meanings[0]),))
    if not alternatives:
        # Nowhere in the index: searched as typed, so that the query says "no pages match".
        return Concept(token, (Alternative(terms, WEIGHTS[EXACT], EXACT, token),)) if terms else None
    return Concept(token, tuple(_dedupe(alternatives)))


def _number_forms(token: str) -> tuple[str, ...]:
    """A number's other written forms: "7" is also "7.0" ("less than 7.0%") and back, and a
    small number is also its word ("2-piece" meets "two piece"). Not the other way: where the
    ICD-10-CM index spells a number out ("three-wheeled") its titles do too, and reading the
    word as a digit as well cost icd10cm-eindex 0.002-0.007 nDCG@10 on both halves."""
    if match := _WHOLE.match(token):
        whole, zeros = match.groups()
        word = (_NUMBER_WORDS[int(whole) - 1],) if 0 < int(whole) <= len(_NUMBER_WORDS) else ()
        return (whole, *word) if zeros else (f"{whole}.0", *word)
    return ()


def _guesses(
    vocabulary: Vocabulary, token: str, kind: str, candidates: list[Candidate], own: int = 0
) -> list[Alternative]:
    """Alternatives for the candidate words; a word the index uses itself ("leg") is only read
    as short for words that codes use far more often (WORD_OVER_GUESS times)."""
    candidates = [c for c in candidates if c.doc_frequency > own * WORD_OVER_GUESS]
    if not candidates:
        return []
    top = max(c.doc_frequency for c in candidates)
    found = []
    for candidate in candidates:
        terms = analyze(candidate.word)
        if terms and all(vocabulary.known_term(t) for t in terms):
            weight = WEIGHTS[kind] * (candidate.doc_frequency / top) ** RARITY_EXPONENT
            found.append(Alternative(terms, weight, kind, candidate.word))
    return found


def _split(vocabulary: Vocabulary, token: str) -> list[Alternative]:
    """Two words typed without the space between them ("chelationtherapy"), read as a typo."""
    if len(token) < 2 * MIN_SPLIT_PART:
        return []
    for cut in range(MIN_SPLIT_PART, len(token) - MIN_SPLIT_PART + 1):
        left, right = token[:cut], token[cut:]
        if vocabulary.is_word(left) and vocabulary.is_word(right):
            terms = analyze(f"{left} {right}")
            if terms and all(vocabulary.known_term(t) for t in terms):
                return [Alternative(terms, WEIGHTS[TYPO], TYPO, f"{left} {right}")]
    return []


def _known_term(
    tokens: list[str], start: int, vocabulary: Vocabulary | None, expansions: Expansions
) -> tuple[Concept | None, int]:
    """A brand, a term with synonyms or a term with abbreviations, of up to MAX_TERM_WORDS
    words starting at `start`."""
    brands, synonyms = (generic_names, equivalents) if expansions.synonyms else (_nothing, _nothing)
    shortened = abbreviations_of if expansions.abbreviations else _nothing
    for length in range(min(MAX_TERM_WORDS, len(tokens) - start), 0, -1):
        words = tuple(tokens[start : start + length])
        typed = " ".join(words)
        others = [(BRAND, g, WEIGHTS[BRAND]) for g in brands(words)]
        others += [(SYNONYM, e, WEIGHTS[SYNONYM]) for e in synonyms(words)]
        # Abbreviations of the term, or of what it means (a step further: weighing less).
        others += [
            (ABBREVIATION, short, weight * WEIGHTS[ABBREVIATION])
            for text, weight in ((typed, WEIGHTS[EXACT]), *((text, w) for _, text, w in others))
            if analyze(text)
            for short in shortened(text)
            if vocabulary is None or all(vocabulary.known_term(t) for t in analyze(short))
        ]
        if not others:
            continue
        alternatives = [Alternative(analyze(typed), WEIGHTS[EXACT], EXACT, typed)] if analyze(typed) else []
        alternatives += [
            Alternative(analyze(text), weight, kind, text) for kind, text, weight in others if analyze(text)
        ]
        return Concept(typed, tuple(_dedupe(alternatives))), length
    return None, 0


def _nothing(_: object) -> tuple[str, ...]:
    """A switched-off source: it knows no meaning."""
    return ()


def _dedupe(alternatives: list[Alternative]) -> list[Alternative]:
    """One alternative per set of terms, the heaviest."""
    best: dict[tuple[str | None, tuple[str, ...]], Alternative] = {}
    for alt in alternatives:
        key = (alt.field, alt.terms)
        if key not in best or alt.weight > best[key].weight:
            best[key] = alt
    return sorted(best.values(), key=lambda a: (-a.weight, a.terms))
