"""Find points by metadata: case-insensitive substring or regular expression, vectorised with pandas."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from projector.errors import InputError


def _check_regex(query: str) -> None:
    try:
        re.compile(query, re.IGNORECASE)
    except re.error as error:
        raise InputError(f"Invalid regular expression '{query}': {error}. Fix it or turn regex off.") from None


def _as_strings(values: Sequence[str] | pd.Series) -> pd.Series:
    """Values as a string Series; missing cells stay missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    series = series.reset_index(drop=True)
    if isinstance(series.dtype, pd.StringDtype):
        return series
    missing = series.isna()
    strings = series.astype(str)
    return strings.where(~missing, None) if missing.any() else strings


def _match(values: Sequence[str] | pd.Series, query: str, regex: bool) -> np.ndarray:
    """Boolean mask of matching values (the query is already validated and non-empty)."""
    strings = _as_strings(values)
    if strings.empty:
        return np.zeros(0, dtype=bool)
    with warnings.catch_warnings():  # groups in a typed pattern are fine; only whether it matches counts
        warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
        hits = strings.str.contains(query, case=False, regex=regex, na=False)
    # A pattern such as "x*" matches the empty string; blank cells are missing, not matches.
    return hits.to_numpy(dtype=bool, na_value=False) & (strings != "").to_numpy(dtype=bool, na_value=False)


def search(values: Sequence[str] | pd.Series, query: str, regex: bool = False) -> np.ndarray:
    """Sorted int64 positions of ``values`` matching ``query``.

    A case-insensitive substring test, or a case-insensitive ``re.search`` when ``regex`` is true. An empty
    or blank query matches nothing, and so do missing cells (``""`` or NaN). Raises ``InputError`` for an
    invalid regular expression.
    """
    if not query or not query.strip():
        return np.empty(0, dtype=np.int64)
    if regex:
        _check_regex(query)
    return np.flatnonzero(_match(values, query, regex)).astype(np.int64)


def search_columns(frame: pd.DataFrame, column: str | None, query: str, regex: bool) -> np.ndarray:
    """Sorted int64 row positions of ``frame`` whose ``column`` matches ``query`` (see :func:`search`).

    ``column`` None or ``""`` searches every column (a row matches if any cell does). A frame without columns
    searches the row index as strings, the labels such points are shown with.
    """
    if not query or not query.strip():
        return np.empty(0, dtype=np.int64)
    if regex:
        _check_regex(query)
    if frame.shape[1] == 0:
        return np.flatnonzero(_match(frame.index.astype(str), query, regex)).astype(np.int64)
    if column:
        if column not in frame.columns:
            names = ", ".join(map(str, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
            raise InputError(f"Unknown metadata column {column!r}; choose one of {names}.")
        positions = np.flatnonzero(frame.columns == column)  # a name may repeat
    else:
        positions = range(frame.shape[1])
    hits = np.zeros(len(frame), dtype=bool)
    for position in positions:
        hits |= _match(frame.iloc[:, position], query, regex)
    return np.flatnonzero(hits).astype(np.int64)
