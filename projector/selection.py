"""Select points by geometry in the projected coordinates: a sphere around a point, a box, a lasso."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from projector.errors import InputError

DEFAULT_RADIUS_FRACTION = 0.05  # of the bounding-box diagonal


def _as_coords(coords: np.ndarray, min_columns: int = 1) -> np.ndarray:
    array = np.asarray(coords, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < min_columns:
        raise InputError(f"Expected N×{min_columns}+ projected coordinates, got an array of shape {array.shape}.")
    return array


def within_radius(coords: np.ndarray, center: int, radius: float) -> np.ndarray:
    """Sorted int64 rows whose Euclidean distance to row ``center`` in ``coords`` is at most ``radius``.

    Uses every column of ``coords`` (2-D or 3-D projections); the centre itself is included.
    """
    array = _as_coords(coords)
    n = array.shape[0]
    if isinstance(center, bool) or not isinstance(center, (int, np.integer)) or not 0 <= center < n:
        raise InputError(f"Point {center!r} does not exist; there are {n:,} points.")
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"The selection radius must be a non-negative number, got {radius!r}.")
    offsets = array - array[center]
    sq = np.einsum("ij,ij->i", offsets, offsets)
    hits = sq <= float(radius) ** 2
    hits[center] = True
    return np.flatnonzero(hits).astype(np.int64)


def in_box(coords: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float]) -> np.ndarray:
    """Sorted int64 rows whose first two coordinates lie in the box (edges included, either corner order)."""
    array = _as_coords(coords, 2)
    x0, x1 = sorted(map(float, x_range))
    y0, y1 = sorted(map(float, y_range))
    x, y = array[:, 0], array[:, 1]
    return np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)).astype(np.int64)


def in_lasso(coords: np.ndarray, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Sorted int64 rows whose first two coordinates fall inside the polygon ``(xs, ys)``.

    The polygon is closed implicitly and may be concave or self-intersecting (even-odd rule, as Plotly draws
    a lasso). Fewer than three vertices select nothing.
    """
    array = _as_coords(coords, 2)
    vx = np.asarray(xs, dtype=np.float64).ravel()
    vy = np.asarray(ys, dtype=np.float64).ravel()
    if vx.shape != vy.shape:
        raise InputError(f"The lasso has {vx.size} x values but {vy.size} y values.")
    finite = np.isfinite(vx) & np.isfinite(vy)
    vx, vy = vx[finite], vy[finite]
    if vx.size < 3:
        return np.empty(0, dtype=np.int64)
    x, y = array[:, 0], array[:, 1]
    rows = np.flatnonzero((x >= np.min(vx)) & (x <= np.max(vx)) & (y >= np.min(vy)) & (y <= np.max(vy)))
    px, py = x[rows], y[rows]
    inside = np.zeros(rows.size, dtype=bool)
    for x_a, y_a, x_b, y_b in zip(vx, vy, np.roll(vx, 1), np.roll(vy, 1)):
        if y_a == y_b:
            continue  # a horizontal edge never crosses a horizontal ray
        crosses = (y_a > py) != (y_b > py)
        x_cross = x_a + (py - y_a) * (x_b - x_a) / (y_b - y_a)
        inside ^= crosses & (px < x_cross)
    return rows[inside].astype(np.int64)


def default_radius(coords: np.ndarray) -> float:
    """A starting radius for sphere selection: 5% of the bounding-box diagonal (1.0 if that is zero)."""
    array = _as_coords(coords)
    finite = array[np.all(np.isfinite(array), axis=1)]
    if finite.shape[0] == 0:
        return 1.0
    diagonal = float(np.linalg.norm(finite.max(axis=0) - finite.min(axis=0)))
    return DEFAULT_RADIUS_FRACTION * diagonal if diagonal > 0 else 1.0
