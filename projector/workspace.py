"""A logdir opened for exploring: runs, datasets and computed projections, cached by content."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Hashable, Iterator, TypeVar

import numpy as np
import pandas as pd

from projector.cache import ResultCache, default_cache_dir
from projector.colors import ColorEncoding, encode_column, uniform_encoding
from projector.dataset import Dataset, dataset_from_arrays, load_dataset
from projector.errors import ConfigError, MetadataError
from projector.logdir import (
    EmbeddingSpec,
    RunListing,
    find_runs,
    find_spec,
    list_embeddings,
)
from projector.metadata import parse_metadata
from projector.neighbors import NeighborIndex
from projector.pca import PCAResult, pca, spherize
from projector.uploads import UPLOAD_RUN, UploadStore, parse_tensor_upload
from projector.view import subset_digest

T = TypeVar("T")
log = logging.getLogger(__name__)


class LRUCache:
    """A small thread-safe least-recently-used cache; concurrent requests for one key compute it once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._computing = KeyedLocks()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._computing.hold(key):  # a second caller waits for the first one's value
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


class KeyedLocks:
    """One lock per key, made on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Hashable, list] = {}  # key -> [lock, holders and waiters]

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        with self._lock:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]


class Workspace:
    """Everything the app reads from one logdir; safe to share between requests."""

    def __init__(self, logdir: str | Path, cache_root: str | Path | None = None) -> None:
        root = Path(cache_root) if cache_root else default_cache_dir().parent
        self.logdir = Path(logdir).resolve()
        self.results = ResultCache(root / "results")
        self.uploads = UploadStore(root / "uploads")
        self._pca = LRUCache(16)
        self._neighbors = LRUCache(4)
        self._datasets = LRUCache(4)
        self._encodings = LRUCache(8)
        self._loading = KeyedLocks()

    def runs(self) -> list[str]:
        runs = find_runs(self.logdir)
        return runs + [UPLOAD_RUN] if self.uploads.names() else runs

    def listing(self, run: str) -> RunListing:
        if run == UPLOAD_RUN:
            return RunListing([self._upload_spec(name) for name in self.uploads.names()], [])
        return list_embeddings(self.logdir, run)

    def spec(self, key: str) -> EmbeddingSpec:
        """The embedding whose ``key`` is given (ConfigError when it has gone)."""
        if key.startswith(f"{UPLOAD_RUN}::"):
            return self._upload_spec(key.split("::", 1)[1])
        return find_spec(self.logdir, key)

    def dataset(self, key: str) -> Dataset:
        """The tensor's dataset, with uploaded metadata in place of its own when some was uploaded."""
        spec = self.spec(key)
        if spec.run == UPLOAD_RUN:
            base = self._datasets.get_or_compute(
                ("upload", spec.name, spec.tensor_shape), lambda: self._read_upload(spec)
            )
        else:
            with self._loading.hold(spec.key):  # visitors arriving together read the files once
                base = load_dataset(self.logdir, spec)
        uploaded = self.uploads.metadata(key)
        if uploaded is None:
            return base
        return self._datasets.get_or_compute(
            (key, base.content_hash, uploaded),
            lambda: with_metadata(base, parse_metadata(uploaded[1], raw_rows(base), name=uploaded[0])),
        )

    def add_upload(self, name: str, data: bytes) -> str:
        """Keep an uploaded tensor file (TSV or .npy); return its tensor key."""
        vectors = parse_tensor_upload(name, data)
        dataset_from_arrays(vectors, name=name)  # refuse unusable tensors before keeping them
        return self.uploads.add_tensor(Path(name).stem or name, vectors)

    def set_metadata(self, key: str, name: str, data: bytes) -> None:
        """Use an uploaded metadata TSV for tensor ``key`` (checked against its row count first)."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MetadataError(f"{name}: not UTF-8 text; save the metadata as a UTF-8 TSV.") from None
        parse_metadata(text, raw_rows(self.dataset(key)), name=name)
        self.uploads.set_metadata(key, name, text)

    def _upload_spec(self, name: str) -> EmbeddingSpec:
        shape = self.uploads.shape(name)
        if shape is None:
            raise ConfigError(f"The uploaded tensor {name!r} is no longer kept; upload it again.")
        return EmbeddingSpec(run=UPLOAD_RUN, name=name, tensor_shape=shape)

    def _read_upload(self, spec: EmbeddingSpec) -> Dataset:
        vectors = self.uploads.vectors(spec.name)
        if vectors is None:
            raise ConfigError(f"The uploaded tensor {spec.name!r} is no longer kept; upload it again.")
        return dataset_from_arrays(vectors, name=spec.name)

    def resolve(self, tensor: str | Dataset) -> Dataset:
        """A dataset as given, or the one of tensor key ``tensor``: callbacks resolve a key once and pass it on."""
        return tensor if isinstance(tensor, Dataset) else self.dataset(tensor)

    def vectors(self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool) -> np.ndarray:
        """The vectors a projection of this view starts from (subset rows, spherized if asked)."""
        data = self.resolve(tensor)
        vectors = data.vectors if subset is None else data.vectors[subset]
        return spherize(vectors) if spherized else vectors

    def pca(self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool) -> PCAResult:
        """PCA of the dataset (or of ``subset`` rows only), cached by content and subset."""
        data = self.resolve(tensor)
        cache_key = (data.content_hash, subset_digest(subset), spherized)

        def compute() -> PCAResult:
            started = time.perf_counter()
            result = pca(self.vectors(data, subset, spherized))
            log.info(
                "PCA of %s (%s rows%s) in %.2f s",
                data.spec.key,
                f"{len(result.coords):,}",
                ", spherized" if spherized else "",
                time.perf_counter() - started,
            )
            return result

        return self._pca.get_or_compute(cache_key, compute)

    def result_key(
        self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool, method: str, params: dict
    ) -> str:
        """The shared result-cache key of a layout: tensor content, subset, method and parameters."""
        view = f"{subset_digest(subset)}{'-spherized' if spherized else ''}"
        return ResultCache.key(self.resolve(tensor).content_hash, view, method, params)

    def color_encoding(self, tensor: str | Dataset, column: str | None, subset: np.ndarray | None) -> ColorEncoding:
        """Colours of the visible rows by ``column`` (a palette or a gradient), cached per metadata table."""
        data = self.resolve(tensor)
        n = data.n if subset is None else subset.size
        if not column or column not in data.metadata.columns:
            return uniform_encoding(n)

        def compute() -> tuple[pd.DataFrame, ColorEncoding]:
            values = data.metadata[column]
            values = values if subset is None else values.iloc[subset].reset_index(drop=True)
            return data.metadata, encode_column(values)

        cache_key = (id(data.metadata), column, subset_digest(subset))
        table, encoding = self._encodings.get_or_compute(cache_key, compute)
        if table is not data.metadata:  # the id of a table since freed: compute afresh
            table, encoding = compute()
        return encoding

    def neighbor_index(self, tensor: str | Dataset) -> NeighborIndex:
        """The exact nearest-neighbour index of a dataset, cached by content."""
        data = self.resolve(tensor)
        return self._neighbors.get_or_compute(data.content_hash, lambda: NeighborIndex(data.vectors))


def raw_rows(data: Dataset) -> int:
    """How many rows the tensor had before rows with NaN or infinity were left out."""
    shape = data.spec.tensor_shape
    return int(shape[0]) if shape else int(data.row_ids[-1]) + 1


def with_metadata(data: Dataset, frame: pd.DataFrame) -> Dataset:
    """``data`` with ``frame`` (one row per original tensor row) as its metadata."""
    kept = frame.iloc[data.row_ids].reset_index(drop=True)
    return replace(data, metadata=kept, warnings=[w for w in data.warnings if "etadata" not in w])
