"""Metadata charts: histograms and top values, what a brush or a click selects, and the overlaid selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.charts import (
    DEFAULT_BINS,
    MAX_BARS,
    chart,
    chart_figure,
    rows_in_range,
    rows_with_values,
)
from projector.colors import column_kinds
from projector.errors import InputError


def numbers_column(n: int = 500, seed: int = 0, empty: float = 0.1) -> pd.Series:
    """Normal numbers as text cells, some of them empty."""
    rng = np.random.default_rng(seed)
    cells = [f"{v:.4f}" for v in rng.normal(10, 3, n)]
    for i in np.flatnonzero(rng.random(n) < empty):
        cells[i] = ""
    return pd.Series(cells, name="score")


def words_column(n: int = 2000, distinct: int = 30, seed: int = 0) -> pd.Series:
    """A skewed categorical column with more values than bars, and some empty cells."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, distinct + 1)
    picks = rng.choice(distinct, size=n, p=weights / weights.sum())
    cells = np.array([f"w{i:02d}" for i in picks], dtype=object)
    cells[rng.random(n) < 0.05] = ""
    return pd.Series(cells, name="word")


def as_floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


def test_a_histogram_counts_every_present_value_once_on_increasing_edges():
    values = numbers_column()
    c = chart(values)
    present = np.isfinite(as_floats(values))
    assert c.numeric and c.selected is None and c.other == 0
    assert c.missing == int((~present).sum())
    assert sum(c.counts) == int(present.sum())
    assert c.edges is not None and len(c.edges) == DEFAULT_BINS + 1 == len(c.counts) + 1
    assert np.all(np.diff(c.edges) > 0)
    assert len(set(c.labels)) == len(c.labels) == DEFAULT_BINS and all(" – " in label for label in c.labels)


@pytest.mark.parametrize("bins", [1, 7, 100])
def test_bins_set_the_number_of_bars(bins):
    c = chart(numbers_column(), bins=bins)
    assert len(c.counts) == bins and sum(c.counts) == len(numbers_column()) - c.missing


def test_a_constant_column_gets_one_bin():
    c = chart(pd.Series(["2.5"] * 10 + [""], name="k"), numeric=True)
    assert c.counts == [10] and c.missing == 1 and c.labels == ["2.5"]
    assert c.edges is not None and c.edges[0] < 2.5 < c.edges[1]


def test_brushing_selects_exactly_the_rows_in_range():
    values = numbers_column(seed=1)
    numbers = as_floats(values)
    for low, high in [(8.0, 12.5), (-100.0, 100.0), (11.0, 11.0)]:
        expected = np.flatnonzero((numbers >= low) & (numbers <= high))
        assert rows_in_range(values, low, high).tolist() == expected.tolist()


def test_rows_in_range_skips_empty_cells_and_swaps_bounds():
    values = pd.Series(["1", "", "3", "abc", "5", "nan"])
    assert rows_in_range(values, 4, 0).tolist() == rows_in_range(values, 0, 4).tolist() == [0, 2]
    assert rows_in_range(values, -1e9, 1e9).tolist() == [0, 2, 4]


@pytest.mark.parametrize("bound", [np.nan, np.inf, -np.inf, "3", None, True])
def test_rows_in_range_refuses_bounds_that_are_not_finite_numbers(bound):
    with pytest.raises(InputError, match="range"):
        rows_in_range(pd.Series(["1", "2"]), 0, bound)


def test_the_selected_overlay_is_a_histogram_of_the_selected_rows_on_the_same_edges():
    values = numbers_column(seed=2)
    selected = np.random.default_rng(2).choice(len(values), size=120, replace=False)
    c = chart(values, selected)
    numbers = as_floats(values)[selected]
    expected = np.histogram(numbers[np.isfinite(numbers)], bins=np.asarray(c.edges))[0]
    assert c.selected == expected.tolist()
    assert all(s <= t for s, t in zip(c.selected, c.counts))
    assert c.counts == chart(values).counts  # the bars stay those of the whole view


def test_top_values_in_order_of_count_with_the_rest_as_other_and_empty_cells_missing():
    values = words_column()
    c = chart(values)
    present = values[values != ""]
    counts = present.value_counts()
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_BARS]
    assert not c.numeric and c.edges is None
    assert list(zip(c.labels, c.counts)) == expected
    assert c.other == len(present) - sum(c.counts) > 0
    assert c.missing == int((values == "").sum())


def test_ties_between_values_are_broken_by_value():
    c = chart(pd.Series(["b", "a", "c", "a", "b", "c", "d"]))
    assert c.labels == ["a", "b", "c", "d"] and c.counts == [2, 2, 2, 1]


def test_categorical_selection_counts_per_bar():
    values = words_column(seed=3)
    selected = np.random.default_rng(3).choice(len(values), size=300, replace=False)
    c = chart(values, selected)
    chosen = values.iloc[selected]
    assert c.selected == [int((chosen == label).sum()) for label in c.labels]
    assert all(s <= t for s, t in zip(c.selected, c.counts))


def test_clicking_a_bar_selects_exactly_the_rows_with_that_value():
    values = words_column(seed=4)
    label = chart(values).labels[3]
    rows = rows_with_values(values, [label])
    assert rows.tolist() == np.flatnonzero(values.to_numpy() == label).tolist()


def test_a_box_of_bars_selects_the_rows_of_every_value_in_it():
    values = words_column(seed=5)
    labels = chart(values).labels[:2]
    rows = rows_with_values(values, labels)
    assert rows.tolist() == np.flatnonzero(values.isin(labels).to_numpy()).tolist()


def test_a_class_id_column_is_categorical_as_colours_treat_it():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"digit": [str(v) for v in rng.integers(0, 6, 300)], "x": numbers_column(300)})
    kinds = {k.name: k.numeric for k in column_kinds(frame)}
    assert {name: chart(frame[name]).numeric for name in frame.columns} == kinds == {"digit": False, "x": True}
    c = chart(frame["digit"])
    assert sorted(c.labels) == [str(v) for v in range(6)] and c.other == 0
    clicked = rows_with_values(frame["digit"], ["3"])  # assets/charts.js sends a bar's value as text
    assert clicked.tolist() == np.flatnonzero(frame["digit"].to_numpy() == "3").tolist()


def test_the_histogram_bars_carry_their_bins():
    """assets/charts.js turns a box of histogram bars into the range of their bins, read from customdata."""
    c = chart(numbers_column(seed=7))
    bars = chart_figure(c)["data"][0]
    assert bars["customdata"] == [[low, high] for low, high in zip(c.edges[:-1], c.edges[1:])]
    assert all(low <= x <= high for x, (low, high) in zip(bars["x"], bars["customdata"]))


def test_too_many_chosen_values_are_refused():
    with pytest.raises(InputError, match=f"at most {MAX_BARS}"):
        rows_with_values(words_column(), [f"w{i:02d}" for i in range(MAX_BARS + 1)])
    assert rows_with_values(pd.Series(["a", "b", "a", ""]), ["a", "z"]).tolist() == [0, 2]


@pytest.mark.parametrize("bins", [0, 101, -3, 2.5, True, "20"])
def test_bins_out_of_range_are_refused(bins):
    with pytest.raises(InputError, match="bins"):
        chart(numbers_column(), bins=bins)


def test_a_selection_beyond_the_view_is_refused():
    with pytest.raises(InputError, match="selection"):
        chart(words_column(100), np.array([5, 100]))


@pytest.mark.parametrize("numeric", [True, False])
def test_the_figure_overlays_the_selection_and_says_what_it_charts(numeric):
    values = numbers_column() if numeric else words_column()
    plain = chart_figure(chart(values))
    selected = chart_figure(chart(values, np.arange(50)), dark=True)
    assert [t["name"] for t in plain["data"]] == ["all"]
    assert [t["name"] for t in selected["data"]] == ["all", "selected"]
    for figure in (plain, selected):
        layout = figure["layout"]
        assert layout["barmode"] == "overlay" and layout["showlegend"] is False
        assert layout["meta"]["column"] == values.name and layout["meta"]["numeric"] is numeric
        assert layout["title"]["text"] == values.name
        assert layout["dragmode"] == ("select" if numeric else False)
    c = chart(values)
    assert plain["layout"]["meta"]["edges"] == c.edges
    assert plain["data"][0]["y"] == c.counts
    if numeric:
        assert plain["layout"]["selectdirection"] == "h"
        assert np.allclose(plain["data"][0]["width"], np.diff(c.edges))
    else:
        assert plain["data"][0]["x"] == c.labels and plain["layout"]["xaxis"]["type"] == "category"
    assert plain["layout"]["font"]["color"] != selected["layout"]["font"]["color"]  # light text when dark


def test_an_empty_or_all_missing_column_gives_an_empty_chart():
    c = chart(pd.Series(["", ""], name="z"), np.array([0]), numeric=True)
    assert c.counts == [] and c.missing == 2 and c.selected == []
    assert len(chart_figure(c)["data"]) == 2
    assert chart(pd.Series([], dtype=object)).counts == []


@pytest.mark.parametrize("cells", [["1000", "1001"], ["0", "50000"], ["-1", "1"], ["0.001", "0.002"], ["5e6", "9e6"]])
def test_bin_labels_are_short_and_tell_neighbouring_bins_apart(cells):
    labels = chart(pd.Series(cells), numeric=True).labels
    assert len(set(labels)) == len(labels) == DEFAULT_BINS
    assert all(len(label) <= 24 and "e+" not in label for label in labels)
