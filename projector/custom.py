"""TensorBoard's custom projection: axes from the centroids of points found by metadata searches.

X runs from the centroid of the points matching the *left* search to the centroid of those matching the
*right* search; Y likewise from *down* to *up*, or along a seeded random direction orthogonal to X when
neither up nor down is given. Coordinates are the vectors' projections on the unit directions.

The directions come from every point, also when only some are shown (isolated): a search finds its
matches in the whole dataset, as TensorBoard's how-to expects ("politics: best − worst").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from projector.errors import InputError
from projector.search import search_columns

PARALLEL_COSINE = 0.99  # |cos| between the two directions above which the plot is nearly a line


@dataclass
class CustomProjection:
    """Coordinates on the two search-defined axes, their titles and notes for the user."""

    coords: np.ndarray  # float32 (N, 2)
    x_title: str  # "'left' ← → 'right'"
    y_title: str  # "'down' ↓ ↑ 'up'" or "random"
    notes: list[str] = field(default_factory=list)


SIDES = ("left", "right", "up", "down")
Regex = bool | Mapping[str, bool]  # one switch for every search, or one per side


def _is_regex(regex: Regex, side: str) -> bool:
    return bool(regex.get(side)) if isinstance(regex, Mapping) else bool(regex)


def matches(metadata: pd.DataFrame, column: str | None, searches: Mapping[str, str], regex: Regex) -> dict[str, int]:
    """How many points each non-empty search (``left``, ``right``, ``up``, ``down``) finds in ``metadata``."""
    found = {}
    for side in SIDES:
        query = (searches.get(side) or "").strip()
        if query:
            found[side] = len(search_columns(metadata, column, query, _is_regex(regex, side)))
    return found


def _where(column: str | None) -> str:
    return f"in column '{column}'" if column else "in the metadata"


def _centroid(
    vectors: np.ndarray, metadata: pd.DataFrame, column: str | None, side: str, query: str, regex: Regex
) -> np.ndarray:
    rows = search_columns(metadata, column, query, _is_regex(regex, side))
    if len(rows) == 0:
        raise InputError(f"The {side} search '{query}' matches 0 points {_where(column)}.")
    centroid: np.ndarray = vectors[rows].mean(axis=0, dtype=np.float64)
    return centroid


def _direction(
    vectors: np.ndarray,
    metadata: pd.DataFrame,
    column: str | None,
    regex: Regex,
    start: tuple[str, str],
    end: tuple[str, str],
) -> np.ndarray:
    """Unit vector from the centroid of ``start``'s matches to that of ``end``'s (each ``(side, query)``)."""
    direction = _centroid(vectors, metadata, column, *end, regex) - _centroid(vectors, metadata, column, *start, regex)
    norm = float(np.linalg.norm(direction))
    scale = float(np.abs(vectors).max(initial=0.0))
    if not norm > 1e-9 * max(scale, 1e-30):
        raise InputError(
            f"The {start[0]} search '{start[1]}' and the {end[0]} search '{end[1]}' find points with the same "
            f"centroid, so they define no direction; choose searches that pick different points."
        )
    unit: np.ndarray = direction / norm
    return unit


def _random_orthogonal(x_axis: np.ndarray, random_state: int) -> np.ndarray | None:
    """A seeded random unit vector orthogonal to ``x_axis`` (None in one dimension)."""
    if x_axis.shape[0] < 2:
        return None
    rng = np.random.default_rng(random_state)
    while True:
        candidate = rng.standard_normal(x_axis.shape[0])
        candidate -= (candidate @ x_axis) * x_axis
        norm = float(np.linalg.norm(candidate))
        if norm > 1e-6:
            unit: np.ndarray = candidate / norm
            return unit


def custom_projection(
    vectors: np.ndarray,
    metadata: pd.DataFrame,
    column: str | None,
    left: str,
    right: str,
    up: str = "",
    down: str = "",
    regex: Regex = False,
    random_state: int = 0,
    rows: np.ndarray | None = None,
) -> CustomProjection:
    """Project ``vectors`` (the ``rows`` of them, every one when None) on the left→right and down→up
    directions found by searching ``column`` of every point's ``metadata``.

    Searches are those of :func:`projector.search.search_columns` (case-insensitive substring, or regex when
    ``regex`` says so, for all searches or per side; ``column`` None searches every column). Left and right
    are required; up and down go together, and when both are empty Y is a random direction (seeded by
    ``random_state``) orthogonal to X. Raises ``InputError`` naming the search that is missing, matches no
    point, or gives no direction.
    """
    data = np.asarray(vectors)
    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float32)
    if data.ndim != 2 or data.shape[0] != len(metadata):
        raise InputError(
            f"The custom projection needs one metadata row per vector; got vectors of shape {data.shape} "
            f"and {len(metadata)} metadata rows."
        )
    left, right, up, down = ((text or "").strip() for text in (left, right, up, down))
    for side, query in (("left", left), ("right", right)):
        if not query:
            raise InputError(f"The {side} search is empty; type a {side} search to define the X axis.")
    if bool(up) != bool(down):
        missing = "down" if up else "up"
        raise InputError(
            f"The {missing} search is empty; type both an up and a down search, or neither for a random Y axis."
        )
    x_axis = _direction(data, metadata, column, regex, ("left", left), ("right", right))
    notes: list[str] = []
    y_axis: np.ndarray | None
    if up:
        y_axis = _direction(data, metadata, column, regex, ("down", down), ("up", up))
        y_title = f"'{down}' ↓ ↑ '{up}'"
        if abs(float(x_axis @ y_axis)) > PARALLEL_COSINE:
            notes.append("The up/down direction is almost parallel to left/right, so the points lie near a line.")
    else:
        y_axis = _random_orthogonal(x_axis, random_state)
        y_title = "random"
        notes.append("Y axis is random: no up/down search given.")
        if y_axis is None:
            y_axis = np.zeros_like(x_axis)
            notes[-1] = "Y axis is flat: the vectors have a single dimension."
    shown = data if rows is None else data[np.asarray(rows, dtype=np.int64)]
    coords = shown @ np.stack([x_axis, y_axis], axis=1).astype(data.dtype, copy=False)
    x_title = f"'{left}' ← → '{right}'"
    return CustomProjection(np.ascontiguousarray(coords, dtype=np.float32), x_title, y_title, notes)
