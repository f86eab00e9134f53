"""Select points by geometry in the projected coordinates: a sphere around a point, a box, a lasso."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from projector.errors import InputError

DEFAULT_RADIUS_FRACTION = 0.05  # of the bounding-box diagonal
MAX_LASSO_VERTICES = 10_000  # a long hand-drawn stroke has a few thousand; more only costs the server time
# A drawn outline crosses the row of each point a few times; a comb of 10,000 teeth over every point would
# cost 10,000 tests per point, seconds of a server thread. Lassos needing more (edge, point) tests are refused.
MAX_LASSO_PAIRS = 20_000_000  # about half a second
LASSO_PAIRS_PER_POINT = 32  # ... or this many per point of a large tensor: as linear in the points as a box
MIN_BATCH_PAIRS, MAX_BATCH_PAIRS = 1 << 16, 1 << 22  # (edge, point) tests at once: bounded memory


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
    a lasso). Fewer than three vertices select nothing; more than MAX_LASSO_VERTICES are refused.
    """
    array = _as_coords(coords, 2)
    vx = np.asarray(xs, dtype=np.float64).ravel()
    vy = np.asarray(ys, dtype=np.float64).ravel()
    if max(vx.size, vy.size) > MAX_LASSO_VERTICES:
        raise InputError(
            f"The lasso has {max(vx.size, vy.size):,} vertices; at most {MAX_LASSO_VERTICES:,} are allowed. "
            "Draw a shorter outline or select with a box."
        )
    if vx.shape != vy.shape:
        raise InputError(f"The lasso has {vx.size} x values but {vy.size} y values.")
    finite = np.isfinite(vx) & np.isfinite(vy)
    vx, vy = vx[finite], vy[finite]
    if vx.size < 3:
        return np.empty(0, dtype=np.int64)
    x, y = array[:, 0], array[:, 1]
    rows = np.flatnonzero((x >= np.min(vx)) & (x <= np.max(vx)) & (y >= np.min(vy)) & (y <= np.max(vy)))
    return np.asarray(rows[_even_odd(x[rows], y[rows], vx, vy)], dtype=np.int64)


def _even_odd(px: np.ndarray, py: np.ndarray, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    """Whether each point's rightward ray crosses the closed polygon's edges an odd number of times.

    An edge can cross only the rays of the points whose y lies in its half-open span [min y, max y): a
    contiguous run once the points are sorted by y. So only those (edge, point) pairs are tested, in batches
    (bounded memory), each crossing computed as the textbook loop computes it, so results agree to the bit.
    """
    xa, ya, xb, yb = vx, vy, np.roll(vx, 1), np.roll(vy, 1)  # edge i runs from vertex i to vertex i - 1
    dx, dy = xb - xa, yb - ya
    order = np.argsort(py)  # ties may come in any order: runs are cut by value
    sx, sy = px[order], py[order]
    first = np.searchsorted(sy, np.minimum(ya, yb), side="left")
    counts = np.searchsorted(sy, np.maximum(ya, yb), side="left") - first  # 0 for a horizontal edge
    total, budget = int(counts.sum()), max(MAX_LASSO_PAIRS, LASSO_PAIRS_PER_POINT * sy.size)
    if total > budget:
        raise InputError(
            f"This lasso crosses the points' rows too often to test ({total:,} crossings, at most {budget:,}); "
            "draw a simpler outline."
        )
    batch_pairs = min(max(MIN_BATCH_PAIRS, sy.size), MAX_BATCH_PAIRS)  # each batch also costs one pass over all
    crossings = np.zeros(sy.size, dtype=np.int64)
    edges = np.flatnonzero(counts)
    ends = np.cumsum(counts[edges])  # pairs up to and including each edge
    start = 0
    while start < edges.size:
        done = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + batch_pairs, side="right")))  # >= one edge
        batch, sizes = edges[start:stop], counts[edges[start:stop]]
        edge = np.repeat(batch, sizes)
        point = np.arange(edge.size) + np.repeat(first[batch] - (np.cumsum(sizes) - sizes), sizes)  # in y order
        x_cross = xa[edge] + (sy[point] - ya[edge]) * dx[edge] / dy[edge]
        crossings += np.bincount(point[sx[point] < x_cross], minlength=sy.size)
        start = stop
    inside = np.empty(sy.size, dtype=bool)
    inside[order] = crossings % 2 == 1
    return inside


def default_radius(coords: np.ndarray) -> float:
    """A starting radius for sphere selection: 5% of the bounding-box diagonal (1.0 if that is zero)."""
    array = _as_coords(coords)
    finite = array[np.all(np.isfinite(array), axis=1)]
    if finite.shape[0] == 0:
        return 1.0
    diagonal = float(np.linalg.norm(finite.max(axis=0) - finite.min(axis=0)))
    return DEFAULT_RADIUS_FRACTION * diagonal if diagonal > 0 else 1.0
