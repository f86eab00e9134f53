from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.errors import MetadataError
from projector.metadata import (
    is_numeric_column,
    numeric_values,
    parse_metadata,
    read_metadata,
)


def test_single_column_has_no_header_and_is_called_label(tmp_path):
    (tmp_path / "metadata.tsv").write_text("cat\ndog\n\nbird\n")
    frame = read_metadata(tmp_path / "metadata.tsv", 4)
    assert list(frame.columns) == ["label"]
    assert frame["label"].tolist() == ["cat", "dog", "", "bird"]
    assert list(frame.index) == [0, 1, 2, 3]


def test_multi_column_first_line_is_header_and_cells_are_strings():
    frame = parse_metadata("word\tcount\tnote\r\nfoo\t1\t\r\nbar\t\tx\r\n", 2)
    assert list(frame.columns) == ["word", "count", "note"]
    assert frame.to_dict("list") == {"word": ["foo", "bar"], "count": ["1", ""], "note": ["", "x"]}
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_final_newline_is_optional():
    assert parse_metadata("a\tb\n1\t2", 1).iloc[0].tolist() == ["1", "2"]
    assert parse_metadata("x\ny", 2)["label"].tolist() == ["x", "y"]


def test_duplicate_and_empty_header_names_are_made_unique():
    frame = parse_metadata("a\ta\t\n1\t2\t3\n", 1)
    assert list(frame.columns) == ["a", "a (2)", "column 3"]


def test_single_column_with_a_header_row_gets_tensorboards_message():
    text = "label\n" + "".join(f"w{i}\n" for i in range(1000))
    with pytest.raises(MetadataError) as error:
        parse_metadata(text, 1000, name="metadata.tsv")
    assert str(error.value).startswith(
        "metadata.tsv: single-column metadata should not have a header row: 1,001 lines for 1,000 points"
    )


def test_multi_column_without_header_row_gets_tensorboards_message():
    text = "".join(f"w{i}\t{i}\n" for i in range(1000))
    with pytest.raises(MetadataError) as error:
        parse_metadata(text, 1000, name="metadata.tsv")
    assert str(error.value).startswith(
        "metadata.tsv: multi-column metadata needs a header row: 1,000 lines for 1,000 points (expected 1,001)"
    )


def test_general_row_count_mismatch():
    with pytest.raises(MetadataError, match=r"^metadata.tsv has 990 rows but the tensor has 1,000 points"):
        parse_metadata("".join(f"w{i}\n" for i in range(990)), 1000, name="metadata.tsv")
    with pytest.raises(MetadataError, match=r"has 3 rows after its header row but the tensor has 5 points"):
        parse_metadata("a\tb\n1\t2\n3\t4\n5\t6\n", 5, name="m.tsv")


def test_ragged_row_names_the_line():
    with pytest.raises(MetadataError, match=r"m.tsv, line 3 has 3 tab-separated cells but the header row has 2"):
        parse_metadata("a\tb\n1\t2\n3\t4\t5\n", 2, name="m.tsv")


def test_unreadable_files(tmp_path):
    with pytest.raises(MetadataError, match="run/missing.tsv cannot be read"):
        read_metadata(tmp_path / "missing.tsv", 3, name="run/missing.tsv")
    (tmp_path / "latin1.tsv").write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(MetadataError, match="latin1.tsv is not UTF-8"):
        read_metadata(tmp_path / "latin1.tsv", 1, name="latin1.tsv")
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(MetadataError, match="empty.tsv is empty"):
        read_metadata(tmp_path / "empty.tsv", 1, name="empty.tsv")


def test_numeric_columns():
    assert is_numeric_column(pd.Series(["1", "2.5", "", "-3e2", " 4 "]))
    assert not is_numeric_column(pd.Series(["1", "two"]))
    assert not is_numeric_column(pd.Series(["", ""]))
    assert not is_numeric_column(pd.Series([], dtype=object))
    values = numeric_values(pd.Series(["1", "", "2.5", "x"]))
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [1.0, np.nan, 2.5, np.nan])
