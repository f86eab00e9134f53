"""Exact k nearest neighbours of one point in the original space (cosine or euclidean).

One float32 matrix-vector product against every point with precomputed norms finds the candidates; those
within a rounding-error bound of the k-th are then re-measured in float64, so the answer equals a float64 brute
force (ties broken by the lower row index) at the cost of a single pass over the vectors.
"""

from __future__ import annotations

import numpy as np

from projector.errors import InputError

METRICS = ("cosine", "euclidean")

_CHUNK = 8192  # rows re-measured in float64 at a time (bounds memory when many points tie)
_BLOCK = 1 << 24  # float32 distances held at once by query_all (64 MB)
_GROUP = 32  # columns per group whose minimum bounds the k-th distance in query_all


class NeighborIndex:
    """Brute-force kNN over a fixed N×D matrix; norms are computed on first use and kept."""

    def __init__(self, vectors: np.ndarray):
        array = np.asarray(vectors)
        if array.ndim != 2:
            raise InputError(f"Nearest neighbours need an N×D matrix, got an array of shape {array.shape}.")
        self.vectors = np.ascontiguousarray(array, dtype=np.float32)
        self._sq_norms: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.vectors)

    @property
    def sq_norms(self) -> np.ndarray:
        """Squared L2 norm of every row (float64)."""
        if self._sq_norms is None:
            self._sq_norms = np.einsum("ij,ij->i", self.vectors, self.vectors, dtype=np.float64)
        return self._sq_norms

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of every row (float64)."""
        if self._norms is None:
            self._norms = np.sqrt(self.sq_norms)
        return self._norms

    def _bounds(self, rows: np.ndarray | None, point: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Float32-product distances from ``point`` to ``rows`` (all when None) and a bound on their error.

        For euclidean both are in squared distance. The bound is the classic ``D·u·|x||y|`` for a
        float32 dot product, so no true neighbour can be ranked out of the candidate set.
        """
        if rows is None or rows.size > len(self) // 8:  # a full product beats gathering many rows
            dots = (self.vectors @ self.vectors[point]).astype(np.float64)
            dots = dots if rows is None else dots[rows]
        else:
            dots = (self.vectors[rows] @ self.vectors[point]).astype(np.float64)
        unit = self.vectors.shape[1] * np.finfo(np.float32).eps + 1e-7
        norms = self.norms if rows is None else self.norms[rows]
        if metric == "cosine":
            return _cosine_from_dots(dots, norms, self.norms[point]), np.full(dots.shape, unit)
        sq = self.sq_norms if rows is None else self.sq_norms[rows]
        return sq - 2.0 * dots + self.sq_norms[point], 2.0 * unit * norms * self.norms[point]

    def _exact(self, rows: np.ndarray, point: int, metric: str) -> np.ndarray:
        """Float64 distances from ``point`` to ``rows``: the pairwise computation :meth:`query_all` uses, so
        one point's neighbours are the same from both, ties included."""
        return self._exact_pairs(np.full(rows.size, point, dtype=np.int64), rows, metric)

    def query(
        self, index: int, k: int, metric: str = "cosine", subset: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest neighbours of row ``index``, excluding itself.

        Parameters
        ----------
        index : row whose neighbours are wanted.
        k : how many neighbours; clipped to the number of available points.
        metric : ``"cosine"`` (1 − cosine similarity; a zero vector is at distance 1 from everything) or
            ``"euclidean"`` (L2).
        subset : optional row indices to search among (the others are ignored).

        Returns
        -------
        (indices int64, distances float32), sorted by distance then by row index.
        """
        if metric not in METRICS:
            raise InputError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"The number of neighbours must be a whole number of at least 1, got {k!r}.")
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise InputError(f"Point {index!r} does not exist; there are {n:,} points (0 to {n - 1:,}).")
        rows = None
        if subset is not None:
            rows = np.unique(np.asarray(subset, dtype=np.int64))
            if rows.size and (rows[0] < 0 or rows[-1] >= n):
                raise InputError(f"The subset names points outside 0 to {n - 1:,}.")
        approx, error = self._bounds(rows, index, metric)
        candidates = np.arange(n) if rows is None else rows
        keep = candidates != index
        approx, error, candidates = approx[keep], error[keep], candidates[keep]
        k = min(int(k), candidates.size)
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if k < candidates.size:
            upper = approx + error
            kth = np.partition(upper, k - 1)[k - 1]  # the true k-th distance is at most this
            candidates = candidates[approx - error <= kth]
        exact = self._exact(candidates, index, metric)
        order = np.lexsort((candidates, exact))[:k]
        return candidates[order].astype(np.int64), exact[order].astype(np.float32)

    def query_all(
        self, k: int, metric: str = "cosine", rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest neighbours of each of ``rows`` (every row when None), each excluding itself.

        Row for row the same answer as :meth:`query`, from one float32 matrix product per block of queries
        (bounded memory: about :data:`_BLOCK` distances at a time) instead of a pass over the vectors per point.

        Returns
        -------
        (indices int64, distances float32), both (len(rows), min(k, N − 1)), sorted as in :meth:`query`.
        """
        if metric not in METRICS:
            raise InputError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"The number of neighbours must be a whole number of at least 1, got {k!r}.")
        n = len(self)
        queries = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64).ravel()
        if queries.size and (queries.min() < 0 or queries.max() >= n):
            raise InputError(f"The rows asked for lie outside 0 to {n - 1:,}.")
        k = min(int(k), n - 1)
        indices = np.empty((queries.size, max(k, 0)), dtype=np.int64)
        distances = np.empty((queries.size, max(k, 0)), dtype=np.float32)
        if k <= 0 or queries.size == 0:
            return indices, distances
        if not np.all(np.isfinite(self.vectors)):
            raise InputError("Nearest neighbours need finite vectors; the tensor holds NaN or infinite values.")
        space, sq, error = self._approx_space(metric)
        block = max(1, _BLOCK // n)
        for start in range(0, queries.size, block):
            batch = queries[start : start + block]
            found, found_distances = self._block(space, sq, error, batch, k, metric)
            indices[start : start + block] = found
            distances[start : start + block] = found_distances
        return indices, distances

    def _approx_space(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float32 vectors whose products rank the rows (unit rows for cosine, centred rows for euclidean),
        their float32 squared norms, and each row's bound on the error of its float32 distances (squared for
        euclidean) to any other row."""
        eps = float(np.finfo(np.float32).eps)
        d = self.vectors.shape[1]
        if metric == "cosine":
            inverse = np.divide(1.0, self.norms, out=np.zeros_like(self.norms), where=self.norms > 0)
            unit = (self.vectors * inverse[:, None]).astype(np.float32)
            return unit, np.ones(len(self), dtype=np.float32), np.full(len(self), 2.0 * ((d + 8) * eps + 1e-7))
        centred = (self.vectors - self.vectors.mean(axis=0, dtype=np.float64)).astype(np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", centred, centred, dtype=np.float64))
        largest = float(norms.max())
        # twice the float32 product's error, then that of a float32 sum of three terms below (|x| + max|y|)²
        error = 2.0 * (d * eps + 1e-7) * norms * largest + 4.0 * eps * (norms + largest) ** 2
        return centred, (norms**2).astype(np.float32), error

    def _block(
        self, space: np.ndarray, sq: np.ndarray, error: np.ndarray, batch: np.ndarray, k: int, metric: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact neighbours of the ``batch`` rows: float32 candidates, then float64 distances for those that can
        still be among the ``k`` nearest."""
        products = space[batch] @ space.T  # (B, N)
        if metric == "cosine":
            approx = np.subtract(np.float32(1.0), products, out=products)
        else:
            approx = np.multiply(products, np.float32(-2.0), out=products)
            approx += sq
            approx += sq[batch][:, None]
        approx[np.arange(batch.size), batch] = np.inf
        slack = 2.0 * error[batch]  # a row can be among the k nearest only if this close to the k-th
        bound = _kth_upper_bound(approx, k) + slack.astype(np.float32)
        rows, cols = np.nonzero(approx <= bound[:, None])
        values = approx[rows, cols]
        # the k-th float32 distance of each row among its candidates, then those within the error of it
        order = np.lexsort((values, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        starts = np.searchsorted(rows, np.arange(batch.size))
        kth = values[starts + k - 1]
        keep = values <= kth[rows] + slack[rows]
        rows, cols = rows[keep], cols[keep]
        targets = batch[rows]
        exact = self._exact_pairs(targets, cols, metric)
        order = np.lexsort((cols, exact, rows))
        rows, cols, exact = rows[order], cols[order], exact[order]
        starts = np.searchsorted(rows, np.arange(batch.size))
        take = (starts[:, None] + np.arange(k)).ravel()
        return cols[take].reshape(batch.size, k), exact[take].reshape(batch.size, k).astype(np.float32)

    def _exact_pairs(self, targets: np.ndarray, rows: np.ndarray, metric: str) -> np.ndarray:
        """Float64 distances of each pair (``targets[i]``, ``rows[i]``), computed row by row (in chunks, to bound
        memory when many points tie) so that equal rows tie exactly."""
        out = np.empty(rows.size)
        for start in range(0, rows.size, _CHUNK):
            target = self.vectors[targets[start : start + _CHUNK]].astype(np.float64)
            chunk = self.vectors[rows[start : start + _CHUNK]].astype(np.float64)
            if metric == "cosine":
                norms = np.sqrt(np.sum(chunk * chunk, axis=1))
                target_norms = np.sqrt(np.sum(target * target, axis=1))
                dots = np.sum(chunk * target, axis=1)
                out[start : start + _CHUNK] = _cosine_from_dots(dots, norms, target_norms)
            else:
                chunk -= target
                out[start : start + _CHUNK] = np.sqrt(np.sum(chunk * chunk, axis=1))
        return out


def _kth_upper_bound(approx: np.ndarray, k: int) -> np.ndarray:
    """Per row, a value at least the ``k``-th smallest: the ``k``-th smallest of the minima of groups of
    columns (k groups each hold a value at or below it), far cheaper than partitioning whole rows."""
    n = approx.shape[1]
    groups = n // _GROUP
    if groups < 4 * k:
        return np.partition(approx, k - 1, axis=1)[:, k - 1]
    minima = approx[:, : groups * _GROUP].reshape(approx.shape[0], groups, _GROUP).min(axis=2)
    if groups * _GROUP < n:
        minima = np.concatenate([minima, approx[:, groups * _GROUP :].min(axis=1, keepdims=True)], axis=1)
    result: np.ndarray = np.partition(minima, k - 1, axis=1)[:, k - 1]
    return result


def _cosine_from_dots(dots: np.ndarray, norms: np.ndarray, norm: float | np.ndarray) -> np.ndarray:
    """1 − cos from dot products and norms; pairs involving a zero vector get distance 1."""
    denom = norms * norm
    similarity = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
    distance: np.ndarray = 1.0 - np.clip(similarity, -1.0, 1.0)
    return distance
