from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from projector.errors import InputError
from projector.search import MAX_QUERY_LENGTH, search, search_columns

WORDS = ["Apple", "banana", "PINEAPPLE", "a.b", "axb", "", None, np.nan, "apple pie"]


def test_substring_is_case_insensitive_and_literal():
    found = search(WORDS, "apple")
    assert found.dtype == np.int64
    assert found.tolist() == [0, 2, 8]
    assert search(WORDS, "a.b").tolist() == [3]  # "." is a plain character without regex
    assert search(WORDS, "APPLE P").tolist() == [8]


def test_regex_is_case_insensitive_search():
    assert search(WORDS, "^apple", regex=True).tolist() == [0, 8]
    assert search(WORDS, "a.b", regex=True).tolist() == [3, 4]
    assert search(WORDS, "APPLE$", regex=True).tolist() == [0, 2]
    assert search(WORDS, "nan", regex=True).tolist() == [1]  # NaN cells are not the text "nan"


def test_missing_cells_never_match():
    assert search(WORDS, ".*", regex=True).tolist() == [0, 1, 2, 3, 4, 8]
    assert search(pd.Series(["", None]), "x*", regex=True).size == 0


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_blank_query_matches_nothing(query):
    assert search(WORDS, query).size == 0
    assert search(WORDS, query, regex=True).size == 0


def test_invalid_regex_names_the_pattern():
    with pytest.raises(InputError, match=r"^Invalid regular expression 'a\[': "):
        search(WORDS, "a[", regex=True)
    assert search(["a["], "a[").tolist() == [0]  # fine as a substring


def test_numbers_and_series_inputs():
    assert search(pd.Series([10, 21, 3]), "1").tolist() == [0, 1]
    assert search(pd.Series(["x", "y"], index=[5, 9]), "y").tolist() == [1]  # positions, not labels
    assert search(pd.Series(["ab", None], dtype="string"), "A").tolist() == [0]


FRAME = pd.DataFrame({"word": ["cat", "dog", None, "bird"], "kind": ["pet", "Cat food", "pet", ""]})


def test_search_one_column_or_all():
    assert search_columns(FRAME, "word", "cat", False).tolist() == [0]
    assert search_columns(FRAME, "kind", "cat", False).tolist() == [1]
    assert search_columns(FRAME, None, "cat", False).tolist() == [0, 1]
    assert search_columns(FRAME, "", "^(dog|pet)$", True).tolist() == [0, 1, 2]


def test_unknown_column_lists_the_choices():
    with pytest.raises(InputError, match="word, kind"):
        search_columns(FRAME, "label", "cat", False)
    with pytest.raises(InputError, match="Invalid regular expression"):
        search_columns(FRAME, None, "(", True)


def test_frame_without_columns_searches_the_index():
    frame = pd.DataFrame(index=range(12))
    assert search_columns(frame, None, "1", False).tolist() == [1, 10, 11]
    assert search_columns(frame, None, "^1$", True).tolist() == [1]


def test_large_input_is_vectorised():
    values = pd.Series([f"token{i}" for i in range(200_000)])
    found = search(values, "token19999", regex=False)
    assert found.tolist() == [19999, *range(199990, 200000)]


def test_catastrophic_pattern_runs_in_linear_time():
    labels = ["a" * 35 + "!"] * 10_000 + ["a" * 35, "b"]  # (a+)+$ backtracks 2**35 times per label in Python's re
    started = time.perf_counter()
    found = search(labels, "(a+)+$", regex=True)
    assert found.tolist() == [10_000]
    assert search_columns(pd.DataFrame({"word": labels}), None, "(a+)+!$", True).size == 10_000
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("query", "what"),
    [
        (r"(a)\1", r"backreferences such as \1"),
        ("(?P<x>a)(?P=x)", "named backreferences"),
        ("cat(?=_1)", r"lookarounds such as (?=...)"),
        ("(?<!x)cat", r"lookarounds such as (?<!...)"),
        ("(?>cat)", "atomic groups"),
        (r"cat\Z", r"Use $"),
    ],
)
def test_unsupported_syntax_is_named_with_a_fix(query, what):
    with pytest.raises(InputError) as raised:
        search(WORDS, query, regex=True)
    message = str(raised.value)
    assert message.startswith(f"Invalid regular expression '{query}': ")
    assert what in message and message.endswith("or turn regex off.")
    if "\\Z" not in query:
        assert "RE2 syntax: backreferences and lookarounds are not supported" in message
    with pytest.raises(InputError, match="not supported"):
        search_columns(FRAME, None, query, True)


@pytest.mark.parametrize("regex", [False, True])
def test_queries_longer_than_the_cap_are_refused(regex):
    assert search(["x" * MAX_QUERY_LENGTH], "x" * MAX_QUERY_LENGTH, regex=regex).tolist() == [0]
    with pytest.raises(InputError, match=r"1,001 characters long; the limit is 1,000 characters"):
        search(WORDS, "x" * (MAX_QUERY_LENGTH + 1), regex=regex)
    with pytest.raises(InputError, match="the limit is 1,000 characters"):
        search_columns(FRAME, "word", "(" * (MAX_QUERY_LENGTH + 1), regex)


UNICODE = ["Café", "CAFÉ au lait", "ΣΟΦΊΑ", "σοφία", "日本語", "naïve", "Straße"]


@pytest.mark.parametrize("regex", [False, True])
def test_case_insensitive_for_ascii_and_unicode(regex):
    assert search(UNICODE, "café", regex=regex).tolist() == [0, 1]
    assert search(UNICODE, "σοφ", regex=regex).tolist() == [2, 3]
    assert search(UNICODE, "NAÏVE", regex=regex).tolist() == [5]
    assert search(UNICODE, "本", regex=regex).tolist() == [4]


def test_anchors_and_word_boundaries_hold_per_value():
    labels = ["cat", "cats", "a cat", "concat", "dog cat", "cat dog"]
    assert search(labels, "^cat", regex=True).tolist() == [0, 1, 5]
    assert search(labels, "cat$", regex=True).tolist() == [0, 2, 3, 4]
    assert search(labels, "^cat$", regex=True).tolist() == [0]
    assert search(labels, r"\bcat\b", regex=True).tolist() == [0, 2, 4, 5]
    assert search(labels, r"\Acat\z", regex=True).tolist() == [0]  # \A and \z: value by value
    assert search(labels, "(?i-m)^CAT$", regex=True).tolist() == [0]


def test_character_classes():
    labels = ["a1", "b22", "c", "d_4", "ε5", "x y", "日本"]
    assert search(labels, r"^[a-c]\d+$", regex=True).tolist() == [0, 1]
    assert search(labels, r"\d", regex=True).tolist() == [0, 1, 3, 4]
    assert search(labels, r"^\w+$", regex=True).tolist() == [0, 1, 2, 3]  # \w is ASCII in RE2
    assert search(labels, r"\s", regex=True).tolist() == [5]
    assert search(labels, r"[^a-z0-9_ ]", regex=True).tolist() == [4, 6]
    assert search(labels, r"\p{Greek}", regex=True).tolist() == [4]
    assert search(labels, r"^\p{Han}+$", regex=True).tolist() == [6]
    assert search(labels, "^..$", regex=True).tolist() == [0, 4, 6]  # "." is one character, not one byte


def test_regex_agrees_with_python_re_on_random_labels():
    rng = np.random.default_rng(0)
    alphabet = list("abcAB_1 é")
    labels = ["".join(rng.choice(alphabet, rng.integers(0, 12))) for _ in range(3_000)]
    # Not \b or \w: RE2 treats "é" as a non-word character, Python as a word character.
    patterns = ["ab", "^a", "b$", "a.b", "[0-9]", "(ab|ba)+", r"a\s", "^$", "é", "^[^a]*$", "a{2,3}", "(?:_1)?c"]
    for pattern in patterns:
        expected = [i for i, s in enumerate(labels) if s and re.search(pattern, s, re.IGNORECASE)]
        assert search(labels, pattern, regex=True).tolist() == expected, pattern
        repeated = pd.Series(labels[:50] * 60)  # a category-like column: each distinct value searched once
        expected = [i for i, s in enumerate(repeated) if s and re.search(pattern, s, re.IGNORECASE)]
        assert search(repeated, pattern, regex=True).tolist() == expected, pattern


def test_values_holding_newlines_are_searched_line_by_line():
    labels = ["first\nsecond", "second", "x", "a\nb\nc"]
    assert search(labels, "^second$", regex=True).tolist() == [0, 1]
    assert search(labels, "first.second", regex=True).size == 0  # a match never crosses a line
    assert search(labels, "^c", regex=True).tolist() == [3]
    assert search(labels, "x", regex=True).tolist() == [2]
