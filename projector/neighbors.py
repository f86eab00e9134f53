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
        """Float64 distances from ``point`` to ``rows``, computed row by row so equal rows tie exactly."""
        target = self.vectors[point].astype(np.float64)
        target_norm = float(np.sqrt(np.sum(target * target)))
        out = np.empty(rows.size)
        for start in range(0, rows.size, _CHUNK):
            chunk = self.vectors[rows[start : start + _CHUNK]].astype(np.float64)
            if metric == "cosine":
                norms = np.sqrt(np.sum(chunk * chunk, axis=1))
                dots = np.sum(chunk * target, axis=1)
                out[start : start + _CHUNK] = _cosine_from_dots(dots, norms, target_norm)
            else:
                chunk -= target
                out[start : start + _CHUNK] = np.sqrt(np.sum(chunk * chunk, axis=1))
        return out

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


def _cosine_from_dots(dots: np.ndarray, norms: np.ndarray, norm: float) -> np.ndarray:
    """1 − cos from dot products and norms; pairs involving a zero vector get distance 1."""
    denom = norms * norm
    similarity = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
    distance: np.ndarray = 1.0 - np.clip(similarity, -1.0, 1.0)
    return distance
