from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from projector.export import coordinates_csv, metadata_download_tsv, neutralise_cell


@pytest.fixture
def metadata() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "word": ["alpha", "be, ta", 'say "hi"', "line\nbreak", "epsilon", "zeta"],
            "score": [0.1, 2.5, np.nan, -1.0, 1e-12, 3.0],
            "count": [1, 2, 3, 4, 5, 6],
        }
    )


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=True)


def test_csv_keeps_plot_order_exact_float32_metadata_and_selection(metadata):
    rng = np.random.default_rng(0)
    rows = np.array([4, 0, 3, 5])  # plot order, not sorted
    coords = rng.normal(scale=1e3, size=(4, 3)).astype(np.float32)
    coords[:, 0] = np.array([0.1, 1.4e-45, 3.4e38, -2.0 / 3.0], dtype=np.float32)
    coords[2, 1] = np.nan
    text = coordinates_csv(coords, rows, metadata, np.array([5, 0, 2]), ["x", "y", "z"])
    frame = _read(text)
    assert list(frame.columns) == ["row", "x", "y", "z", "word", "score", "count", "selected"]
    assert frame["row"].tolist() == [4, 0, 3, 5]
    back = frame[["x", "y", "z"]].to_numpy(dtype=np.float64).astype(np.float32)
    assert np.array_equal(back, coords, equal_nan=True)
    assert frame["word"].tolist() == ["epsilon", "alpha", "line\nbreak", "zeta"]
    assert np.array_equal(frame["score"].to_numpy(), metadata["score"].to_numpy()[rows], equal_nan=True)
    assert frame["count"].tolist() == [5, 1, 4, 6]
    assert frame["selected"].dtype == bool
    assert frame["selected"].tolist() == [False, True, False, True]  # row 2 is selected but not plotted
    assert text.splitlines()[0] == "row,x,y,z,word,score,count,selected"
    assert ",true\r\n" in text and ",false\r\n" in text  # CRLF, as RFC 4180


def test_many_random_float32_values_read_back_equal():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2**32, size=20_000, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)
    values = values[np.isfinite(values)].reshape(-1, 1)[:10_000]
    rows = np.arange(len(values))
    text = coordinates_csv(values, rows, pd.DataFrame(index=range(len(values))), np.array([], dtype=int), ["v"])
    back = _read(text)["v"].to_numpy(dtype=np.float64).astype(np.float32)
    assert np.array_equal(back, values[:, 0])


def test_axis_titles_and_name_clashes(metadata):
    metadata = metadata.rename(columns={"word": "selected", "count": "Component #1"})
    coords = np.array([[1.5, 2.5]], dtype=np.float32)
    frame = _read(coordinates_csv(coords, np.array([1]), metadata, np.array([1]), ["Component #1", "Component #3"]))
    assert list(frame.columns) == [
        "row",
        "Component #1",
        "Component #3",
        "selected (metadata)",
        "score",
        "Component #1 (metadata)",
        "selected",
    ]
    assert frame.iloc[0].tolist() == [1, 1.5, 2.5, "be, ta", 2.5, 2, True]


def test_no_metadata_columns_and_no_points():
    text = coordinates_csv(
        np.zeros((0, 2), np.float32),
        np.array([], dtype=int),
        pd.DataFrame(index=range(3)),
        np.array([], dtype=int),
        ["x", "y"],
    )
    assert text == "row,x,y,selected\r\n"


def test_misaligned_coords_are_refused(metadata):
    with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
        coordinates_csv(np.zeros((6, 2), np.float32), np.array([0, 1]), metadata, np.array([]), ["x", "y"])


FORMULAS = ['=HYPERLINK("http://x","y")', "-abc", "@SUM(A1)", "+cmd|' /C calc'!A0", "\tlead", "\rlead"]


@pytest.fixture
def loaded() -> pd.DataFrame:
    """Metadata as the app loads it (every cell a string, as parse_metadata gives), a numeric column included."""
    words = ["plain", *FORMULAS, "mid=dle"]
    scores = ["-3.5", "+1e-5", "2", "-inf", "", "0.25", "-0", "7"]
    return pd.DataFrame({"word": words, "score": scores, "=cmd": ["x"] * 8}, dtype=object)


def test_formula_cells_get_a_leading_quote_and_numbers_stay():
    for text in FORMULAS:
        assert neutralise_cell(text) == "'" + text
    for value in ["-3.5", "+1e-5", "-inf", "42", "a=b", "", "'=already", 3.5, -2, None]:
        assert neutralise_cell(value) == value
    for text in ["-1_000", "- 3", "\t5", "-3.5 "]:  # not plain numbers: a spreadsheet may still parse a formula
        assert neutralise_cell(text) == "'" + text


def test_csv_export_neutralises_metadata_formulas(loaded):
    coords = np.array([[-3.5, 1.0]] * 8, dtype=np.float32)
    text = coordinates_csv(coords, np.arange(8), loaded, np.array([0]), ["x", "y"])
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype={"score": str})
    assert list(frame.columns) == ["row", "x", "y", "word", "score", "'=cmd", "selected"]
    assert frame["word"].tolist() == ["plain", *("'" + f for f in FORMULAS), "mid=dle"]
    assert frame["x"].tolist() == [-3.5] * 8  # coordinates are numbers
    assert frame["score"].tolist() == loaded["score"].tolist()  # numbers as the metadata wrote them
    assert "\n0,-3.5,1,plain,-3.5,x,true\r\n" in text
    assert '\n6,-3.5,1,"\'\rlead",-0,x,false\r\n' in text  # a lone CR is quoted: no row break
    numeric = pd.DataFrame({"v": [-3.5, 2.0], "t": ["-abc", "-3.5"]})
    assert "0,0,0,-3.5,'-abc,false\r\n" in coordinates_csv(np.zeros((2, 2)), np.arange(2), numeric, [], ["x", "y"])
    assert numeric["t"].tolist() == ["-abc", "-3.5"]  # the caller's frame is left alone


def test_metadata_download_neutralises_formulas_and_keeps_numbers(loaded):
    text = metadata_download_tsv(loaded, np.arange(10, 18))
    lines = text.split("\r\n")
    assert lines[0] == "row\tword\tscore\t'=cmd"
    assert lines[1] == "10\tplain\t-3.5\tx"
    assert lines[3] == "12\t'-abc\t2\tx"
    assert lines[4] == "13\t'@SUM(A1)\t-inf\tx"
    back = pd.read_csv(io.StringIO(text), sep="\t", keep_default_na=False, dtype=str)
    assert back["row"].tolist() == [str(i) for i in range(10, 18)]
    assert back["word"].tolist() == ["plain", *("'" + f for f in FORMULAS), "mid=dle"]
    assert back["score"].tolist() == loaded["score"].tolist()


def test_metadata_download_renames_a_row_column():
    metadata = pd.DataFrame({"row": ["a", "b"], "n": [-3.5, 4.0]})
    text = metadata_download_tsv(metadata, np.array([7, 9]))
    assert text == "row\trow (metadata)\tn\r\n7\ta\t-3.5\r\n9\tb\t4.0\r\n"
    with pytest.raises(ValueError, match="row_ids has 1 values for 2 metadata rows"):
        metadata_download_tsv(metadata, np.array([7]))
