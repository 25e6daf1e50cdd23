"""A fixed, deterministic mix of queries drawn from a corpus, by the kinds a coder types."""

from __future__ import annotations

import random
import re
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.records import CodePage

KINDS = ("code", "prefix", "words", "phrase", "section", "misspelled", "abbreviation")
PER_KIND = 25
# Claim abbreviations of words that occur in code titles.
ABBREVIATIONS = {"injection": "inj", "unspecified": "unsp", "initial": "init", "subsequent": "subs",
                 "fracture": "fx", "with": "w", "without": "wo", "encounter": "encntr"}  # fmt: skip
_WORD = re.compile(r"[A-Za-z]{4,}")


def sample_pages(files: list[Path], count: int, seed: int = 7) -> list[CodePage]:
    rng = random.Random(seed)
    chosen = rng.sample(files, min(count, len(files)))
    return [o.page for path in chosen for o in parse_input(str(path)) if o.page is not None]


def query_mix(pages: list[CodePage], seed: int = 7) -> list[tuple[str, str]]:
    """(kind, query) pairs, PER_KIND of each kind, the same for the same pages and seed."""
    rng = random.Random(seed)
    mix: list[tuple[str, str]] = []
    for kind in KINDS:
        made = 0
        for _ in range(PER_KIND * 20):
            page = rng.choice(pages)
            query = _make(kind, page, rng)
            if query:
                mix.append((kind, query))
                made += 1
            if made == PER_KIND:
                break
    return mix


def _make(kind: str, page: CodePage, rng: random.Random) -> str | None:
    words = [w.lower() for w in _WORD.findall(page.title) if w.lower() not in STOP_WORDS]
    if kind == "code":
        return page.code
    if kind == "prefix":
        return page.code.replace(".", "")[:3] + "*"
    if not words:
        return None
    if kind == "words":
        return " ".join(rng.sample(words, min(len(words), rng.randint(1, 3))))
    if kind == "phrase":
        if len(words) < 2:
            return None
        start = rng.randrange(len(words) - 1)
        return f'"{words[start]} {words[start + 1]}"'
    if kind == "section":
        risks = page.section("risks")
        found = [w for w in _WORD.findall(risks.text) if w.lower() not in STOP_WORDS] if risks else []
        return f"risks:{rng.choice(found).lower()}" if found else None
    if kind == "misspelled":
        long = [w for w in words if len(w) >= 6]
        if not long:
            return None
        word = rng.choice(long)
        at = rng.randrange(1, len(word) - 1)
        return word[:at] + word[at + 1 :]  # one letter dropped
    if kind == "abbreviation":
        short = [ABBREVIATIONS[w] for w in words if w in ABBREVIATIONS]
        rest = [w for w in words if w not in ABBREVIATIONS]
        if not short or not rest:
            return None
        return f"{rng.choice(short)} {rng.choice(rest)}"
    raise ValueError(kind)
