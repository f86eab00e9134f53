"""A logdir opened for exploring: runs, datasets and computed projections, cached by content."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from projector.cache import LRUCache, ResultCache, default_cache_dir
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

log = logging.getLogger(__name__)

# How many values of each kind the workspace keeps in memory (least recently used go first).
CACHE_SIZES = {
    "dataset": 4,  # read from the logdir
    "uploaded": 4,  # made from uploaded vectors or metadata
    "pca": 16,
    "neighbors": 4,
    "colors": 8,
    "config": 256,  # parsed projector_config.pbtxt files
    "shape": 1024,  # N×D of tensor files, for the listing
    "variables": 64,  # checkpoint variable lists
}


class Workspace:
    """Everything the app reads from one logdir; safe to share between requests.

    ``cache`` holds every value read or computed in memory, keyed by content (file mtimes and sizes, digests
    of vectors and tables), so a rewritten file is read again and equal data is computed once.
    """

    def __init__(self, logdir: str | Path, cache_root: str | Path | None = None) -> None:
        root = Path(cache_root) if cache_root else default_cache_dir()
        self.logdir = Path(logdir).resolve()
        self.results = ResultCache(root / "results")
        self.uploads = UploadStore(root / "uploads")
        self.cache = LRUCache(CACHE_SIZES)

    def runs(self) -> list[str]:
        runs = find_runs(self.logdir)
        return runs + [UPLOAD_RUN] if self.uploads.names() else runs

    def listing(self, run: str) -> RunListing:
        if run == UPLOAD_RUN:
            return RunListing([self._upload_spec(name) for name in self.uploads.names()], [])
        return list_embeddings(self.logdir, run, self.cache)

    def spec(self, key: str) -> EmbeddingSpec:
        """The embedding whose ``key`` is given (ConfigError when it has gone)."""
        if key.startswith(f"{UPLOAD_RUN}::"):
            return self._upload_spec(key.split("::", 1)[1])
        return find_spec(self.logdir, key, self.cache)

    def dataset(self, key: str) -> Dataset:
        """The tensor's dataset, with uploaded metadata in place of its own when some was uploaded."""
        spec = self.spec(key)
        if spec.run == UPLOAD_RUN:
            base = self.cache.get_or_compute(
                "uploaded", ("vectors", spec.name, spec.tensor_shape), lambda: self._read_upload(spec)
            )
        else:  # visitors arriving together read the files once
            base = load_dataset(self.logdir, spec, self.cache)
        uploaded = self.uploads.metadata(key)
        if uploaded is None:
            return base
        name, text = uploaded
        return self.cache.get_or_compute(
            "uploaded",
            ("metadata", base.spec, base.content_hash, text_digest(name, text)),
            lambda: with_metadata(base, parse_metadata(text, raw_rows(base), name=name)),
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

        return self.cache.get_or_compute("pca", cache_key, compute)

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

        def compute() -> ColorEncoding:
            values = data.metadata[column]
            values = values if subset is None else values.iloc[subset].reset_index(drop=True)
            return encode_column(values)

        return self.cache.get_or_compute("colors", (data.metadata_hash, column, subset_digest(subset)), compute)

    def neighbor_index(self, tensor: str | Dataset) -> NeighborIndex:
        """The exact nearest-neighbour index of a dataset, cached by content."""
        data = self.resolve(tensor)
        return self.cache.get_or_compute("neighbors", data.content_hash, lambda: NeighborIndex(data.vectors))


def text_digest(*parts: str) -> str:
    """Hex blake2b digest of some texts (a short cache key for uploaded metadata)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def raw_rows(data: Dataset) -> int:
    """How many rows the tensor had before rows with NaN or infinity were left out."""
    shape = data.spec.tensor_shape
    return int(shape[0]) if shape else int(data.row_ids[-1]) + 1


def with_metadata(data: Dataset, frame: pd.DataFrame) -> Dataset:
    """``data`` with ``frame`` (one row per original tensor row) as its metadata."""
    kept = frame.iloc[data.row_ids].reset_index(drop=True)
    return replace(data, metadata=kept, warnings=[w for w in data.warnings if "etadata" not in w])
