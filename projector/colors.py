"""Colour encodings: a metadata column -> per-point palette codes, a palette and a legend.

Every point colour is a small integer code into one palette, so a recolour is one typed
``uint8``/``uint16`` array plus a short colourscale. Codes 0-2 are reserved for the highlight
states; the column's own colours start at :data:`FIRST_CODE`.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from plotly.colors import qualitative, sample_colorscale

from projector.metadata import is_numeric_column, numeric_values

DIMMED = 0  # a point outside the current selection while something is selected
SELECTED = 1  # a selected point when no column colours the points
MISSING = 2  # an empty metadata cell
FIRST_CODE = 3

DIMMED_COLOR = "#d8d8d8"
SELECTED_COLOR = "#e4572e"
MISSING_COLOR = "#9e9e9e"
BASE_COLOR = "#4C78A8"
MUTED_COLOR = "#b4b4b4"  # a category that is no class (a cluster run's noise), drawn grey and listed last
GRADIENT_LEVELS = 200
LEGEND_LIMIT = 50
CLASS_ID_LIMIT = 20  # integer columns with at most this many values are class ids, not quantities


@dataclass
class LegendEntry:
    """One row of the colour legend."""

    label: str
    color: str
    count: int


@dataclass
class ColorEncoding:
    """Per-point colour codes for one column, the palette they index and the legend."""

    codes: np.ndarray  # uint16 (N,), values index ``palette``
    palette: list[str]
    kind: str  # "none", "categorical" or "numeric"
    legend: list[LegendEntry] = field(default_factory=list)
    hidden_categories: int = 0  # categories coloured but not listed in the legend
    value_range: tuple[float, float] | None = None  # numeric columns: (min, max)


def _reserved() -> list[str]:
    return [DIMMED_COLOR, SELECTED_COLOR, MISSING_COLOR]


def category_colors(n: int) -> list[str]:
    """``n`` distinguishable colours: Tableau's ten, then Alphabet, then evenly spread hues."""
    base = list(qualitative.T10) + list(qualitative.Alphabet)
    if n <= len(base):
        return base[:n]
    colors = []
    for i in range(n):
        hue = (i * 0.618033988749895) % 1.0
        lightness = 0.45 + 0.15 * ((i // 7) % 2)
        r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.65)
        colors.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return colors


def uniform_encoding(n: int) -> ColorEncoding:
    """Every point in the base colour (no column chosen)."""
    palette = _reserved() + [BASE_COLOR]
    return ColorEncoding(np.full(n, FIRST_CODE, dtype=np.uint16), palette, "none")


def encode_column(values: pd.Series | None, categorical: bool = False, muted: tuple[str, ...] = ()) -> ColorEncoding:
    """Colour codes for a metadata column: a gradient if numeric (unless ``categorical`` forces a palette),
    a palette otherwise, the ``muted`` values in grey."""
    if values is None:
        raise ValueError("values must be a column; use uniform_encoding for no column")
    strings = values.astype(str).to_numpy()
    if not categorical and is_numeric_column(values) and not is_class_id_column(values):
        return _numeric_encoding(numeric_values(values))
    return _categorical_encoding(strings, muted)


def is_class_id_column(values: pd.Series) -> bool:
    """A numeric column of few whole numbers (digit labels, cluster ids) is coloured by category."""
    numbers = numeric_values(values)
    numbers = numbers[np.isfinite(numbers)]
    whole = bool(np.all(numbers == np.round(numbers)))
    return bool(numbers.size) and whole and np.unique(numbers).size <= CLASS_ID_LIMIT


@dataclass(frozen=True)
class ColumnKind:
    """How a metadata column is coloured: by a gradient (``numeric``) or by category, with ``distinct``
    non-empty values; ``values`` counts every distinct cell, the empty one included."""

    name: str
    numeric: bool
    distinct: int
    values: int

    @property
    def option(self) -> dict[str, str]:
        """The column as a colour-by choice: ``name (numeric)`` or ``name (N values)``."""
        note = "numeric" if self.numeric else f"{self.distinct:,} value{'' if self.distinct == 1 else 's'}"
        return {"label": f"{self.name} ({note})", "value": self.name}


def column_kinds(metadata: pd.DataFrame) -> list[ColumnKind]:
    """The kind of every metadata column, in order (parsing each column once: cache the result)."""
    kinds = []
    for column in metadata.columns:
        values = metadata[column]
        numeric = is_numeric_column(values) and not is_class_id_column(values)
        kinds.append(ColumnKind(str(column), numeric, int(values[values != ""].nunique()), int(values.nunique())))
    return kinds


def default_color_column(metadata: pd.DataFrame, kinds: list[ColumnKind] | None = None) -> str | None:
    """The first categorical column with 2 to 50 values: the most useful colouring at a glance."""
    for kind in column_kinds(metadata) if kinds is None else kinds:
        if not kind.numeric and 1 < kind.values <= LEGEND_LIMIT:
            return kind.name
    return None


def _categorical_encoding(strings: np.ndarray, muted: tuple[str, ...] = ()) -> ColorEncoding:
    missing = strings == ""
    categories, inverse, counts = np.unique(strings[~missing], return_inverse=True, return_counts=True)
    quiet = np.isin(categories, np.asarray(muted, dtype=categories.dtype)) if muted else np.zeros(categories.size, bool)
    order = np.lexsort((-counts, quiet))  # most frequent category gets the first colour; muted ones come last
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    colors = category_colors(categories.size)
    for i in np.flatnonzero(quiet):
        colors[rank[i]] = MUTED_COLOR
    codes = np.full(strings.size, MISSING, dtype=np.uint16)
    codes[~missing] = FIRST_CODE + rank[inverse]
    palette = _reserved() + colors
    legend = [LegendEntry(str(categories[i]), colors[rank[i]], int(counts[i])) for i in order[:LEGEND_LIMIT]]
    if missing.any():
        legend.append(LegendEntry("(missing)", MISSING_COLOR, int(missing.sum())))
    hidden = max(0, categories.size - LEGEND_LIMIT)
    return ColorEncoding(codes, palette, "categorical", legend, hidden)


def _numeric_encoding(numbers: np.ndarray) -> ColorEncoding:
    finite = np.isfinite(numbers)
    codes = np.full(numbers.size, MISSING, dtype=np.uint16)
    gradient = sample_colorscale("Viridis", list(np.linspace(0.0, 1.0, GRADIENT_LEVELS)))
    palette = _reserved() + gradient
    if not finite.any():
        return ColorEncoding(codes, palette, "numeric")
    low, high = float(numbers[finite].min()), float(numbers[finite].max())
    span = high - low
    scaled = (numbers[finite] - low) / span if span > 0 else np.zeros(int(finite.sum()))
    codes[finite] = FIRST_CODE + np.round(scaled * (GRADIENT_LEVELS - 1)).astype(np.uint16)
    legend = [LegendEntry(f"{low:g}", gradient[0], 0), LegendEntry(f"{high:g}", gradient[-1], 0)]
    if not finite.all():
        legend.append(LegendEntry("(missing)", MISSING_COLOR, int((~finite).sum())))
    return ColorEncoding(codes, palette, "numeric", legend, value_range=(low, high))


def highlight(encoding: ColorEncoding, selected: np.ndarray) -> np.ndarray:
    """Codes with everything outside ``selected`` dimmed; uncoloured selected points turn red.

    ``selected`` is an index array into ``encoding.codes``; an empty selection changes nothing.
    """
    if selected.size == 0:
        return encoding.codes
    codes = np.full_like(encoding.codes, DIMMED)
    codes[selected] = SELECTED if encoding.kind == "none" else encoding.codes[selected]
    return codes


def discrete_colorscale(palette: list[str]) -> tuple[list[list[float | str]], float, float]:
    """A Plotly colourscale that maps integer code ``i`` to ``palette[i]``, with its cmin and cmax."""
    k = len(palette)
    scale: list[list[float | str]] = []
    for i, color in enumerate(palette):
        scale.append([i / k, color])
        scale.append([(i + 1) / k, color])
    return scale, -0.5, k - 0.5
