"""Small metadata charts that filter the plot: a histogram for a numeric column, the top values as bars for a
categorical one; a brush or a click on a chart selects points, and every chart overlays the selection.

A column is a histogram exactly when it is coloured by a gradient (numeric and not class ids, as
:func:`projector.colors.column_kinds` decides). Positions are into the view's points (0..n-1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from projector.colors import SELECTED_COLOR, is_class_id_column
from projector.errors import InputError
from projector.metadata import is_numeric_column, numeric_values

MAX_BARS = 20
DEFAULT_BINS = 20
MAX_BINS = 100
MAX_CHARTS = 6  # columns shown at once
MAX_LABEL = 1000  # characters of a chosen value

ALL_COLOR = {False: "#b0b8c1", True: "#5c6773"}
FONT_COLOR = {False: "#2a3f5f", True: "#e0e0e0"}
GRID_COLOR = {False: "rgba(0,0,0,0.08)", True: "rgba(255,255,255,0.12)"}
TRANSPARENT = "rgba(0,0,0,0)"
_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))  # largest first


@dataclass(frozen=True)
class Chart:
    """One column's bars over the view's points, and the selection's share of each bar."""

    column: str
    numeric: bool
    labels: list[str]  # per bar: the category value, or the bin's range as text
    edges: list[float] | None  # numeric: the bins + 1 edges; None for categories
    counts: list[int]  # all points (of the view) per bar
    selected: list[int] | None  # the selected points per bar, None when nothing is selected
    other: int  # categorical: points whose value is beyond the top MAX_BARS (0 for numeric)
    missing: int  # points with an empty (or non-numeric) cell


def is_histogram(values: pd.Series) -> bool:
    """Whether ``values`` is charted as a histogram: numeric and not class ids, as colours decide."""
    return is_numeric_column(values) and not is_class_id_column(values)


def chart(
    values: pd.Series, selected: np.ndarray | None = None, *, numeric: bool | None = None, bins: int = DEFAULT_BINS
) -> Chart:
    """The chart of one column.

    Parameters
    ----------
    values
        The column over the view's points, position-indexed 0..n-1.
    selected
        Positions (into ``values``) of the selected points, or None when nothing is selected.
    numeric
        A histogram (True) or the top values (False); None decides as the colours do.
    bins
        The histogram's equal bins, 1 to 100 (a constant column gets one).
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= MAX_BINS:
        raise InputError(f"The number of bins must be a whole number from 1 to {MAX_BINS}; got {bins!r}.")
    positions = None if selected is None else _positions(selected, len(values))
    column = str(values.name) if values.name is not None else ""
    if numeric is None:
        numeric = is_histogram(values)
    if numeric:
        return _histogram(column, numeric_values(values), positions, int(bins))
    return _top_values(column, _texts(values), positions)


def rows_in_range(values: pd.Series, low: float, high: float) -> np.ndarray:
    """Positions whose number ``v`` has ``low <= v <= high`` (an empty or non-numeric cell never);
    bounds in either order."""
    low, high = _bound(low), _bound(high)
    if low > high:
        low, high = high, low
    numbers = numeric_values(values)
    with np.errstate(invalid="ignore"):
        return np.flatnonzero((numbers >= low) & (numbers <= high))


def rows_with_values(values: pd.Series, chosen: list[str]) -> np.ndarray:
    """Positions whose cell is one of ``chosen`` (at most MAX_BARS values)."""
    if not isinstance(chosen, (list, tuple)):
        raise InputError("Chart values must be a list of texts; click the bars again.")
    if len(chosen) > MAX_BARS:
        raise InputError(f"Choose at most {MAX_BARS} values of a chart at once; clear the selection and try again.")
    for value in chosen:
        if not isinstance(value, str) or len(value) > MAX_LABEL:
            raise InputError(f"A chart value must be text of at most {MAX_LABEL:,} characters; got {value!r:.60}.")
    return np.flatnonzero(np.isin(_texts(values), np.asarray(list(chosen), dtype=object)))


def chart_figure(c: Chart, *, dark: bool = False) -> dict[str, Any]:
    """A small Plotly figure dict of ``c``: all points as bars, the selection overlaid; a brush along x
    selects on a histogram, clicks select bars of categories."""
    if c.numeric and c.edges:
        edges = np.asarray(c.edges, dtype=np.float64)
        bars: dict[str, Any] = {
            "x": ((edges[:-1] + edges[1:]) / 2).tolist(),
            "width": np.diff(edges).tolist(),
            "customdata": [[lo, hi] for lo, hi in zip(c.edges[:-1], c.edges[1:])],  # read back by brushed_rows
        }
    else:
        bars = {"x": list(c.labels), "customdata": list(c.labels)}
    traces = [_bars(bars, c.counts, c.labels, "all", ALL_COLOR[dark], "points")]
    if c.selected is not None:
        traces.append(_bars(bars, c.selected, c.labels, "selected", SELECTED_COLOR, "selected"))
    axis = {"gridcolor": GRID_COLOR[dark], "zeroline": False, "fixedrange": True, "automargin": False}
    layout: dict[str, Any] = {
        "title": {"text": c.column, "font": {"size": 11}, "x": 0.02, "xanchor": "left", "y": 0.97},
        "margin": {"l": 30, "r": 8, "t": 24, "b": 30},
        "height": 140,
        "showlegend": False,
        "barmode": "overlay",
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "font": {"size": 10, "color": FONT_COLOR[dark]},
        "yaxis": {**axis, "tickformat": "~s"},
        "uirevision": c.column,  # keeps a brush drawn while the overlay changes
        "meta": {"column": c.column, "numeric": c.numeric, "edges": c.edges},
    }
    if c.numeric:
        layout.update(dragmode="select", selectdirection="h", xaxis={**axis, "type": "linear"})
    else:
        layout.update(dragmode=False, clickmode="event+select", bargap=0.15, xaxis={**axis, "type": "category"})
    return {"data": traces, "layout": layout}


def _bars(
    bars: dict[str, Any], counts: list[int], labels: list[str], name: str, color: str, noun: str
) -> dict[str, Any]:
    return {
        "type": "bar",
        "name": name,
        **bars,
        "y": list(counts),
        "hovertext": list(labels),
        "hovertemplate": f"%{{hovertext}}<br>%{{y:,}} {noun}<extra></extra>",
        "marker": {"color": color, "line": {"width": 0}},
    }


def _histogram(column: str, numbers: np.ndarray, positions: np.ndarray | None, bins: int) -> Chart:
    finite = np.isfinite(numbers)
    present = numbers[finite]
    missing = int(numbers.size - present.size)
    if not present.size:
        return Chart(column, True, [], [], [], None if positions is None else [], 0, missing)
    edges = _edges(present, bins)
    counts = np.histogram(present, bins=edges)[0]
    selected = None
    if positions is not None:
        chosen = numbers[positions]
        selected = np.histogram(chosen[np.isfinite(chosen)], bins=edges)[0].astype(int).tolist()
    low, high = float(present.min()), float(present.max())
    labels = [_number(low, 6)] if low == high else _range_labels(edges)
    return Chart(column, True, labels, edges.tolist(), counts.astype(int).tolist(), selected, 0, missing)


def _edges(present: np.ndarray, bins: int) -> np.ndarray:
    low, high = float(present.min()), float(present.max())
    if low == high:
        half = max(0.5, abs(low) * 1e-6)  # ±0.5 alone vanishes into the rounding of a large value
        return np.array([low - half, high + half])
    with np.errstate(over="ignore", invalid="ignore"):
        edges = np.linspace(low, high, bins + 1)
    if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):  # a range too wide or too narrow for floats
        return np.array([low, high])
    return edges


def _range_labels(edges: np.ndarray) -> list[str]:
    with np.errstate(over="ignore"):
        width = float(np.min(np.diff(edges)))
    scale = float(np.max(np.abs(edges)))
    digits = min(15, max(3, math.ceil(math.log10(max(scale / width, 1.0))) + 1))  # enough to tell edges apart
    if math.isfinite(width):
        edges = np.where(np.abs(edges) < width * 1e-9, 0.0, edges)  # -1.1e-16 is the zero a linspace missed
    units = [(1.0, "")] + [(size, suffix) for size, suffix in _SUFFIXES if scale >= size][:1]
    # one unit for the whole chart, the one with the shorter labels: "0 – 2.5k" but "10000.05 – 10000.1"
    texts = min((_in_unit(edges, size, suffix, digits) for size, suffix in units), key=_length)
    return [f"{lo} – {hi}" for lo, hi in zip(texts[:-1], texts[1:])]


def _in_unit(edges: np.ndarray, size: float, suffix: str, digits: int) -> list[str]:
    top = float(np.max(np.abs(edges))) / size
    if top < 1e15:  # every digit of the whole part, or g-format writes 1100 as "1.1e+03"
        digits = max(digits, math.floor(math.log10(max(top, 1.0))) + 1)
    return [_number(e / size, digits) + (suffix if e else "") for e in edges]


def _length(texts: list[str]) -> int:
    return sum(len(t) for t in texts)


def _number(value: float, digits: int = 3) -> str:
    """``value`` in ``digits`` significant digits at most, with no trailing zeros."""
    return f"{float(value):.{digits}g}"


def _top_values(column: str, texts: np.ndarray, positions: np.ndarray | None) -> Chart:
    present = texts != ""
    categories, inverse, counts = np.unique(texts[present], return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_BARS]  # np.unique sorted the values: ties go by value
    bar_of = np.full(categories.size, -1, dtype=np.int64)
    bar_of[order] = np.arange(order.size)
    bars = np.full(texts.size, -1, dtype=np.int64)  # each point's bar, -1 for empty cells and the other values
    bars[present] = bar_of[inverse.reshape(-1)]
    shown = counts[order]
    selected = None
    if positions is not None:
        picked = bars[positions]
        selected = np.bincount(picked[picked >= 0], minlength=order.size).astype(int).tolist()
    other = int(present.sum() - shown.sum())
    labels = [str(v) for v in categories[order]]
    return Chart(column, False, labels, None, shown.astype(int).tolist(), selected, other, int((~present).sum()))


def _texts(values: pd.Series) -> np.ndarray:
    return np.asarray(values.astype(object).where(values.notna(), "").map(str).to_numpy(), dtype=object)


def _positions(selected: np.ndarray, n: int) -> np.ndarray:
    positions = np.asarray(selected)
    if positions.size == 0:
        return np.zeros(0, dtype=np.int64)
    if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
        raise InputError("A selection must list point positions as whole numbers; clear the selection.")
    if positions.min() < 0 or positions.max() >= n:
        raise InputError(f"The selection names points beyond this view's {n:,}; clear the selection.")
    return np.unique(positions)


def _bound(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"A chart range needs numbers as its bounds; got {value!r:.60}.")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"A chart range needs finite bounds; got {number}. Brush the chart again.")
    return number
