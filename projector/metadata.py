"""Metadata TSV files, read by TensorBoard's rules.

The first line is a header iff the file has more than one column; a single-column file has no
header and its column is ``label``. Row ``i + 1`` of a multi-column file (row ``i`` of a single
column file) describes embedding row ``i``. Every cell is a string; an empty cell is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from projector.errors import MetadataError

SINGLE_COLUMN_NAME = "label"


def read_metadata(path: str | Path, n_points: int, *, name: str | None = None) -> pd.DataFrame:
    """The metadata of ``n_points`` points as a DataFrame of strings (index 0..N-1).

    ``name`` is how the file is shown in error messages (default: ``path``). Raises
    MetadataError for an unreadable file, ragged rows or a row count that does not match.
    """
    shown = name or os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise MetadataError(
            f"Metadata file {shown} cannot be read ({error.strerror}); check that it exists."
        ) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MetadataError(
            f"Metadata file {shown} is not UTF-8 text (undecodable byte at offset {error.start}); "
            "save it as UTF-8 tab-separated values."
        ) from error
    return parse_metadata(text, n_points, name=shown)


def parse_metadata(text: str, n_points: int, *, name: str = "metadata") -> pd.DataFrame:
    """Metadata TSV text as a DataFrame of ``n_points`` rows of strings; see :func:`read_metadata`."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not lines:
        raise MetadataError(
            f"Metadata file {name} is empty; write one line per point (plus a header row if it has several columns)."
        )
    multi_column = "\t" in lines[0]
    if multi_column:
        header, body = lines[0].split("\t"), lines[1:]
        _check_count(name, len(lines), len(body), n_points, multi_column=True)
        columns = _unique_names(header)
    else:
        body = lines
        _check_count(name, len(lines), len(body), n_points, multi_column=False)
        columns = [SINGLE_COLUMN_NAME]
    width = len(columns)
    cells = [line.split("\t") for line in body]
    for offset, row in enumerate(cells):
        if len(row) != width:
            line_number = offset + (2 if multi_column else 1)
            if multi_column:
                hint = f"the header row has {width} columns"
            else:
                hint = "the first line has no tab, so the file is read as a single column without header"
            raise MetadataError(
                f"Metadata file {name}, line {line_number} has {len(row)} tab-separated cells but {hint}; "
                "every line must have the same number of cells (an empty cell is allowed)."
            )
    data = {column: [row[j] for row in cells] for j, column in enumerate(columns)}
    frame = pd.DataFrame(data, columns=columns, index=pd.RangeIndex(len(cells)), dtype=object)
    return frame


def _check_count(name: str, n_lines: int, n_rows: int, n_points: int, *, multi_column: bool) -> None:
    if n_rows == n_points:
        return
    if not multi_column and n_lines == n_points + 1:
        raise MetadataError(
            f"{name}: single-column metadata should not have a header row: {n_lines:,} lines for {n_points:,} "
            "points. Remove the first line (a single column is read as labels, with no header)."
        )
    if multi_column and n_lines == n_points:
        raise MetadataError(
            f"{name}: multi-column metadata needs a header row: {n_lines:,} lines for {n_points:,} points "
            f"(expected {n_points + 1:,}). Add a first line naming the columns, tab-separated."
        )
    header_note = " after its header row" if multi_column else ""
    raise MetadataError(
        f"{name} has {n_rows:,} row{'s' if n_rows != 1 else ''}{header_note} but the tensor has {n_points:,} points; "
        "write exactly one metadata row per tensor row, in the same order."
    )


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for j, raw in enumerate(header, start=1):
        base = raw.strip() or f"column {j}"
        candidate, k = base, 2
        while candidate in seen:
            candidate, k = f"{base} ({k})", k + 1
        seen.add(candidate)
        names.append(candidate)
    return names


def _as_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = series.astype(object).where(series.notna(), "").map(str).str.strip()
    present = text != ""
    values = pd.to_numeric(text.where(present, None), errors="coerce")
    written_nan = text.str.lower().isin(["nan", "+nan", "-nan"])
    return values.astype("float64"), present & ~written_nan


def is_numeric_column(series: pd.Series) -> bool:
    """Whether every non-empty cell parses as a number and at least one cell is non-empty."""
    values, present = _as_numbers(series)
    if not present.any():
        return False
    return bool(values[present].notna().all())


def numeric_values(series: pd.Series) -> np.ndarray:
    """The cells as float64, NaN where a cell is empty or not a number."""
    values, _ = _as_numbers(series)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)
