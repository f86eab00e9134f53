"""Tensors and metadata uploaded into the running app, kept on disk so every app process sees them.

Each upload belongs to the browser session that made it: an uploaded tensor is listed and opened in that
session only until its owner shares it with the team, and uploaded metadata changes the labels of that
session only. Owners are kept as digests of session ids, never the ids (cookies) themselves.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from projector import forksafe
from projector.errors import ProjectorError, TensorError
from projector.tags import Tags
from projector.tensors import WORD_COLUMN, parse_tensor_text

UPLOAD_RUN = "(uploaded)"
KEEP_S = 7 * 24 * 3600
MB = 2**20
DEFAULT_MAX_REQUEST_MB = 100  # the server's default request size limit, which bounds every upload
REQUEST_SLACK = 64 * 1024  # the callback's JSON around an uploaded file's data URL
DECODE_CHUNK = 4 * MB  # base64 characters decoded at a time (a multiple of 4)
SERVER = ""  # the owner of what the server uploads itself, outside any browser session (scripts, tests)


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


def owner_of(session: str | None) -> str:
    """The owner id of a browser session's uploads: a digest of the session id (None, the server: SERVER)."""
    if session is None:
        return SERVER
    return hashlib.blake2b(session.encode("utf-8"), digest_size=16, person=b"projector-owner").hexdigest()


def parse_tensor_upload(name: str, data: bytes) -> tuple[np.ndarray, pd.DataFrame | None]:
    """An uploaded ``.npy``, TSV or word-vector text file as a float32 N×D matrix, and its labels: a
    ``word`` column for word2vec or GloVe text, else None (TensorError naming the file when unusable)."""
    if name.lower().endswith(".npy"):
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as error:
            raise TensorError(f"{name}: not a readable .npy array ({error}).") from None
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
            raise TensorError(f"{name}: holds a {array.ndim}-D {array.dtype} array; upload a 2-D numeric N×D matrix.")
        return array.astype(np.float32), None
    vectors, words = parse_tensor_text(data, name=name)
    return vectors, (None if words is None else pd.DataFrame({WORD_COLUMN: words}))


PRIVATE, SHARED_BY_YOU, SHARED = "private", "shared by you", "shared"  # an upload as one session sees it


@dataclass(frozen=True)
class Upload:
    """One uploaded tensor: its name (unique among uploads), N×D, owner and whether the team sees it."""

    name: str
    shape: tuple[int, int]
    owner: str  # owner_of(the uploading session)
    shared: bool = False
    token: str = ""  # unique per upload: what its vectors are cached by in memory (a name is reused)

    @property
    def key(self) -> str:
        return upload_key(self.name)

    def visible_to(self, owner: str) -> bool:
        return self.shared or self.owner == owner

    def status(self, owner: str) -> str:
        """PRIVATE (``owner``'s, not shared), SHARED_BY_YOU (``owner``'s, shared) or SHARED (another's)."""
        if self.owner != owner:
            return SHARED
        return SHARED_BY_YOU if self.shared else PRIVATE


class UploadStore:
    """Uploaded tensors by name, with their owners, and uploaded metadata text by tensor key and owner."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = forksafe.Cache(str(directory))

    def add_tensor(self, name: str, vectors: np.ndarray, owner: str, labels: pd.DataFrame | None = None) -> Upload:
        """Keep ``vectors`` (and their labels) for ``owner`` under a name not used yet (``name (2)`` …)."""
        taken, unique, i = set(self.names()), name, 1
        while unique in taken:
            i += 1
            unique = f"{name} ({i})"
        upload = Upload(unique, (int(vectors.shape[0]), int(vectors.shape[1])), owner, token=secrets.token_hex(8))
        self._cache.set(("tensor", unique), np.ascontiguousarray(vectors, dtype=np.float32), expire=KEEP_S)
        if labels is not None:
            self._cache.set(("labels", unique), labels, expire=KEEP_S)
        else:
            self._cache.delete(("labels", unique))
        self._cache.set(("upload", unique), _record(upload), expire=KEEP_S)  # last: listed once complete
        return upload

    def names(self) -> list[str]:
        """The names of every upload kept, whoever owns it."""
        return sorted(k[1] for k in self._cache.iterkeys() if isinstance(k, tuple) and k[0] == "upload")

    def uploads(self, owner: str) -> list[Upload]:
        """The uploads ``owner`` sees: its own and those shared with the team, by name."""
        found = (self.upload(name) for name in self.names())
        return [u for u in found if u is not None and u.visible_to(owner)]

    def upload(self, name: str) -> Upload | None:
        record = self._cache.get(("upload", name))
        return Upload(name, **record) if isinstance(record, dict) else None

    def share(self, name: str) -> Upload | None:
        """Make upload ``name`` visible to every session; it is still kept only until it was to expire."""
        with self._cache.transact():
            record, expires = self._cache.get(("upload", name), expire_time=True)
            left = None if expires is None else expires - time.time()
            if not isinstance(record, dict) or (left is not None and left <= 0):
                return None
            record = {**record, "shared": True}
            self._cache.set(("upload", name), record, expire=left)
        return Upload(name, **record)

    def vectors(self, name: str) -> np.ndarray | None:
        vectors: np.ndarray | None = self._cache.get(("tensor", name))
        return vectors

    def labels(self, name: str) -> pd.DataFrame | None:
        """The words of an uploaded word2vec or GloVe file (None for plain vectors)."""
        labels: pd.DataFrame | None = self._cache.get(("labels", name))
        return labels

    def set_metadata(self, key: str, owner: str, name: str, text: str) -> None:
        self._cache.set(("metadata", key, owner), (name, text), expire=KEEP_S)

    def metadata(self, key: str, owner: str) -> tuple[str, str] | None:
        """``(file name, text)`` of the metadata ``owner`` uploaded for tensor ``key``, if any."""
        stored: tuple[str, str] | None = self._cache.get(("metadata", key, owner))
        return stored

    def tags(self, key: str, owner: str) -> Tags:
        """The values ``owner`` gave points of tensor ``key`` with Edit by (see :mod:`projector.tags`)."""
        stored: Tags | None = self._cache.get(("tags", key, owner))
        return stored or {}

    def update_tags(self, key: str, owner: str, change: Callable[[Tags], Tags]) -> Tags:
        """Replace ``owner``'s tags of tensor ``key`` by ``change(tags)``, atomically; the new tags."""
        with self._cache.transact():
            tags = change(self.tags(key, owner))
            self._cache.set(("tags", key, owner), tags, expire=KEEP_S)
        return tags


def _record(upload: Upload) -> dict[str, Any]:
    return {"shape": upload.shape, "owner": upload.owner, "shared": upload.shared, "token": upload.token}
