"""Tensors and metadata uploaded into the running app, kept on disk so every app process sees them."""

from __future__ import annotations

import io
from pathlib import Path

import diskcache
import numpy as np

from projector.errors import TensorError
from projector.tensors import parse_tensor_tsv

UPLOAD_RUN = "(uploaded)"
KEEP_S = 7 * 24 * 3600


def upload_key(name: str) -> str:
    """The tensor key of an uploaded tensor (same form as a logdir tensor's ``run::name``)."""
    return f"{UPLOAD_RUN}::{name}"


def parse_tensor_upload(name: str, data: bytes) -> np.ndarray:
    """An uploaded ``.npy`` or TSV file as a float32 N×D matrix (TensorError naming the file otherwise)."""
    if name.lower().endswith(".npy"):
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as error:
            raise TensorError(f"{name}: not a readable .npy array ({error}).") from None
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
            raise TensorError(f"{name}: holds a {array.ndim}-D {array.dtype} array; upload a 2-D numeric N×D matrix.")
        return array.astype(np.float32)
    return parse_tensor_tsv(data, name=name)


class UploadStore:
    """Uploaded tensors by name and uploaded metadata text by tensor key."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = diskcache.Cache(str(directory))

    def add_tensor(self, name: str, vectors: np.ndarray) -> str:
        """Keep ``vectors`` under a name not used yet (``name (2)`` …); return its tensor key."""
        taken, unique, i = set(self.names()), name, 1
        while unique in taken:
            i += 1
            unique = f"{name} ({i})"
        self._cache.set(("tensor", unique), np.ascontiguousarray(vectors, dtype=np.float32), expire=KEEP_S)
        self._cache.set(("shape", unique), tuple(int(d) for d in vectors.shape), expire=KEEP_S)
        return upload_key(unique)

    def names(self) -> list[str]:
        return sorted(k[1] for k in self._cache.iterkeys() if isinstance(k, tuple) and k[0] == "shape")

    def shape(self, name: str) -> tuple[int, int] | None:
        """The N×D shape of an uploaded tensor (cheap: the vectors are not read)."""
        return self._cache.get(("shape", name))

    def vectors(self, name: str) -> np.ndarray | None:
        return self._cache.get(("tensor", name))

    def set_metadata(self, key: str, name: str, text: str) -> None:
        self._cache.set(("metadata", key), (name, text), expire=KEEP_S)

    def metadata(self, key: str) -> tuple[str, str] | None:
        """``(file name, text)`` of the metadata uploaded for tensor ``key``, if any."""
        return self._cache.get(("metadata", key))
