"""Clusters of a view's points and their names: HDBSCAN on the vectors (through a PCA above 50 dimensions)
or on a layout, and a short name per cluster from a metadata column (its top value and share for a
categorical column, the top words of a class-based TF-IDF for text).

Clusters are numbered from 0, largest first; noise is -1, a class of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from projector.colors import is_class_id_column
from projector.errors import InputError
from projector.metadata import is_numeric_column, numeric_values

NOISE = -1
MAX_DIMS = 50  # HDBSCAN's neighbour search slows down sharply above this: vectors go through a PCA first
MAX_FIT = 20_000  # points HDBSCAN is fitted on; more are sampled down to this, the rest join their nearest
MIN_SIZE_FLOOR, MIN_SIZE_CEILING = 5, 500
MAX_CATEGORIES = 50  # a text column with at most this many distinct values is named by its top value
NAME_WORDS = 4
NOISE_NAME = "noise"
COLUMN = "cluster"  # the metadata column a run writes
SOURCES = ("vectors", "layout")  # what a run clusters: the vectors, or the layout on screen
_NUMBERED = re.compile(r"^(\d{1,9}) · (.*)$", re.S)


def default_min_size(n: int) -> int:
    """A minimum cluster size for ``n`` points: 1 % of them, kept between 5 and 500."""
    return int(min(MIN_SIZE_CEILING, max(MIN_SIZE_FLOOR, round(0.01 * n))))


def check_min_size(value: object, n: int) -> int:
    """The minimum cluster size a user asked for, as a whole number from 2 to ``n``; InputError otherwise."""
    size = None
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            size = float(value)
        except ValueError:
            pass
    if size is None or not size.is_integer() or not 2 <= size <= max(n, 2):
        raise InputError(f"The minimum cluster size must be a whole number from 2 to {n:,}; got {value!r}.")
    return int(size)


def reduced(points: np.ndarray, max_dims: int = MAX_DIMS) -> np.ndarray:
    """``points`` as float64, through a PCA to ``max_dims`` dimensions when they have more."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise InputError("Clusters are found on a table of points, one row a point.")
    if points.shape[1] <= max_dims or points.shape[0] <= max_dims:
        return points
    from sklearn.decomposition import PCA

    return np.asarray(PCA(n_components=max_dims, random_state=0).fit_transform(points))


def find_clusters(points: np.ndarray, min_size: int, max_fit: int = MAX_FIT, seed: int = 0) -> np.ndarray:
    """Each point's cluster (0 the largest, -1 noise) by HDBSCAN with clusters of at least ``min_size``.

    Above ``max_fit`` points HDBSCAN's cost grows with the square of N, so it is fitted on a seeded sample of
    ``max_fit`` (the minimum size scaled to it) and every other point joins the cluster of its nearest sampled
    point, in the same space.
    """
    from sklearn.cluster import HDBSCAN

    data = reduced(points)
    if len(data) < 2:
        return np.full(len(data), NOISE, dtype=np.int32)
    fitted = data
    sample = None
    if len(data) > max_fit:
        sample = np.sort(np.random.default_rng(seed).choice(len(data), max_fit, replace=False))
        fitted = data[sample]
    size = int(min(max(min_size, 2), len(data)))
    if sample is not None:
        size = max(min(size, MIN_SIZE_FLOOR), round(size * len(fitted) / len(data)))
    found = np.asarray(HDBSCAN(min_cluster_size=size, copy=True).fit_predict(fitted))
    if sample is not None:
        found = nearest_labels(data, fitted, found)
    return renumbered(found)


def nearest_labels(points: np.ndarray, fitted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of each point's nearest fitted point (a KD-tree in few dimensions, brute force in many)."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=1).fit(fitted)
    _, nearest = index.kneighbors(points)
    return np.asarray(labels[nearest[:, 0]])


def renumbered(labels: np.ndarray) -> np.ndarray:
    """``labels`` with clusters numbered by size, largest first (ties by first appearance); noise stays -1."""
    labels = np.asarray(labels)
    out = np.full(labels.shape, NOISE, dtype=np.int32)
    kept = labels[labels != NOISE]
    if not kept.size:
        return out
    values, first, inverse, counts = np.unique(kept, return_index=True, return_inverse=True, return_counts=True)
    rank = np.empty(len(values), dtype=np.int32)
    rank[np.lexsort((first, -counts))] = np.arange(len(values), dtype=np.int32)
    out[labels != NOISE] = rank[inverse.reshape(-1)]
    return out


def cluster_names(labels: np.ndarray, column: pd.Series | None) -> list[str]:
    """A short name for each cluster 0..k-1 of ``labels`` from ``column`` (one value per point; None: the
    clusters are only numbered)."""
    count = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    if column is None or count == 0:
        return numbered(count)
    values = pd.Series(np.asarray(column), dtype=object).reset_index(drop=True)
    kept = labels >= 0  # grouped once, not scanned once per cluster: there can be thousands
    if is_numeric_column(values) and not is_class_id_column(values):  # a quantity; class ids are categories
        numeric = pd.Series(numeric_values(values))
        grouped = numeric[kept].groupby(labels[kept])
        low, high = grouped.quantile(0.1), grouped.quantile(0.9)
        return [_range_name(float(low.loc[i]), float(high.loc[i])) for i in range(count)]
    texts = values.fillna("").astype(str)
    if texts.nunique() <= MAX_CATEGORIES:
        table = pd.crosstab(labels[kept], texts[kept].to_numpy())
        shares = table.max(axis=1) / table.sum(axis=1)
        tops = table.idxmax(axis=1)
        return [f"{tops.loc[i] or '(empty)'} {100 * shares.loc[i]:.0f} %" for i in range(count)]
    return _tfidf_names(texts, labels, count)


def numbered(count: int) -> list[str]:
    """The names of ``count`` clusters nothing names: "cluster 1", "cluster 2", …"""
    return [f"cluster {i + 1}" for i in range(count)]


def _range_name(low: float, high: float) -> str:
    return f"{low:.3g} to {high:.3g}" if low != high else f"{low:.3g}"


def _tfidf_names(texts: pd.Series, labels: np.ndarray, count: int) -> list[str]:
    """Class-based TF-IDF: each cluster's texts as one document; a word's weight is its frequency in the
    cluster times log(1 + average words per cluster / its frequency over all clusters), and nothing for a
    word found in every cluster."""
    from sklearn.feature_extraction.text import CountVectorizer

    kept = labels >= 0
    joined = texts[kept].groupby(labels[kept]).agg(" ".join)
    documents = [joined.loc[i] for i in range(count)]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b")
    try:
        counts = vectorizer.fit_transform(documents).tocsr().astype(np.float64)  # sparse: clusters × words
    except ValueError:  # nothing but stop words, numbers or punctuation
        return numbered(count)
    words = vectorizer.get_feature_names_out()
    per_cluster = np.asarray(counts.sum(axis=1)).reshape(-1)
    per_word = np.asarray(counts.sum(axis=0)).reshape(-1)
    idf = np.log1p(per_cluster.sum() / count / np.maximum(per_word, 1))
    if count > 1:  # a word of every cluster tells none apart ("road" in every caption)
        idf[np.bincount(counts.indices, minlength=len(words)) == count] = 0.0
    weights = counts.multiply(1 / np.maximum(per_cluster, 1)[:, None]).multiply(idf[None, :]).tocsr()
    names = numbered(count)  # a cluster whose words all weigh nothing keeps its number
    for i in range(count):
        row = slice(weights.indptr[i], weights.indptr[i + 1])
        found, columns = weights.data[row], weights.indices[row]
        order = np.lexsort((columns, -found))[:NAME_WORDS]  # ties in alphabetical order
        top = [str(words[columns[j]]) for j in order if found[j] > 0]
        names[i] = " ".join(top) or names[i]
    return names


def cluster_values(labels: np.ndarray, names: list[str]) -> np.ndarray:
    """The ``cluster`` metadata column: each point's cluster as "N · name" (numbered from 1, so two clusters of
    one name stay apart) or "noise"."""
    texts = np.array([f"{i + 1} · {_one_line(name)}" for i, name in enumerate(names)] + [NOISE_NAME], dtype=object)
    return texts[np.where(labels >= 0, labels, len(names))]


def _name(matched: re.Match[str] | None, value: str) -> str:
    return matched.group(2) if matched else value


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:80]


@dataclass(frozen=True)
class Groups:
    """The clusters a ``cluster`` column holds over a view's points: ``codes`` per point (-1: noise or no
    cluster), and per cluster its column value (what a search or a pick of it matches), name and size."""

    codes: np.ndarray
    values: list[str]
    names: list[str]
    sizes: list[int]
    noise: int


def groups(column: pd.Series) -> Groups:
    """The clusters of a ``cluster`` column (one value per point, as :func:`cluster_values` writes it, perhaps
    edited since): numbered values in their number's order, any other value after them, largest first."""
    texts = pd.Series(np.asarray(column, dtype=object)).fillna("").astype(str)
    present = (texts != "") & (texts != NOISE_NAME)
    kinds, inverse = np.unique(texts[present].to_numpy(dtype=str), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(kinds))
    matched = [_NUMBERED.match(str(value)) for value in kinds]
    numbers = [int(m.group(1)) if m else None for m in matched]

    def place(i: int) -> tuple[int, int, str]:  # numbered values by number, then the others largest first
        number = numbers[i]
        return (0, number, "") if number is not None else (1, -int(counts[i]), str(kinds[i]))

    order = sorted(range(len(kinds)), key=place)
    rank = np.empty(len(kinds), dtype=np.int32)
    rank[order] = np.arange(len(kinds), dtype=np.int32)
    codes = np.full(len(texts), NOISE, dtype=np.int32)
    codes[present.to_numpy()] = rank[inverse.reshape(-1)]
    return Groups(
        codes=codes,
        values=[str(kinds[i]) for i in order],
        names=[_name(matched[i], str(kinds[i])) for i in order],
        sizes=[int(counts[i]) for i in order],
        noise=int((texts == NOISE_NAME).sum()),
    )
