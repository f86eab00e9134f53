"""Downloads of what is on screen: the plotted points' coordinates with their metadata as CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd

ROW_COLUMN = "row"
SELECTED_COLUMN = "selected"
FLOAT32_FORMAT = "%.9g"  # 9 significant digits: every float32 reads back exactly


def coordinates_csv(
    coords: np.ndarray, rows: np.ndarray, metadata: pd.DataFrame, selected: np.ndarray, axis_names: list[str]
) -> str:
    """CSV with one line per plotted point, in plot order.

    Columns: ``row`` (dataset row), one per axis in ``axis_names`` (float32 written with 9 significant digits,
    empty when NaN), every metadata column of that row, and ``selected`` (``true``/``false``). A metadata
    column whose name is taken by one of ours is written as ``"<name> (metadata)"``.

    Parameters
    ----------
    coords : (len(rows), len(axis_names)) coordinates of the plotted points, aligned with ``rows``.
    rows : dataset rows of the plotted points, in plot order.
    metadata : one line per dataset row (read by position).
    selected : dataset rows that are selected (any order; rows not plotted are ignored).
    """
    coords = np.asarray(coords, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if coords.ndim != 2 or coords.shape != (rows.size, len(axis_names)):
        raise ValueError(f"coords has shape {coords.shape}, expected ({rows.size}, {len(axis_names)})")
    ours = [ROW_COLUMN, *map(str, axis_names), SELECTED_COLUMN]
    if len(set(ours)) != len(ours):
        raise ValueError(f"axis names {axis_names!r} repeat or use 'row' / 'selected'")
    columns: dict[str, object] = {ROW_COLUMN: rows}
    for j, name in enumerate(axis_names):
        text = np.char.mod(FLOAT32_FORMAT, coords[:, j]).astype(object)
        text[np.isnan(coords[:, j])] = ""
        columns[str(name)] = text
    frame = pd.DataFrame(columns)
    meta = metadata.iloc[rows].reset_index(drop=True)
    taken = set(ours)
    meta.columns = [f"{name} (metadata)" if str(name) in taken else name for name in meta.columns]
    flags = np.isin(rows, np.asarray(selected, dtype=np.int64).reshape(-1))
    frame = pd.concat([frame, meta, pd.DataFrame({SELECTED_COLUMN: np.where(flags, "true", "false")})], axis=1)
    return frame.to_csv(index=False, lineterminator="\n")
