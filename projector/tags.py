"""Edit by: values a browser session gives selected points in a metadata column, over the tensor's metadata.

A session's tags are ``{column: {tensor row: value}}`` (rows of the tensor file, as metadata files count them).
They never change the metadata files or what another session sees; applied to a dataset's metadata they add
the column when it is new (other points get an empty value) or overwrite the tagged points' values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from projector.errors import InputError

Tags = dict[str, dict[int, str]]

MAX_COLUMN_CHARS = 100
MAX_VALUE_CHARS = 1000
MAX_COLUMNS = 50


def _checked_text(text: str | None, what: str, limit: int) -> str:
    value = (text or "").strip()
    if any(c in value for c in "\t\r\n"):
        raise InputError(f"The {what} cannot contain tabs or line breaks (metadata is tab-separated text).")
    if len(value) > limit:
        raise InputError(f"The {what} is {len(value):,} characters long; at most {limit:,} are kept.")
    return value


def add_tag(tags: Mapping[str, Mapping[int, str]], column: str | None, rows: np.ndarray, value: str | None) -> Tags:
    """``tags`` with ``value`` given to tensor ``rows`` in ``column`` (a copy; ``tags`` is left as it was)."""
    name = _checked_text(column, "column name", MAX_COLUMN_CHARS)
    if not name:
        raise InputError("Choose a metadata column to edit, or type the name of a new one.")
    text = _checked_text(value, "value", MAX_VALUE_CHARS)
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.size == 0:
        raise InputError("Select some points first (search, click or drag), then give them a value.")
    updated: Tags = {c: dict(values) for c, values in tags.items()}
    if name not in updated and len(updated) >= MAX_COLUMNS:
        raise InputError(f"At most {MAX_COLUMNS} columns can be edited in one browser; edit an existing one.")
    column_tags = updated.setdefault(name, {})
    for row in rows.tolist():
        column_tags[int(row)] = text
    return updated


def set_column(tags: Mapping[str, Mapping[int, str]], column: str, rows: np.ndarray, values: np.ndarray) -> Tags:
    """``tags`` with ``column`` replaced by ``values`` for tensor ``rows`` alone (a copy): what a computed
    column (clusters) writes, so a run on an isolated subset leaves the other points empty, not stale."""
    name = _checked_text(column, "column name", MAX_COLUMN_CHARS)
    if not name:
        raise InputError("A computed column needs a name.")
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    values = np.asarray(values, dtype=object).reshape(-1)
    if rows.size != values.size:
        raise InputError(f"{values.size:,} values were given for {rows.size:,} points.")
    texts = {value: _checked_text(str(value), "value", MAX_VALUE_CHARS) for value in set(values.tolist())}
    updated: Tags = {c: dict(v) for c, v in tags.items() if c != name}
    if len(updated) >= MAX_COLUMNS:
        raise InputError(f"At most {MAX_COLUMNS} columns can be edited in one browser; edit an existing one.")
    updated[name] = {int(row): texts[value] for row, value in zip(rows.tolist(), values.tolist())}
    return updated


def apply_tags(metadata: pd.DataFrame, row_ids: np.ndarray, tags: Mapping[str, Mapping[int, str]]) -> pd.DataFrame:
    """``metadata`` (one row per dataset row; ``row_ids`` their tensor rows) with the tags' values in it."""
    if not tags:
        return metadata
    frame = metadata.copy()
    row_ids = np.asarray(row_ids, dtype=np.int64)
    for column, values in tags.items():
        cells = (
            frame[column].to_numpy(dtype=object, copy=True)
            if column in frame.columns
            else np.full(len(frame), "", dtype=object)
        )
        tagged = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
        found = np.searchsorted(row_ids, tagged)
        found = np.minimum(found, max(len(row_ids) - 1, 0))
        hit = (row_ids[found] == tagged) if len(row_ids) else np.zeros(len(tagged), dtype=bool)
        texts = np.array(list(values.values()), dtype=object)
        cells[found[hit]] = texts[hit]
        frame[column] = pd.Series(cells, index=frame.index, dtype=object)
    return frame


def tags_digest(tags: Mapping[str, Mapping[int, str]]) -> str:
    """A short content key of some tags."""
    text = json.dumps({c: sorted(v.items()) for c, v in tags.items()}, sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def tagged_rows(tags: Mapping[str, Mapping[int, str]]) -> int:
    """How many (column, row) values the tags hold."""
    return sum(len(values) for values in tags.values())
