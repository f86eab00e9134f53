"""The points on screen: an optional sorted subset of dataset rows, and label text for them."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

INDEX_COLUMN = "__index__"


def subset_array(indices: list[int] | None) -> np.ndarray | None:
    """The isolated rows as a sorted unique int64 array, or None when every row is shown."""
    if indices is None:
        return None
    return np.unique(np.asarray(indices, dtype=np.int64))


def subset_digest(indices: np.ndarray | None) -> str:
    """A short stable name for a subset of rows (``"all"`` for every row)."""
    if indices is None:
        return "all"
    return hashlib.blake2b(np.asarray(indices, dtype=np.int64).tobytes(), digest_size=12).hexdigest()


def visible_rows(subset: np.ndarray | None, n: int) -> np.ndarray:
    """Dataset rows drawn in the plot, in trace order."""
    return np.arange(n, dtype=np.int64) if subset is None else subset


def to_positions(subset: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Trace positions of dataset ``rows``; rows not on screen are dropped."""
    rows = np.asarray(rows, dtype=np.int64)
    if subset is None:
        return rows
    if subset.size == 0:
        return np.empty(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(subset, rows), subset.size - 1)
    return pos[subset[pos] == rows]


def to_rows(subset: np.ndarray | None, positions: np.ndarray) -> np.ndarray:
    """Dataset rows of trace ``positions``."""
    positions = np.asarray(positions, dtype=np.int64)
    return positions if subset is None else subset[positions]


def point_labels(metadata: pd.DataFrame, column: str | None) -> np.ndarray:
    """One label string per dataset row from ``column``; row numbers when there is no such column."""
    if column and column != INDEX_COLUMN and column in metadata.columns:
        return metadata[column].astype(str).to_numpy()
    return np.arange(len(metadata)).astype(str)


LABEL_PREFERENCE = ("label", "name", "word", "title", "text")


def default_label_column(columns: list[str]) -> str:
    """The column points are labelled by at first: a label-like name, else the first column, else the row."""
    for preferred in LABEL_PREFERENCE:
        for column in columns:
            if column.lower() == preferred:
                return column
    return columns[0] if columns else INDEX_COLUMN
