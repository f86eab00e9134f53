"""A logdir opened for exploring: runs, datasets and computed projections, cached by content."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Hashable, TypeVar

import numpy as np

from projector.cache import ResultCache, default_cache_dir
from projector.dataset import Dataset, load_dataset
from projector.logdir import (
    EmbeddingSpec,
    RunListing,
    find_runs,
    find_spec,
    list_embeddings,
)
from projector.neighbors import NeighborIndex
from projector.pca import PCAResult, pca, spherize

T = TypeVar("T")


class LRUCache:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def subset_digest(indices: np.ndarray | None) -> str:
    """A short stable name for a subset of rows (``"all"`` for every row)."""
    if indices is None:
        return "all"
    return hashlib.blake2b(np.asarray(indices, dtype=np.int64).tobytes(), digest_size=12).hexdigest()


class Workspace:
    """Everything the app reads from one logdir; safe to share between requests."""

    def __init__(self, logdir: str | Path, cache_dir: str | Path | None = None) -> None:
        self.logdir = Path(logdir).resolve()
        self.results = ResultCache(Path(cache_dir) if cache_dir else default_cache_dir())
        self._pca = LRUCache(16)
        self._neighbors = LRUCache(4)

    def runs(self) -> list[str]:
        return find_runs(self.logdir)

    def listing(self, run: str) -> RunListing:
        return list_embeddings(self.logdir, run)

    def spec(self, key: str) -> EmbeddingSpec:
        """The embedding whose ``key`` is given (ConfigError when it has gone)."""
        return find_spec(self.logdir, key)

    def dataset(self, key: str) -> Dataset:
        return load_dataset(self.logdir, self.spec(key))

    def vectors(self, key: str, subset: np.ndarray | None, spherized: bool) -> np.ndarray:
        """The vectors a projection of this view starts from (subset rows, spherized if asked)."""
        data = self.dataset(key)
        vectors = data.vectors if subset is None else data.vectors[subset]
        return spherize(vectors) if spherized else vectors

    def pca(self, key: str, subset: np.ndarray | None, spherized: bool) -> PCAResult:
        """PCA of the dataset (or of ``subset`` rows only), cached by content and subset."""
        data = self.dataset(key)
        cache_key = (data.content_hash, subset_digest(subset), spherized)
        return self._pca.get_or_compute(cache_key, lambda: pca(self.vectors(key, subset, spherized)))

    def result_key(self, key: str, subset: np.ndarray | None, spherized: bool, method: str, params: dict) -> str:
        """The shared result-cache key of a layout: tensor content, subset, method and parameters."""
        view = f"{subset_digest(subset)}{'-spherized' if spherized else ''}"
        return ResultCache.key(self.dataset(key).content_hash, view, method, params)

    def neighbor_index(self, key: str) -> NeighborIndex:
        data = self.dataset(key)
        return self._neighbors.get_or_compute(data.content_hash, lambda: NeighborIndex(data.vectors))
