"""Tensors and metadata uploaded into the running app, kept on disk so every app process sees them."""

from __future__ import annotations

import binascii
import io
from pathlib import Path

import diskcache
import numpy as np

from projector.errors import ProjectorError, TensorError
from projector.tensors import parse_tensor_tsv

UPLOAD_RUN = "(uploaded)"
KEEP_S = 7 * 24 * 3600
MB = 2**20
DEFAULT_MAX_REQUEST_MB = 100  # the server's default request size limit, which bounds every upload
REQUEST_SLACK = 64 * 1024  # the callback's JSON around an uploaded file's data URL
DECODE_CHUNK = 4 * MB  # base64 characters decoded at a time (a multiple of 4)


def max_upload_bytes(max_request_bytes: int) -> int:
    """The largest file whose base64 data URL still fits in a request of ``max_request_bytes``."""
    return max(0, (max_request_bytes - REQUEST_SLACK) * 3 // 4)


def format_mb(size: int) -> str:
    """``size`` bytes as people write it: ``720 KB``, ``1.5 MB``, ``75 MB`` (KB and MB of 1,024)."""
    if size < MB:
        return f"{size / 1024:,.0f} KB"
    mb = size / MB
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"


def upload_size(contents: str) -> int:
    """The size in bytes of the file in a ``data:…;base64,…`` URL, told from its length alone."""
    start = _payload_start(contents)
    length = len(contents) - start
    return max(0, length * 3 // 4 - contents[-2:].count("=")) if start else 0


def _payload_start(contents: str) -> int:
    """Where the base64 text of a data URL begins (0 when ``contents`` is not one; a bare ``data:`` is empty)."""
    if not contents.startswith("data:"):
        return 0
    return contents.find(",", 0, 1024) + 1 or len(contents)


def decode_upload(contents: str, name: str, limit: int, error: type[ProjectorError] = ProjectorError) -> bytes:
    """The bytes of an upload's data URL; ``error`` naming ``name`` and ``limit`` when the file is bigger.

    The size is checked before anything is decoded, and the text is decoded a chunk at a time into one
    buffer, so no second copy of the base64 text is made.
    """
    size = upload_size(contents)
    if size > limit:
        raise error(
            f"{name} is {format_mb(size)}; this server takes files up to {format_mb(limit)}. Put the file in "
            "the logdir instead, or ask whoever runs the server to raise --max-request-mb."
        )
    start = _payload_start(contents)
    if not start or (len(contents) - start) % 4:
        raise error(f"{name} did not arrive as a base64 data URL; upload it again.")
    out = io.BytesIO()
    try:
        for at in range(start, len(contents), DECODE_CHUNK):
            out.write(binascii.a2b_base64(contents[at : at + DECODE_CHUNK]))
    except (binascii.Error, ValueError):
        raise error(f"{name} did not arrive as a base64 data URL; upload it again.") from None
    return out.getvalue()


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
