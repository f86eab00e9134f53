"""Comparing embeddings of the same points: between training steps of one tensor, or between two models.

PCA axes that stay put from step to step, how much each point's neighbourhood changed, how far each point
moved, and the pairing of two tables' rows by a metadata column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from projector.errors import InputError
from projector.neighbors import METRICS, NeighborIndex
from projector.pca import PCAResult

SCALE_SAMPLE = 2048  # rows whose nearest-neighbour distance sets the unit of moved_since
EXAMPLES = 5  # keys quoted in a matching message


def align_pca(previous_components: np.ndarray, current: PCAResult, rotate: bool = False) -> PCAResult:
    """``current`` re-expressed on axes matching ``previous_components`` (k × D, as ``PCAResult.components``).

    Orthogonal Procrustes on the component matrices, restricted by default to signed permutations: each
    returned axis is still one of the current step's principal components, only reordered and sign-flipped
    to be the one nearest a previous axis (an optimal assignment on |C_current · C_previousᵀ|). So an axis
    keeps its meaning and its own explained variance, a flip or a swap between steps is undone, and the
    ratios follow their components (no longer necessarily in decreasing order). Extra current components
    beyond the previous ``k`` come last in their own order.

    ``rotate=True`` applies the full k × k orthogonal Procrustes rotation instead, which also undoes a
    rotation within the subspace (components of nearly equal variance mix freely from step to step); its
    axes are then mixtures of components (correlated), each ratio being the share of the data's variance along
    the rotated axis, measured on the coordinates. It needs the same ``k`` on both sides.
    """
    if current.components is None:
        raise InputError("Aligning PCA axes needs the current step's components; compute its PCA again.")
    previous = np.asarray(previous_components, dtype=np.float64)
    components = np.asarray(current.components, dtype=np.float64)
    if previous.ndim != 2 or previous.shape[1] != components.shape[1]:
        raise InputError(
            f"The previous step's components have shape {previous.shape}; aligning needs k × {components.shape[1]}, "
            "the dimension of the current step."
        )
    ratios = np.asarray(current.explained_variance_ratio, dtype=np.float64)
    if rotate:
        if previous.shape[0] != components.shape[0]:
            raise InputError(
                f"Rotating PCA axes needs as many components on both steps, got {previous.shape[0]} "
                f"and {components.shape[0]}."
            )
        # orthogonal Procrustes: R minimising |components.T @ R − previous.T| is U Vᵀ of (components previousᵀ)
        u, _, vt = np.linalg.svd(components @ previous.T)
        rotation = u @ vt
        coords = current.coords.astype(np.float64)
        rotated = coords @ rotation
        spread = float(np.sum(coords.var(axis=0)))  # the rotation keeps it; the data's total is spread / ratios
        scale = float(np.sum(ratios)) / spread if spread > 0 else 0.0
        return PCAResult(
            coords=np.ascontiguousarray(rotated, dtype=np.float32),
            explained_variance_ratio=rotated.var(axis=0) * scale,
            components=np.ascontiguousarray(rotation.T @ components),
        )
    order, signs = _signed_permutation(components @ previous.T)
    return PCAResult(
        coords=np.ascontiguousarray(current.coords[:, order] * signs.astype(np.float32), dtype=np.float32),
        explained_variance_ratio=ratios[order],
        components=np.ascontiguousarray(components[order] * signs[:, None]),
    )


def _signed_permutation(overlap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current components (rows of ``overlap``) in the order of the previous ones (columns) they match best,
    and the sign making each match positive; unmatched current components follow in their order."""
    from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

    matched, columns = linear_sum_assignment(np.abs(overlap), maximize=True)
    by_previous = matched[np.argsort(columns)]
    rest = np.setdiff1d(np.arange(overlap.shape[0]), by_previous)
    order = np.concatenate([by_previous, rest]).astype(np.int64)
    signs = np.ones(order.size)
    picked = overlap[by_previous, np.sort(columns)]
    signs[: by_previous.size] = np.where(picked < 0, -1.0, 1.0)
    return order, signs


def _matrix(vectors: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(vectors)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"The {what} must be an N×D matrix of real numbers, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise InputError(f"The {what} holds NaN or infinite values.")
    return array


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise InputError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")


def neighborhood_change(first: np.ndarray, second: np.ndarray, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """Per row, 1 − Jaccard similarity of its exact ``k`` nearest neighbours (itself excluded) in ``first`` and
    in ``second``: 0 when it kept all its neighbours, 1 when it kept none.

    The two embeddings hold the same N rows, possibly of different dimensions (two models). Neighbours are
    :meth:`NeighborIndex.query_all`'s (exact, ties by lower row, one block of distances in memory at a
    time), so a score never depends on rounding or on the order of the search. Float32 in [0, 1].
    """
    _check_metric(metric)
    a, b = _matrix(first, "first embedding"), _matrix(second, "second embedding")
    if len(a) != len(b):
        raise InputError(f"The two embeddings must hold the same points, got {len(a):,} and {len(b):,} rows.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"The number of neighbours must be a whole number of at least 1, got {k!r}.")
    if len(a) < 2:
        return np.zeros(len(a), dtype=np.float32)
    found_a, _ = NeighborIndex(a).query_all(int(k), metric)
    found_b, _ = NeighborIndex(b).query_all(int(k), metric)
    both = np.sort(np.concatenate([found_a, found_b], axis=1), axis=1)
    shared = np.sum(both[:, 1:] == both[:, :-1], axis=1)  # neither set repeats a row
    size = found_a.shape[1]
    jaccard = shared / (2 * size - shared)
    change: np.ndarray = np.clip(1.0 - jaccard, 0.0, 1.0).astype(np.float32)
    return change


def moved_since(earlier: np.ndarray, later: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """Per row, its distance between the ``earlier`` step (S) and the ``later`` one, in units of the earlier
    step's typical nearest-neighbour distance.

    The distance is the metric's (L2, or 1 − cosine) between a row's two vectors in the original space. The
    unit is the median distance from a point to its nearest other point at step S (exact, over up to
    :data:`SCALE_SAMPLE` evenly spaced rows; exact duplicates left out), so 1.0 means "moved as far as
    neighbours sit apart": below it a point stayed in its place, well above it it went somewhere else. A
    step whose points all coincide keeps the raw distance. Float32, at least 0.
    """
    _check_metric(metric)
    before, after = _matrix(earlier, "earlier step"), _matrix(later, "later step")
    if before.shape != after.shape:
        raise InputError(f"The two steps must have the same shape, got {before.shape} and {after.shape}.")
    x, y = before.astype(np.float64), after.astype(np.float64)
    if metric == "cosine":
        dots = np.einsum("ij,ij->i", x, y)
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
        cosine = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        distance = 1.0 - np.clip(cosine, -1.0, 1.0)  # a zero vector is at distance 1, as in the neighbours
        distance[np.all(x == y, axis=1)] = 0.0
    else:
        distance = np.linalg.norm(y - x, axis=1)
    moved: np.ndarray = (distance / _neighbor_scale(before, metric)).astype(np.float32)
    return moved


def _neighbor_scale(vectors: np.ndarray, metric: str) -> float:
    """Median positive nearest-neighbour distance over up to SCALE_SAMPLE rows; 1 when there is none."""
    n = len(vectors)
    if n < 2:
        return 1.0
    rows = np.unique(np.linspace(0, n - 1, min(n, SCALE_SAMPLE)).astype(np.int64))
    _, nearest = NeighborIndex(vectors).query_all(1, metric, rows=rows)
    positive = nearest[:, 0][nearest[:, 0] > 0]
    return float(np.median(positive)) if positive.size else 1.0


def turned_to(reference: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """``coords`` rotated (or mirrored) about their centre to lie as close as they can to ``reference``, the
    same rows' positions in another view: orthogonal Procrustes, so distances within ``coords`` are kept."""
    a, b = np.asarray(reference, dtype=np.float64), np.asarray(coords, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise InputError(f"Both layouts must hold the same points in as many axes, got {a.shape} and {b.shape}.")
    centre = b.mean(axis=0)
    u, _, vt = np.linalg.svd((b - centre).T @ (a - a.mean(axis=0)))
    turned: np.ndarray = ((b - centre) @ (u @ vt) + centre).astype(np.asarray(coords).dtype, copy=False)
    return turned


def change_score(moved: np.ndarray, neighborhood: np.ndarray) -> np.ndarray:
    """What to colour by: the mean of the neighbourhood change and ``moved / (1 + moved)``, in [0, 1).

    Both halves lie in [0, 1] and count equally: a point that kept its neighbours but travelled with them
    (a cluster drifting) and one that stayed while its neighbours left score about the same, and one that
    did both scores highest. A move of one neighbour distance counts 0.5, so neither half saturates.
    """
    m = np.asarray(moved, dtype=np.float64)
    c = np.asarray(neighborhood, dtype=np.float64)
    if m.shape != c.shape or m.ndim != 1:
        raise InputError(f"Both scores must be one value per point, got shapes {m.shape} and {c.shape}.")
    m = np.clip(m, 0.0, None)
    score: np.ndarray = ((c + m / (1.0 + m)) / 2.0).astype(np.float32)
    return score


def most_changed(scores: np.ndarray, n: int) -> np.ndarray:
    """Row indices of the ``n`` highest ``scores``, most changed first, equal scores by lower row; NaN last."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1:
        raise InputError(f"Scores must be one value per point, got shape {values.shape}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"The number of points must be a whole number of at least 0, got {n!r}.")
    key = np.where(np.isnan(values), np.inf, -values)
    order: np.ndarray = np.lexsort((np.arange(values.size), key))[: int(n)]
    return order.astype(np.int64)


@dataclass(frozen=True)
class RowMatch:
    """Rows of two tables paired by a key: ``first[i]`` and ``second[i]`` are positions with equal keys, in the
    first table's order; the counts and examples say what found no partner."""

    first: np.ndarray  # int64 positions in the first table
    second: np.ndarray  # int64 positions in the second table
    first_only: int
    second_only: int
    first_only_examples: tuple[str, ...] = ()
    second_only_examples: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """One sentence for the user: how many rows matched and what did not."""
        text = f"{self.first.size:,} rows matched"
        if self.first_only:
            text += f"; {self.first_only:,} of the first table have no match ({_quote(self.first_only_examples)})"
        if self.second_only:
            text += f"; {self.second_only:,} of the second table have no match ({_quote(self.second_only_examples)})"
        return text + "."


def match_rows(first: pd.Series, second: pd.Series, partial: bool = False) -> RowMatch:
    """Pair the rows of two tables whose key (a metadata column, one Series per tensor) is equal.

    Keys must be unique on each side: a duplicate makes the pairing ambiguous and raises an InputError
    naming how many keys repeat and a few of them. Keys found on one side only (empty cells included) raise
    one too, unless ``partial``: then the rows that match are paired and :attr:`RowMatch.message` says how
    many did not, with examples. Keys compare as values, so the text "1" does not match the number 1.
    """
    column = _column_name(first, second)
    left, right = _keys(first, "first", column), _keys(second, "second", column)
    present = np.flatnonzero(right.notna().to_numpy())
    found = pd.Index(right.iloc[present].to_numpy()).get_indexer(left.to_numpy())
    paired = found >= 0  # an empty key is not in the index, so it matches nothing
    positions = np.where(paired, present[np.maximum(found, 0)] if present.size else -1, -1)
    first_idx = np.flatnonzero(paired).astype(np.int64)
    second_idx = positions[paired].astype(np.int64)
    right_used = np.zeros(len(right), dtype=bool)
    right_used[second_idx] = True
    first_missing = left[~paired]
    second_missing = right[~right_used]
    match = RowMatch(
        first=first_idx,
        second=second_idx,
        first_only=len(first_missing),
        second_only=len(second_missing),
        first_only_examples=_examples(first_missing),
        second_only_examples=_examples(second_missing),
    )
    if (match.first_only or match.second_only) and not partial:
        raise InputError(f"Matching rows by {column}: {match.message} Every row needs a partner with the same key.")
    if match.first.size == 0 and (len(left) or len(right)):
        raise InputError(f"Matching rows by {column}: no key is in both tables ({match.message})")
    return match


def _column_name(first: pd.Series, second: pd.Series) -> str:
    names = {str(s.name) for s in (first, second) if s.name is not None}
    return f"column {' / '.join(repr(n) for n in sorted(names))}" if names else "the key column"


def _keys(series: pd.Series, side: str, column: str) -> pd.Series:
    if not isinstance(series, pd.Series):
        raise InputError(f"The {side} table's keys must be a column of values, got {type(series).__name__}.")
    keys = series.reset_index(drop=True)
    repeated = keys[keys.notna() & keys.duplicated(keep=False)]
    if len(repeated):
        distinct = repeated.drop_duplicates()
        raise InputError(
            f"Matching rows by {column}: {len(distinct):,} keys repeat in the {side} table "
            f"({len(repeated):,} rows; e.g. {_quote(_examples(distinct))}); rows can only be paired by a column "
            "whose values are unique."
        )
    return keys


def _examples(values: pd.Series) -> tuple[str, ...]:
    return tuple("(empty)" if pd.isna(v) else str(v)[:40] for v in values.iloc[:EXAMPLES])


def _quote(examples: tuple[str, ...]) -> str:
    return ", ".join(repr(e) for e in examples)
