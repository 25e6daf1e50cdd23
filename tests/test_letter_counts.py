"""The vocabulary's array filters keep every word the exact tests would accept (issue 16: an
unknown word starting with "s" took 1.5–2.7 s when every word of its letter was aligned)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from medcodes.queries.expand.letter_counts import LetterCounts
from medcodes.queries.expand.vocabulary import _subsequence_pattern, within_edits

# Few letters, so that random words are often close to each other; digits and a dot stand for
# the code-shaped words ("s72.0xxa") that share a first letter with plain ones.
_WORD = st.text(alphabet="sabcxé1.", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORD, min_size=1, max_size=60), token=_WORD, limit=st.integers(1, 2))
def test_near_keeps_every_word_within_the_allowed_mistakes(words: list[str], token: str, limit: int) -> None:
    kept = set(LetterCounts(words).near(token, limit).tolist())
    for position, word in enumerate(words):
        if within_edits(token, word, limit):
            assert position in kept, (token, word)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORD, min_size=1, max_size=60), token=_WORD, limit=st.integers(1, 2))
def test_beginning_near_keeps_every_word_beginning_close_by(words: list[str], token: str, limit: int) -> None:
    kept = set(LetterCounts(words).beginning_near(token, limit).tolist())
    for position, word in enumerate(words):
        lengths = range(max(1, len(token) - limit), len(token) + limit + 1)
        if any(within_edits(token, word[:length], limit) for length in lengths):
            assert position in kept, (token, word)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORD, min_size=1, max_size=60), token=_WORD)
def test_holding_keeps_every_word_the_token_contracts(words: list[str], token: str) -> None:
    shortest, longest = len(token) + 1, 3 * len(token)
    kept = set(LetterCounts(words).holding(token, shortest, longest).tolist())
    in_order = _subsequence_pattern(token).match
    for position, word in enumerate(words):
        if shortest <= len(word) <= longest and in_order(word):
            assert position in kept, (token, word)


def test_the_filters_cut_a_letter_of_many_words_down_to_the_close_ones() -> None:
    """Not only a superset: of a letter's code-shaped and unrelated words, few are left."""
    words = [f"s{n:02d}.{n % 10}xxa" for n in range(100)] + ["sulfonamides", "subluxation", "sulfur", "scar"]
    counts = LetterCounts(words)
    assert [words[i] for i in counts.near("sulfer", 1)] == ["sulfur"]
    assert {words[i] for i in counts.beginning_near("sulfonam", 1)} == {"sulfonamides"}
    assert [words[i] for i in counts.holding("sfr", 4, 9)] == ["sulfur"]


def test_an_empty_group_has_no_candidates() -> None:
    counts = LetterCounts([])
    assert counts.near("sulfur", 1).size == 0
    assert counts.beginning_near("sulfur", 1).size == 0
    assert counts.holding("sfr", 4, 9).size == 0
