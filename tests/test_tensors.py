from __future__ import annotations

import numpy as np
import pytest

from projector.errors import TensorError
from projector.tensors import (
    WORD_COLUMN,
    parse_tensor_text,
    parse_tensor_tsv,
    peek_tensor_shape,
    read_tensor_file,
    sniff_word_layout,
)


def write_tsv(path, array) -> None:
    path.write_text("".join("\t".join(repr(float(v)) for v in row) + "\n" for row in array))


def test_tsv_round_trip(tmp_path):
    array = np.random.default_rng(0).normal(size=(50, 7)).astype(np.float32)
    write_tsv(tmp_path / "tensors.tsv", array)
    got = read_tensor_file(tmp_path / "tensors.tsv")
    assert got.dtype == np.float32 and got.shape == (50, 7)
    np.testing.assert_array_equal(got, array)


def test_tsv_tolerates_blank_lines_crlf_and_no_final_newline():
    got = parse_tensor_tsv(b"1\t2\r\n\r\n3\t4\n\n5\t6")
    np.testing.assert_array_equal(got, [[1, 2], [3, 4], [5, 6]])


def test_nan_and_inf_rows_are_kept():
    got = parse_tensor_tsv("1\tnan\ninf\t2\n-inf\t3\n4\t5\n")
    assert got.shape == (4, 2)
    assert np.isnan(got[0, 1]) and got[1, 0] == np.inf and got[2, 0] == -np.inf


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1\t2\n3\tfoo\n", r"line 2, column 2: 'foo' is not a number"),
        ("x\ty\n1\t2\n", r"line 1, column 1: 'x'"),
        ("1\t2\n\n3\t\n", r"line 3, column 2: an empty cell"),
    ],
)
def test_non_numeric_cell_names_file_line_and_column(tmp_path, text, where):
    (tmp_path / "tensors.tsv").write_text(text)
    with pytest.raises(TensorError, match="Tensor file run/tensors.tsv, " + where):
        read_tensor_file(tmp_path / "tensors.tsv", name="run/tensors.tsv")


@pytest.mark.parametrize(("text", "line"), [("1\t2\n3\n", 2), ("1\t2\n3\t4\n5\t6\t7\n", 3)])
def test_ragged_rows_are_refused(text, line):
    with pytest.raises(TensorError, match=f"line {line} has .* values but the first row has 2"):
        parse_tensor_tsv(text, name="t.tsv")


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(TensorError, match="empty.tsv is empty"):
        read_tensor_file(tmp_path / "empty.tsv", name="empty.tsv")
    with pytest.raises(TensorError, match="nope.tsv cannot be read"):
        read_tensor_file(tmp_path / "nope.tsv", name="nope.tsv")


def test_npy_round_trip_and_refusals(tmp_path):
    array = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "v.npy", array)
    got = read_tensor_file(tmp_path / "v.npy")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, array)
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4)))
    with pytest.raises(TensorError, match=r"cube.npy has shape \(2, 3, 4\); the projector needs a 2-D matrix"):
        read_tensor_file(tmp_path / "cube.npy", name="cube.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(TensorError, match="objects.npy"):
        read_tensor_file(tmp_path / "objects.npy", name="objects.npy")


@pytest.mark.parametrize("content", [b"not an array\n", b"\x93NUMPY\x01\x00\x10\x00{bad header}   \n"])
def test_unreadable_npy_message_names_the_file_as_shown(tmp_path, content):
    (tmp_path / "t.npy").write_bytes(content)
    with pytest.raises(TensorError, match="run/t.npy is not a readable .npy array") as caught:
        read_tensor_file(tmp_path / "t.npy", name="run/t.npy")
    assert str(tmp_path) not in str(caught.value)


def test_raw_float32_with_shape(tmp_path):
    array = np.random.default_rng(1).normal(size=(9, 5)).astype("<f4")
    array.tofile(tmp_path / "tensor.bytes")
    np.testing.assert_array_equal(read_tensor_file(tmp_path / "tensor.bytes", (9, 5)), array)
    with pytest.raises(TensorError, match=r"has 180 bytes but tensor_shape \[10, 5\] needs 200 bytes"):
        read_tensor_file(tmp_path / "tensor.bytes", (10, 5))


def test_peek_shape_without_parsing(tmp_path):
    write_tsv(tmp_path / "t.tsv", np.ones((6, 4)))
    np.save(tmp_path / "t.npy", np.ones((3, 8), dtype=np.float32))
    np.ones((5, 2), dtype="<f4").tofile(tmp_path / "t.bin")
    assert peek_tensor_shape(tmp_path / "t.tsv") == (6, 4)
    assert peek_tensor_shape(tmp_path / "t.npy") == (3, 8)
    assert peek_tensor_shape(tmp_path / "t.bin", (5, 2)) == (5, 2)
    assert peek_tensor_shape(tmp_path / "missing.tsv") is None


def test_text_is_read_as_tsv_even_when_its_size_fits_the_shape(tmp_path):
    # "1.0\t0.0\n" * 3 is 24 bytes, exactly a 3×2 float32 matrix: TensorBoard reads text first too.
    (tmp_path / "t.tsv").write_text("1.0\t0.0\n" * 3)
    np.testing.assert_array_equal(read_tensor_file(tmp_path / "t.tsv", (3, 2)), [[1, 0]] * 3)
    assert peek_tensor_shape(tmp_path / "t.tsv", (3, 2)) == (3, 2)


def test_a_tsv_holding_nan_is_read_by_the_c_parser_alone(monkeypatch):
    import projector.tensors as tensors

    def python_parser(*_args):
        raise AssertionError("the line-by-line Python reading was used")

    monkeypatch.setattr(tensors, "_parse_exactly", python_parser)
    rows = np.random.default_rng(2).normal(size=(200_000, 4)).astype(np.float32)
    lines = ["\t".join(repr(float(v)) for v in row) for row in rows]
    lines[123_456] = "nan\t" + lines[123_456].split("\t", 1)[1]
    got = parse_tensor_tsv(("\n".join(lines) + "\n").encode())
    assert got.shape == (200_000, 4)
    assert np.isnan(got).sum() == 1 and np.isnan(got[123_456, 0])
    rows[123_456, 0] = got[123_456, 0]
    np.testing.assert_array_equal(got, rows)


@pytest.mark.parametrize(("text", "where"), [("1\tnan\n2\n3\t4\n", "line 2 has 1 values"), ("1\t2\n3\t\n", "column 2")])
def test_a_short_row_or_empty_cell_never_passes_as_nan(text, where):
    with pytest.raises(TensorError, match=where):
        parse_tensor_tsv(text, name="t.tsv")


def test_spellings_only_python_reads_are_still_numbers():
    np.testing.assert_array_equal(parse_tensor_tsv(" 1.5 \t2\n3\tInfinity\n"), [[1.5, 2], [3, np.inf]])
    assert np.isnan(parse_tensor_tsv("1\tnAn\n")[0, 1])


def test_bytes_that_are_not_text_are_named_by_offset():
    with pytest.raises(TensorError, match=r"neither UTF-8 text .* offset 6\)"):
        parse_tensor_tsv(b"1\t2\n3\t\xff\xfe\n", name="t.bin")


def test_a_bad_cell_at_the_end_of_a_long_file_is_found_with_little_memory():
    import tracemalloc

    text = b"0.25\t0.5\t0.75\t1.0\n" * 200_000 + b"1\tx\t2\t3\n"
    tracemalloc.start()
    try:
        with pytest.raises(TensorError, match="line 200001, column 2: 'x' is not a number"):
            parse_tensor_tsv(text, name="t.tsv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * len(text)  # float32 values kept so far, not Python lists of floats


# --- word vectors: word2vec and GloVe text ------------------------------------------------------------


def word_lines(words, vectors, sep=" ", end="\n") -> str:
    return "".join(w + sep + sep.join(f"{v:.6f}" for v in row) + end for w, row in zip(words, vectors))


WORDS = ["the", ",", ".", "of", "nan", "null", "1999", '"quoted', "café", "NA"]


def test_glove_text_gives_vectors_and_words():
    vectors = np.random.default_rng(20).normal(size=(len(WORDS), 5)).astype(np.float32)
    got, words = parse_tensor_text(word_lines(WORDS, vectors).encode(), name="glove.6B.5d.txt")
    np.testing.assert_allclose(got, vectors, atol=1e-6)
    assert got.dtype == np.float32 and words.name == WORD_COLUMN
    assert words.tolist() == WORDS  # "nan", "null", "NA" and a number stay words


def test_word2vec_text_with_its_header_line_and_trailing_spaces():
    vectors = np.random.default_rng(21).normal(size=(len(WORDS), 4)).astype(np.float32)
    text = f"{len(WORDS)} 4\n" + word_lines(WORDS, vectors, end=" \n")  # as word2vec's C tool writes it
    got, words = parse_tensor_text(text.encode(), name="vectors.txt")
    np.testing.assert_allclose(got, vectors, atol=1e-6)
    assert words.tolist() == WORDS
    with pytest.raises(TensorError, match=r"vectors.txt, line 1: the word2vec header says 11 words .* holds 10"):
        parse_tensor_text(f"{len(WORDS) + 1} 4\n" + word_lines(WORDS, vectors), name="vectors.txt")


def test_tab_separated_words_and_a_byte_order_mark():
    vectors = np.random.default_rng(22).normal(size=(3, 3)).astype(np.float32)
    text = "\ufeff" + word_lines(["new york", "paris", "rome"], vectors, sep="\t", end="\t\r\n")
    got, words = parse_tensor_text(text.encode(), name="cities.tsv")
    np.testing.assert_allclose(got, vectors, atol=1e-6)
    assert words.tolist() == ["new york", "paris", "rome"]


def test_a_word_with_spaces_in_a_space_separated_file():
    vectors = np.random.default_rng(23).normal(size=(4, 3)).astype(np.float32)
    got, words = parse_tensor_text(word_lines(["a", "b", ". . .", "c"], vectors).encode(), name="glove.txt")
    np.testing.assert_allclose(got, vectors, atol=1e-6)
    assert words.tolist() == ["a", "b", ". . .", "c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a 1 2\nb 1 x\nc 3 4\n", "line 2, column 3: 'x' is not a number"),
        ("a 1 2\nb 1\nc 3 4\n", "line 2 has 1 values after its word but the file's lines have 2"),
        ("a 1 2\nb 7 1 2\nc 3 4\n", "line 2 has 3 values after its word"),  # not a word "b 7"
    ],
)
def test_word_vectors_that_do_not_fit_name_the_line(text, message):
    with pytest.raises(TensorError, match=f"Tensor file w.txt, {message}"):
        parse_tensor_text(text, name="w.txt")


def test_plain_numeric_tsv_reads_exactly_as_before(monkeypatch):
    import projector.tensors as tensors

    vectors = np.random.default_rng(24).normal(size=(40, 6)).astype(np.float32)
    text = "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in vectors)
    got, words = parse_tensor_text(text, name="t.tsv")
    assert words is None
    np.testing.assert_array_equal(got, parse_tensor_tsv(text, name="t.tsv"))
    assert sniff_word_layout(b"3 2\n1\t2\n3\t4\n5\t6\n") is None  # two whole numbers first: still plain numbers
    with pytest.raises(TensorError, match="line 2, column 1: 'x' is not a number"):  # one odd line: same message
        parse_tensor_text("1\t2\nx\t3\n4\t5\n", name="t.tsv")

    def no_python(*_args):
        raise AssertionError("read line by line")

    monkeypatch.setattr(tensors, "_read_words_exactly", no_python)
    monkeypatch.setattr(tensors, "_parse_exactly", no_python)
    parse_tensor_text(text)
    big = word_lines([f"w{i}" for i in range(20_000)], np.ones((20_000, 50)))
    assert parse_tensor_text(big)[0].shape == (20_000, 50)  # pandas' C parser, no Python loop per line


# --- memory follows what the file holds, never what it claims ----------------------------------------


def traced_peak(parse, *args, **kwargs):
    """``parse(*args, **kwargs)``'s result (or the exception it raised) and its peak traced memory."""
    import tracemalloc

    tracemalloc.start()
    try:
        try:
            outcome = parse(*args, **kwargs)
        except TensorError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_crafted_word_file_is_refused_with_memory_its_size_bounds():
    # The fast parser fails on "new york"; the line-by-line reading once built a fixed-width string array of
    # rows × dims × 5,000 characters × 4 bytes: 4 GB for this 0.6 MB file (40 GB for a million lines).
    text = b"a 1 1\n" * 100_000 + b"new york 1 1\n" + b"b 1 " + b"1" * 5_000 + b"\n"
    error, peak = traced_peak(parse_tensor_text, text, name="w.txt")
    assert isinstance(error, TensorError)
    assert str(error).startswith(
        "Tensor file w.txt, line 100002, column 3: a cell of 5,000 characters is longer than any number"
    )
    assert peak < 20 * len(text)


def test_a_multi_word_file_is_read_line_by_line_with_memory_its_size_bounds():
    text = b"a 1 1\n" * 100_000 + b"new york 0.5 -2\n"
    (vectors, words), peak = traced_peak(parse_tensor_text, text, name="w.txt")
    assert vectors.shape == (100_001, 2) and vectors.dtype == np.float32
    assert words.iloc[-1] == "new york" and vectors[-1].tolist() == [0.5, -2]
    assert peak < 20 * len(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a 1 2\nnew york 1 2\nb 3 " + "9" * 65 + "\n", "line 3, column 3: a cell of 65 characters is longer"),
        ("a\t1\t2\nb\t0." + "1" * 78 + "\t2\nc\tnAn\t3\n", "line 2, column 2: a cell of 80 characters is longer"),
        ("nAn\t2\n3\t0." + "4" * 68 + "\n", "line 2, column 2: a cell of 70 characters is longer than any number"),
    ],
)
def test_a_cell_longer_than_any_number_names_its_line_and_column(text, message):
    # "new york" and "nAn" (a spelling only Python reads) send each file to the line-by-line reading.
    with pytest.raises(TensorError, match=f"^Tensor file t.txt, {message}"):
        parse_tensor_text(text.encode(), name="t.txt")


def test_a_long_word_is_still_a_word():
    got, words = parse_tensor_text(("x" * 5_000 + " 1 2\nnew york 3 4\nb 5 6\n").encode(), name="w.txt")
    assert words.str.len().tolist() == [5_000, 8, 1] and got.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_a_wide_one_line_tsv_is_not_given_to_pandas(monkeypatch):
    # pandas' C parser costs ~1.5 KB and 40 µs a column: a 3 MB line of a million cells took 1.5 GB and 40 s.
    import projector.tensors as tensors

    def no_pandas(*_args, **_kwargs):
        raise AssertionError("pandas read a file far wider than its size pays for")

    monkeypatch.setattr(tensors.pd, "read_csv", no_pandas)
    text = ("\t".join(["12"] * 300_000) + "\n").encode()
    got, peak = traced_peak(parse_tensor_tsv, text)
    assert got.shape == (1, 300_000) and (got == 12).all()
    assert peak < 20 * len(text)
    with pytest.raises(TensorError, match="line 2 has 300,001 values|line 2 has 300001 values"):
        parse_tensor_tsv(text + ("\t".join(["1"] * 300_001) + "\n").encode(), name="t.tsv")


def test_an_npy_header_claiming_more_than_the_file_holds_is_refused_before_allocating(tmp_path):
    import io

    from projector.tensors import parse_tensor_npy

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 2), dtype=np.float32))
    claim = buffer.getvalue().replace(b"(2, 2), }", b"(1000000000, 1000000000), }")
    (tmp_path / "t.npy").write_bytes(claim)
    error, peak = traced_peak(read_tensor_file, tmp_path / "t.npy", name="run/t.npy")
    assert isinstance(error, TensorError) and peak < 1_000_000
    assert "run/t.npy: its .npy header says shape (1000000000, 1000000000) of float32" in str(error)
    assert "the file is cut short or damaged" in str(error)
    assert peek_tensor_shape(tmp_path / "t.npy") is None
    error, peak = traced_peak(parse_tensor_npy, claim, name="up.npy")
    assert isinstance(error, TensorError) and "up.npy: its .npy header says" in str(error) and peak < 1_000_000
    np.testing.assert_array_equal(parse_tensor_npy(buffer.getvalue()), np.zeros((2, 2)))
    with pytest.raises(TensorError, match="up.npy holds object values"):
        parse_tensor_npy(buffer.getvalue().replace(b"'<f4'", b"'|O' "), name="up.npy")


def test_a_tensor_shape_is_multiplied_without_wrapping_around(tmp_path):
    np.zeros(4, dtype="<f4").tofile(tmp_path / "t.bin")  # 16 bytes; np.prod((20, 922337203685477581)) wraps to 4
    with pytest.raises(TensorError, match=r"has 16 bytes but tensor_shape \[20, 922337203685477581\] needs 73,786"):
        read_tensor_file(tmp_path / "t.bin", (20, 922337203685477581), name="t.bin")
    with pytest.raises(TensorError, match=r"tensor_shape \[-2, -2\] has a side that is not positive"):
        read_tensor_file(tmp_path / "t.bin", (-2, -2), name="t.bin")
    assert peek_tensor_shape(tmp_path / "t.bin", (20, 922337203685477581)) is None
    assert peek_tensor_shape(tmp_path / "t.bin", (-2, -2)) is None


def test_a_word2vec_header_after_blank_lines_and_an_endless_count():
    got, words = parse_tensor_text(b"\n3 2\na 1 2\nb 3 4\nnew york 5 6\n", name="w.txt")
    assert got.shape == (3, 2) and words.tolist() == ["a", "b", "new york"]
    with pytest.raises(TensorError, match="line 1 has 1 values after its word"):  # once int()'s ValueError
        parse_tensor_text(b"1" * 5_000 + b" 2\na 1 2\nb 3 4\n", name="w.txt")
