from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.errors import InputError
from projector.search import search, search_columns

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
