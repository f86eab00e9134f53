from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from projector.export import coordinates_csv


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
    assert ",true\n" in text and ",false\n" in text


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
    assert text == "row,x,y,selected\n"


def test_misaligned_coords_are_refused(metadata):
    with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
        coordinates_csv(np.zeros((6, 2), np.float32), np.array([0, 1]), metadata, np.array([]), ["x", "y"])
