"""Downloads of what is on screen: the plotted points' coordinates with their metadata as CSV, the metadata as TSV.

Both are meant for spreadsheets, so text that a spreadsheet would run as a formula is neutralised (OWASP CSV
injection): a text cell starting with ``= + - @``, tab or carriage return gets a leading ``'``. Numbers, and
text that is a plain number such as ``-3.5``, are written unchanged. Lines end with CRLF.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROW_COLUMN = "row"
SELECTED_COLUMN = "selected"
FLOAT32_FORMAT = "%.9g"  # 9 significant digits: every float32 reads back exactly
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# CRLF (RFC 4180) also makes the writer quote a cell holding a lone CR, which spreadsheets read as a row break.
LINE_END = "\r\n"


def _is_number(text: str) -> bool:
    """Whether ``text`` is a plain number such as ``-3.5``, ``+1e-5`` or ``-inf`` (no spaces, no ``_``)."""
    if text != text.strip() or "_" in text:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_cell(value: object) -> object:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula; anything else as is."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return value
    return value if value[0] in "+-" and _is_number(value) else "'" + value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are passed through :func:`neutralise_cell`."""
    safe = frame.copy()
    for j in range(safe.shape[1]):
        column = safe.iloc[:, j]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            safe.isetitem(j, column.map(neutralise_cell))  # type: ignore[arg-type]  # stubs omit Series
    safe.columns = [neutralise_cell(name) for name in safe.columns]
    return safe


def coordinates_csv(
    coords: np.ndarray, rows: np.ndarray, metadata: pd.DataFrame, selected: np.ndarray, axis_names: list[str]
) -> str:
    """CSV with one line per plotted point, in plot order.

    Columns: ``row`` (dataset row), one per axis in ``axis_names`` (float32 written with 9 significant digits,
    empty when NaN), every metadata column of that row, and ``selected`` (``true``/``false``). A metadata
    column whose name is taken by one of ours is written as ``"<name> (metadata)"``; metadata text that could
    run as a spreadsheet formula is neutralised.

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
    meta = neutralise_formulas(meta)
    flags = np.isin(rows, np.asarray(selected, dtype=np.int64).reshape(-1))
    frame = pd.concat([frame, meta, pd.DataFrame({SELECTED_COLUMN: np.where(flags, "true", "false")})], axis=1)
    return frame.to_csv(index=False, lineterminator=LINE_END)


def metadata_download_tsv(metadata: pd.DataFrame, row_ids: np.ndarray) -> str:
    """The metadata download: ``row`` (the dataset's row ids) then every metadata column, tab-separated.

    Text that could run as a spreadsheet formula is neutralised, so this is for people, not for TensorBoard
    (:func:`projector.writer.metadata_tsv` writes a logdir's own file). A metadata column named ``row`` is
    written as ``"row (metadata)"``.
    """
    row_ids = np.asarray(row_ids).reshape(-1)
    if row_ids.size != len(metadata):
        raise ValueError(f"row_ids has {row_ids.size} values for {len(metadata)} metadata rows")
    frame = metadata.reset_index(drop=True)
    frame.columns = [f"{name} (metadata)" if str(name) == ROW_COLUMN else name for name in frame.columns]
    frame = neutralise_formulas(frame)
    frame.insert(0, ROW_COLUMN, row_ids)
    return frame.to_csv(sep="\t", index=False, lineterminator=LINE_END)
