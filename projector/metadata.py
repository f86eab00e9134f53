"""Metadata TSV files, read by TensorBoard's rules.

The first line that is not blank is a header iff it has more than one column; a single-column file has
no header and its column is ``label``. Row ``i + 1`` of a multi-column file (row ``i`` of a single
column file) describes embedding row ``i``. Every cell is a string; an empty cell is missing.

Blank lines (TensorBoard skips them; its demo files end with some) never make a file unreadable: in a
multi-column file they are skipped wherever they are. In a single-column file a blank line is a missing
label, as long as the lines match the points; blank lines at the end beyond the points are dropped, and a
file whose lines match the points only without its blank lines is read as TensorBoard reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from projector.errors import MetadataError

SINGLE_COLUMN_NAME = "label"
# A column is a field to label, colour or search by; past this many a file is not metadata, and each
# column's name and bookkeeping would cost far more than the tab that made it.
MAX_COLUMNS = 10_000
LINES_BLOCK = 2**16  # characters split into lines at a time: no list of every line of a large file is made


def read_metadata(path: str | Path, n_points: int, *, name: str | None = None) -> pd.DataFrame:
    """The metadata of ``n_points`` points as a DataFrame of strings (index 0..N-1).

    ``name`` is how the file is shown in error messages (default: ``path``). Raises
    MetadataError for an unreadable file, ragged rows, more than :data:`MAX_COLUMNS` columns or a row count
    that does not match.
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
    del raw  # the text is what the cells come from: no second copy of the file meanwhile
    return parse_metadata(text, n_points, name=shown)


def parse_metadata(text: str, n_points: int, *, name: str = "metadata") -> pd.DataFrame:
    """Metadata TSV text as a DataFrame of ``n_points`` rows of strings; see :func:`read_metadata`.

    The file is looked at twice, a line at a time: once to count its lines and check their cells, then to
    fill one preallocated 2-D array of the cells. Memory is the cells themselves and 8 bytes each, never a
    row count or width the file only claims.
    """
    shape = _Shape.of(text)
    if shape.lines == 0:
        raise MetadataError(
            f"Metadata file {name} is empty; write one line per point (plus a header row if it has several columns)."
        )
    if shape.multi_column:
        if shape.width > MAX_COLUMNS:
            raise MetadataError(
                f"Metadata file {name} has {shape.width:,} columns in its header row; the projector reads at most "
                f"{MAX_COLUMNS:,}. Keep the columns to label, colour or search by."
            )
        _check_count(name, shape.filled, shape.filled - 1, n_points, multi_column=True)
        keep = _kept_lines(shape, skip_blank=True)
    else:
        keep = _single_column_lines(name, shape, n_points)
    if shape.ragged is not None:
        line_number, found = shape.ragged
        if shape.multi_column:
            hint = f"the header row has {shape.width} columns"
        else:
            hint = "the first line has no tab, so the file is read as a single column without header"
        raise MetadataError(
            f"Metadata file {name}, line {line_number} has {found} tab-separated cells but {hint}; "
            "every line must have the same number of cells (an empty cell is allowed)."
        )
    cells = np.empty((n_points, shape.width), dtype=object)
    header: list[str] = []
    row = 0
    for number, line in enumerate(_lines(text), start=1):
        if not keep(number, line):
            continue
        if shape.multi_column and not header:
            header = line.split("\t")
        elif shape.multi_column:
            cells[row] = line.split("\t")
            row += 1
        else:
            cells[row, 0] = line
            row += 1
    columns = _unique_names(header) if shape.multi_column else [SINGLE_COLUMN_NAME]
    return pd.DataFrame(cells, columns=columns, index=pd.RangeIndex(n_points), dtype=object, copy=False)


def _lines(text: str) -> Iterator[str]:
    """Each line of ``text`` without its LF (or CRLF), one at a time; the LF ending the last line ends it."""
    at = 0
    while at < len(text):
        end = text.find("\n", min(at + LINES_BLOCK, len(text)))
        end = len(text) if end < 0 else end + 1
        lines = text[at:end].split("\n")
        if text[end - 1] == "\n":
            lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith("\r") else line
        at = end


def _blank(line: str) -> bool:
    """A line TensorBoard skips (nothing but spaces); a line of tabs is a row of missing cells here."""
    return not line.strip() and "\t" not in line


@dataclass
class _Shape:
    """What one pass over a metadata file finds, holding no line but the first that is not blank."""

    lines: int = 0  # every line
    filled: int = 0  # the lines that are not blank
    last_filled: int = 0  # the number of the last line that is not blank
    multi_column: bool = False
    width: int = 1  # cells in the header row (1: a single column)
    ragged: tuple[int, int] | None = None  # the first line (number, cells) whose cells do not fit

    @classmethod
    def of(cls, text: str) -> _Shape:
        shape = cls()
        for number, line in enumerate(_lines(text), start=1):
            shape.lines = number
            if _blank(line):
                continue
            shape.filled += 1
            shape.last_filled = number
            tabs = line.count("\t")
            if shape.filled == 1:
                shape.multi_column, shape.width = tabs > 0, tabs + 1
            elif tabs + 1 != shape.width and shape.ragged is None:
                shape.ragged = (number, tabs + 1)
        return shape


def _kept_lines(shape: _Shape, *, skip_blank: bool, last: int | None = None) -> Callable[[int, str], bool]:
    """Which lines hold the header and the rows: every line up to ``last`` (all: None), blank ones too
    unless ``skip_blank``."""
    end = shape.lines if last is None else last

    def keep(number: int, line: str) -> bool:
        return number <= end and not (skip_blank and _blank(line))

    return keep


def _single_column_lines(name: str, shape: _Shape, n_points: int) -> Callable[[int, str], bool]:
    """The lines of a single-column file that are its ``n_points`` labels, else MetadataError: every line
    (a blank one a missing label), the first ``n_points`` when the rest are blank, or the lines that are not
    blank (TensorBoard's reading)."""
    if shape.lines == n_points or shape.last_filled <= n_points < shape.lines:
        return _kept_lines(shape, skip_blank=False, last=n_points)
    if shape.filled == n_points:
        return _kept_lines(shape, skip_blank=True)
    rows = shape.last_filled if shape.lines > n_points else shape.lines  # blank lines at the end never count
    _refuse_count(name, rows, rows, n_points, multi_column=False)


def _check_count(name: str, n_lines: int, n_rows: int, n_points: int, *, multi_column: bool) -> None:
    if n_rows != n_points:
        _refuse_count(name, n_lines, n_rows, n_points, multi_column=multi_column)


def _refuse_count(name: str, n_lines: int, n_rows: int, n_points: int, *, multi_column: bool) -> NoReturn:
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
