"""One embedding ready to explore: finite vectors, their metadata rows and sprite cells."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from projector import checkpoints
from projector.cache import LRUCache, cached
from projector.errors import (
    ConfigError,
    MetadataError,
    PathError,
    SpriteError,
    TensorError,
)
from projector.logdir import EmbeddingSpec, confine, confine_checkpoint, display_path
from projector.metadata import read_metadata
from projector.sprites import SpriteSheet, load_sprite
from projector.tensors import read_tensor_file

log = logging.getLogger(__name__)

SHOWN_ROWS = 5  # how many excluded row numbers a warning lists


@dataclass
class Dataset:
    """Vectors (finite rows only) with their metadata and sprite; treat as read-only (it is cached)."""

    spec: EmbeddingSpec
    vectors: np.ndarray
    metadata: pd.DataFrame
    sprite: SpriteSheet | None
    row_ids: np.ndarray
    warnings: list[str] = field(default_factory=list)
    content_hash: str = ""

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        """Number of dimensions."""
        return int(self.vectors.shape[1])

    @cached_property
    def metadata_hash(self) -> str:
        """Hex digest of the metadata table (column names, types and values), computed once per dataset."""
        return frame_hash(self.metadata)


def content_hash(vectors: np.ndarray) -> str:
    """Hex blake2b digest of the vectors' float32 bytes and shape."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(tuple(vectors.shape)).encode("ascii"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).data)
    return digest.hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """Hex blake2b digest of a table's column names, dtypes and values (not of its index)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((len(frame), [(str(c), str(t)) for c, t in frame.dtypes.items()])).encode("utf-8"))
    if frame.shape[1]:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().data)
    return digest.hexdigest()


def _signature(root: Path, path: str | None, *, checkpoint: bool = False) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of an asset; None when it is absent or outside the logdir (then it is not looked at)."""
    if not path:
        return None
    try:
        if checkpoint:
            confine_checkpoint(root, path)
            return checkpoints.signature(path)[1:]
        st = os.stat(confine(root, path))
    except (OSError, PathError):
        return None
    return (st.st_mtime_ns, st.st_size)


def dataset_key(
    logdir: str | Path, spec: EmbeddingSpec
) -> tuple[str, EmbeddingSpec, tuple[tuple[int, int] | None, ...]]:
    """The cache key of ``spec``'s dataset: the spec and the mtime and size of each of its files."""
    root = Path(logdir).expanduser().resolve()
    files = (spec.tensor_path, spec.metadata_path, spec.sprite_path)
    stats = (_signature(root, spec.checkpoint, checkpoint=True), *(_signature(root, p) for p in files))
    return (os.fspath(root), spec, stats)


def load_dataset(logdir: str | Path, spec: EmbeddingSpec, cache: LRUCache | None = None) -> Dataset:
    """Load ``spec``'s vectors, metadata and sprite; kept in ``cache`` by spec and the files' mtimes and sizes.

    Every path is confined to the logdir before it is read. Raises PathError/TensorError/CheckpointError/
    ConfigError when the vectors cannot be had. Metadata and sprite problems only drop that asset, with a
    message in ``warnings``.
    """
    root = Path(logdir).expanduser().resolve()
    return cached(cache, "dataset", dataset_key(root, spec), lambda: _load(root, spec, cache))


def _read_vectors(root: Path, spec: EmbeddingSpec, cache: LRUCache | None) -> np.ndarray:
    if spec.tensor_path:
        path = confine(root, spec.tensor_path)
        return read_tensor_file(path, spec.tensor_shape, name=display_path(root, spec.tensor_path))
    if spec.checkpoint and spec.tensor_key:
        confine_checkpoint(root, spec.checkpoint)
        shown = display_path(root, spec.checkpoint)
        return checkpoints.read_variable(spec.checkpoint, spec.tensor_key, name=shown, cache=cache)
    raise ConfigError(f"Tensor {spec.name!r} of run {spec.run!r} has neither a tensor_path nor a checkpoint variable.")


def _load(root: Path, spec: EmbeddingSpec, cache: LRUCache | None) -> Dataset:
    raw = _read_vectors(root, spec, cache)
    what = f"Tensor {spec.name!r} of run {spec.run!r}"
    checkpoints.check_matrix_shape(tuple(raw.shape), what)
    finite = np.isfinite(raw).all(axis=1)
    row_ids = np.flatnonzero(finite).astype(np.int64)
    warnings: list[str] = []
    excluded = raw.shape[0] - row_ids.size
    if row_ids.size < 2:
        raise TensorError(
            f"{what} has {row_ids.size} row(s) without NaN or infinite values out of {raw.shape[0]:,}; "
            "the projector needs at least 2. Check how the tensor was written."
        )
    if excluded:
        bad = np.flatnonzero(~finite)
        listed = ", ".join(str(i) for i in bad[:SHOWN_ROWS]) + (", …" if excluded > SHOWN_ROWS else "")
        warnings.append(
            f"{excluded:,} of {raw.shape[0]:,} rows of {spec.name!r} hold NaN or infinite values and were left out "
            f"(rows {listed}, counting from 0), with their metadata and thumbnails."
        )
    vectors = np.ascontiguousarray(raw[row_ids] if excluded else raw, dtype=np.float32)
    vectors.flags.writeable = False
    all_rows = excluded == 0

    metadata = pd.DataFrame(index=pd.RangeIndex(len(row_ids)))
    if spec.metadata_path:
        try:
            path = confine(root, spec.metadata_path)
            frame = read_metadata(path, raw.shape[0], name=display_path(root, spec.metadata_path))
            metadata = frame if all_rows else frame.iloc[row_ids].reset_index(drop=True)
        except (PathError, MetadataError) as error:
            warnings.append(f"Metadata left out: {error}")

    sprite = None
    if spec.sprite_path:
        try:
            path = confine(root, spec.sprite_path)
            shown = display_path(root, spec.sprite_path)
            if not spec.sprite_dim:
                raise SpriteError(f"Sprite {shown} has no single_image_dim; set sprite.single_image_dim [w, h].")
            sheet = load_sprite(path, spec.sprite_dim, raw.shape[0], name=shown)
            sprite = sheet if all_rows else sheet.take(row_ids)
        except (PathError, SpriteError) as error:
            warnings.append(f"Thumbnails left out: {error}")

    for message in warnings:
        log.warning("%s: %s", spec.key, message)
    return Dataset(
        spec=spec,
        vectors=vectors,
        metadata=metadata,
        sprite=sprite,
        row_ids=row_ids,
        warnings=warnings,
        content_hash=content_hash(vectors),
    )


def dataset_from_arrays(
    vectors: np.ndarray, metadata: pd.DataFrame | None = None, *, name: str = "upload", run: str = "(uploaded)"
) -> Dataset:
    """A Dataset from in-memory vectors (e.g. an uploaded TSV), with the same NaN-row rules as files."""
    raw = np.asarray(vectors, dtype=np.float32)
    if raw.ndim != 2 or raw.shape[1] < 2:
        raise TensorError(f"Uploaded tensor {name!r} has shape {raw.shape}; the projector needs N×D with D ≥ 2.")
    spec = EmbeddingSpec(run=run, name=name, tensor_shape=tuple(int(d) for d in raw.shape))
    finite = np.isfinite(raw).all(axis=1)
    row_ids = np.flatnonzero(finite).astype(np.int64)
    if row_ids.size < 2:
        raise TensorError(f"Uploaded tensor {name!r} has fewer than 2 rows without NaN or infinite values.")
    warnings = []
    if row_ids.size < raw.shape[0]:
        bad = np.flatnonzero(~finite)
        listed = ", ".join(map(str, bad[:SHOWN_ROWS])) + (", …" if bad.size > SHOWN_ROWS else "")
        warnings.append(
            f"{bad.size:,} rows with NaN or infinite values were left out (rows {listed}, counting from 0)."
        )
    kept = np.ascontiguousarray(raw[row_ids], dtype=np.float32)
    kept.flags.writeable = False
    if metadata is None:
        frame = pd.DataFrame(index=pd.RangeIndex(len(row_ids)))
    else:
        if len(metadata) != raw.shape[0]:
            raise MetadataError(
                f"Uploaded metadata has {len(metadata):,} rows but the tensor has {raw.shape[0]:,} points."
            )
        frame = metadata.iloc[row_ids].reset_index(drop=True)
    return Dataset(spec, kept, frame, None, row_ids, warnings, content_hash(kept))
