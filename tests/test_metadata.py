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


# --- blank lines, as TensorBoard reads them ----------------------------------------------------------


def test_a_multi_column_file_ending_in_blank_lines_keeps_every_column(tmp_path):
    (tmp_path / "metadata.tsv").write_text("word\tcount\nfoo\t1\nbar\t2\n\n")  # as TensorBoard's demo data ends
    frame = read_metadata(tmp_path / "metadata.tsv", 2)
    assert frame.to_dict("list") == {"word": ["foo", "bar"], "count": ["1", "2"]}
    assert parse_metadata("word\tcount\r\nfoo\t1\r\nbar\t2\r\n\r\n  \r\n\n", 2).shape == (2, 2)


def test_a_multi_column_file_skips_blank_lines_anywhere_and_counts_them_in_messages():
    frame = parse_metadata("\nword\tcount\n\nfoo\t1\n   \nbar\t2\n", 2)
    assert list(frame.columns) == ["word", "count"] and frame["word"].tolist() == ["foo", "bar"]
    assert parse_metadata("a\tb\n\t\n1\t2\n", 2).to_dict("list") == {"a": ["", "1"], "b": ["", "2"]}  # tabs: a row
    with pytest.raises(MetadataError, match=r"m.tsv, line 5 has 3 tab-separated cells but the header row has 2"):
        parse_metadata("a\tb\n\n1\t2\n\n3\t4\t5\n", 2, name="m.tsv")
    with pytest.raises(MetadataError, match=r"has 3 rows after its header row but the tensor has 2 points"):
        parse_metadata("a\tb\n1\t2\n\n3\t4\n5\t6\n\n", 2, name="m.tsv")


def test_a_single_column_file_ending_in_blank_lines_opens():
    assert parse_metadata("cat\ndog\nbird\n\n\n", 3)["label"].tolist() == ["cat", "dog", "bird"]
    assert parse_metadata("cat\ndog\n\n\n", 3)["label"].tolist() == ["cat", "dog", ""]  # one more point: missing
    assert parse_metadata("cat\n\ndog\n\n", 3)["label"].tolist() == ["cat", "", "dog"]  # inside: a missing label
    assert parse_metadata("\n\n\n", 2)["label"].tolist() == ["", ""]


def test_a_single_column_file_matching_only_without_its_blank_lines_is_read_as_tensorboard_does():
    assert parse_metadata("cat\n\ndog\n\nbird\n", 3)["label"].tolist() == ["cat", "dog", "bird"]


def test_blank_lines_at_the_end_do_not_hide_tensorboards_header_messages():
    text = "label\n" + "".join(f"w{i}\n" for i in range(1000)) + "\n\n"
    with pytest.raises(MetadataError, match="single-column metadata should not have a header row: 1,001 lines"):
        parse_metadata(text, 1000, name="metadata.tsv")
    text = "".join(f"w{i}\t{i}\n" for i in range(1000)) + "\n\n"
    with pytest.raises(MetadataError, match=r"needs a header row: 1,000 lines for 1,000 points \(expected 1,001\)"):
        parse_metadata(text, 1000, name="metadata.tsv")
    with pytest.raises(MetadataError, match=r"^m.tsv has 2 rows but the tensor has 4 points"):
        parse_metadata("cat\ndog\n", 4, name="m.tsv")


# --- memory follows the cells the file holds --------------------------------------------------------


def traced_peak(parse, *args, **kwargs):
    import tracemalloc

    tracemalloc.start()
    try:
        try:
            outcome = parse(*args, **kwargs)
        except MetadataError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_parsing_holds_the_cells_and_little_more():
    text = "word\tcount\tgroup\n" + "".join(f"word_{i}\t{i % 97}\tgroup_{i % 7}\n" for i in range(50_000))
    frame, peak = traced_peak(parse_metadata, text, 50_000)
    assert frame.shape == (50_000, 3)
    assert peak < 15 * len(text)  # the cells are Python strings (~50 bytes each, plus 8 to point at them)


def test_a_header_claiming_more_columns_than_the_rows_hold_is_refused_before_any_cell_is_kept():
    text = "\t" * 5_000 + "\n" + "x\n" * 100_000
    error, peak = traced_peak(parse_metadata, text, 100_000, name="m.tsv")
    assert isinstance(error, MetadataError) and "line 2 has 1 tab-separated cells" in str(error)
    assert peak < 2_000_000  # not 5,001 cells × 100,000 rows × 8 bytes (4 GB) as the header says


def test_a_header_of_more_columns_than_any_metadata_has_is_refused():
    text = "\t" * 200_000 + "\n" + "\t" * 200_000 + "\n"  # once 115 MB: 300 bytes a column
    error, peak = traced_peak(parse_metadata, text, 1, name="m.tsv")
    assert str(error).startswith("Metadata file m.tsv has 200,001 columns in its header row; the projector reads at")
    assert peak < 2_000_000
