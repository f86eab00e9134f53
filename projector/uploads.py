"""Tensors and metadata uploaded into the running app, kept on disk so every app process sees them.

Each upload belongs to the browser session that made it: an uploaded tensor is listed and opened in that
session only until its owner shares it with the team, and uploaded metadata changes the labels of that
session only. Owners are kept as digests of session ids, never the ids (cookies) themselves.

Uploads cannot be computed again, so the store never evicts them to make room (only expiry removes them):
instead each session, and the server as a whole, has a quota of bytes stored, and an upload that does not
fit is refused with a message saying whose uploads fill it.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import io
import pickle
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from projector import forksafe
from projector.errors import InputError, ProjectorError
from projector.logdir import EmbeddingSpec
from projector.tags import Tags
from projector.tensors import WORD_COLUMN, parse_tensor_npy, parse_tensor_text

UPLOAD_RUN = "(uploaded)"
KEEP_S = 7 * 24 * 3600
MB = 2**20
DEFAULT_MAX_REQUEST_MB = 100  # the server's default request size limit, which bounds every upload
REQUEST_SLACK = 64 * 1024  # the callback's JSON around an uploaded file's data URL
DECODE_CHUNK = 4 * MB  # base64 characters decoded at a time (a multiple of 4)
DEFAULT_UPLOAD_QUOTA_MB = 1024  # bytes one session may keep uploaded (--upload-quota-mb)
DEFAULT_UPLOADS_TOTAL_MB = 8192  # bytes every upload together may take (--uploads-total-mb)
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


def named(uid: str) -> str:
    """The name upload id ``uid`` was made from: what a message about an upload it cannot open shows."""
    return uid.rsplit("~", 1)[0]


def owner_of(session: str | None) -> str:
    """The owner id of a browser session's uploads: a digest of the session id (None, the server: SERVER)."""
    if session is None:
        return SERVER
    return hashlib.blake2b(session.encode("utf-8"), digest_size=16, person=b"projector-owner").hexdigest()


def parse_tensor_upload(name: str, data: bytes) -> tuple[np.ndarray, pd.DataFrame | None]:
    """An uploaded ``.npy``, TSV or word-vector text file as a float32 N×D matrix, and its labels: a
    ``word`` column for word2vec or GloVe text, else None (TensorError naming the file when unusable)."""
    if name.lower().endswith(".npy"):
        return parse_tensor_npy(data, name=name), None  # the header's shape checked before numpy allocates it
    vectors, words = parse_tensor_text(data, name=name)
    return vectors, (None if words is None else pd.DataFrame({WORD_COLUMN: words}))


PRIVATE, SHARED_BY_YOU, SHARED = "private", "shared by you", "shared"  # an upload as one session sees it
LEDGER = "ledger"  # the bytes each item takes: {item's cache key: (owner, bytes, expires at)}
NAMED = 3  # uploads a full quota's message names
Ledger = dict[Any, tuple[str, int, float]]


@dataclass(frozen=True)
class UploadSpec(EmbeddingSpec):
    """An uploaded tensor as listed: labelled by its name, keyed by its id."""

    upload_id: str = ""

    @property
    def key(self) -> str:
        return upload_key(self.upload_id)


@dataclass(frozen=True)
class Upload:
    """One uploaded tensor.

    ``id`` is in its tensor key and is never another upload's; ``name`` is what lists show, unique among the
    uploads its owner could see when it was made (or shared). They differ so that choosing a name never looks
    at uploads the uploader cannot see: two sessions may each keep an ``emb`` of their own.
    """

    id: str
    name: str
    shape: tuple[int, int]
    owner: str  # owner_of(the uploading session)
    shared: bool = False
    token: str = ""  # unique per upload: what its vectors are cached by in memory
    size: int = 0  # bytes stored for its vectors and labels

    @property
    def key(self) -> str:
        return upload_key(self.id)

    def spec(self) -> UploadSpec:
        return UploadSpec(run=UPLOAD_RUN, name=self.name, tensor_shape=self.shape, upload_id=self.id)

    def visible_to(self, owner: str) -> bool:
        return self.shared or self.owner == owner

    def status(self, owner: str) -> str:
        """PRIVATE (``owner``'s, not shared), SHARED_BY_YOU (``owner``'s, shared) or SHARED (another's)."""
        if self.owner != owner:
            return SHARED
        return SHARED_BY_YOU if self.shared else PRIVATE


class UploadStore:
    """Uploaded tensors by id, with their owners; uploaded metadata and Edit-by values by tensor key and owner.

    Nothing is evicted to make room: what is kept stays until it expires or its owner deletes it, and a
    ledger of the bytes each item takes bounds every owner's (``quota``) and everyone's (``total_quota``).
    Choices that depend on what is kept (names, quotas) are made in one transaction, so uploads made at the
    same moment, in any process of the app, never take the same name or together overfill a quota.
    """

    def __init__(
        self,
        directory: str | Path,
        quota: int = DEFAULT_UPLOAD_QUOTA_MB * MB,
        total_quota: int = DEFAULT_UPLOADS_TOTAL_MB * MB,
    ) -> None:
        self._cache = forksafe.Cache(str(directory), eviction_policy="none")
        self.quota, self.total_quota = quota, total_quota

    def set_quotas(self, per_session_mb: float, total_mb: float) -> None:
        """The quotas in MB, as ``--upload-quota-mb`` and ``--uploads-total-mb`` give them."""
        self.quota, self.total_quota = int(per_session_mb * MB), int(total_mb * MB)

    def add_tensor(self, name: str, vectors: np.ndarray, owner: str, labels: pd.DataFrame | None = None) -> Upload:
        """Keep ``vectors`` (and their labels) for ``owner`` as ``name``, or ``name (2)`` … when ``owner``
        already sees an upload so named; InputError when a quota has no room for them."""
        stored, words = _npy(vectors), (None if labels is None else _blob(labels))
        size = len(stored) + len(words or b"")
        self._check_room(self._ledger(), owner, size, name)  # refused before anything is written
        uid, token = self._new_id(name)
        self._cache.set(("tensor", uid), stored, expire=KEEP_S)  # outside the transaction: holds nobody up
        if words is not None:
            self._cache.set(("labels", uid), words, expire=KEEP_S)
        try:
            with self._cache.transact():
                ledger = self._ledger()
                self._check_room(ledger, owner, size, name)
                shape = (int(vectors.shape[0]), int(vectors.shape[1]))
                upload = Upload(uid, self._free_name(name, owner), shape, owner, token=token, size=size)
                self._cache.set(("upload", uid), _record(upload), expire=KEEP_S)  # listed once complete
                self._hold(ledger, ("tensor", uid), owner, size)
        except BaseException:
            self._cache.delete(("tensor", uid))
            self._cache.delete(("labels", uid))
            raise
        return upload

    def uploads(self, owner: str) -> list[Upload]:
        """The uploads ``owner`` sees: its own and those shared with the team, by name."""
        return sorted((u for u in self._all() if u.visible_to(owner)), key=lambda u: (u.name, u.id))

    def upload(self, uid: str) -> Upload | None:
        record = self._cache.get(("upload", uid))
        return _from_record(uid, record) if isinstance(record, dict) else None

    def share(self, uid: str) -> Upload | None:
        """Make upload ``uid`` visible to every session (renamed ``name (2)`` … when its owner sees another
        upload so named); it is still kept only until it was to expire."""
        with self._cache.transact():
            record, expires = self._cache.get(("upload", uid), expire_time=True)
            left = None if expires is None else expires - time.time()
            if not isinstance(record, dict) or (left is not None and left <= 0):
                return None
            upload = _from_record(uid, record)
            record = {**record, "shared": True, "name": self._free_name(upload.name, upload.owner, uid)}
            self._cache.set(("upload", uid), record, expire=left)
        return _from_record(uid, record)

    def delete(self, uid: str, owner: str) -> Upload | None:
        """Drop ``owner``'s upload ``uid``, with the metadata and Edit-by values anyone gave it, freeing the bytes
        they took; the upload deleted, or None when ``owner`` has no such upload."""
        with self._cache.transact():
            upload = self.upload(uid)
            if upload is None or upload.owner != owner:
                return None
            ledger = self._ledger()
            attached = {upload.key, f"{upload.key}#{upload.token}"}  # workspace.metadata_key
            items = [("upload", uid), ("tensor", uid), ("labels", uid)]
            items += [k for k in self._cache.iterkeys() if _kind(k) in ("metadata", "tags") and k[1] in attached]
            for item in items:
                self._cache.delete(item)
                ledger.pop(item, None)
            self._cache.set(LEDGER, ledger)
        return upload

    def usage(self, owner: str) -> tuple[int, int]:
        """Bytes kept for ``owner`` and for everyone."""
        ledger = self._ledger()
        return sum(e[1] for e in ledger.values() if e[0] == owner), sum(e[1] for e in ledger.values())

    def vectors(self, uid: str) -> np.ndarray | None:
        stored = self._cache.get(("tensor", uid), read=True)  # a file for all but small tensors: read once
        if stored is None or isinstance(stored, np.ndarray):  # (an array: kept by an earlier version)
            return stored
        with contextlib.closing(io.BytesIO(stored) if isinstance(stored, bytes) else stored) as file:
            vectors: np.ndarray = np.load(file, allow_pickle=False)
        return vectors

    def labels(self, uid: str) -> pd.DataFrame | None:
        """The words of an uploaded word2vec or GloVe file (None for plain vectors)."""
        labels: pd.DataFrame | None = _unblob(self._cache.get(("labels", uid)))
        return labels

    def set_metadata(self, key: str, owner: str, name: str, text: str) -> None:
        self._keep(("metadata", key, owner), owner, _blob((name, text)), name)

    def metadata(self, key: str, owner: str) -> tuple[str, str] | None:
        """``(file name, text)`` of the metadata ``owner`` uploaded for tensor ``key``, if any."""
        stored: tuple[str, str] | None = _unblob(self._cache.get(("metadata", key, owner)))
        return stored

    def tags(self, key: str, owner: str) -> Tags:
        """The values ``owner`` gave points of tensor ``key`` with Edit by (see :mod:`projector.tags`)."""
        stored: Tags | None = _unblob(self._cache.get(("tags", key, owner)))
        return stored or {}

    def update_tags(self, key: str, owner: str, change: Callable[[Tags], Tags]) -> Tags:
        """Replace ``owner``'s tags of tensor ``key`` by ``change(tags)``, atomically; the new tags."""
        with self._cache.transact():
            tags = change(self.tags(key, owner))
            self._keep(("tags", key, owner), owner, _blob(tags), "these values")
        return tags

    def _keep(self, item: tuple[str, ...], owner: str, blob: bytes, what: str) -> None:
        """Store ``blob`` as ``item`` of ``owner``'s, replacing what it held, if the quotas leave room."""
        with self._cache.transact():
            ledger = self._ledger()
            self._check_room(ledger, owner, len(blob), what, replacing=item)
            self._cache.set(item, blob, expire=KEEP_S)
            self._hold(ledger, item, owner, len(blob))

    def _all(self) -> list[Upload]:
        found = (self.upload(k[1]) for k in self._cache.iterkeys() if _kind(k) == "upload")
        return [u for u in found if u is not None]

    def _new_id(self, name: str) -> tuple[str, str]:
        """An id no upload has (from ``name`` and a random token, never from other uploads' names) and the token."""
        while True:
            token = secrets.token_hex(8)
            uid = f"{name}~{token[:8]}"
            if ("upload", uid) not in self._cache and ("tensor", uid) not in self._cache:
                return uid, token

    def _free_name(self, name: str, owner: str, uid: str | None = None) -> str:
        """``name``, or ``name (2)`` …, whichever no other upload ``owner`` sees is called."""
        seen = {u.name for u in self._all() if u.visible_to(owner) and u.id != uid}
        unique, i = name, 1
        while unique in seen:
            i += 1
            unique = f"{name} ({i})"
        return unique

    def _ledger(self) -> Ledger:
        """The ledger without its expired items (their bytes were freed with them)."""
        now = time.time()
        ledger: Ledger = self._cache.get(LEDGER) or {}
        return {item: entry for item, entry in ledger.items() if entry[2] > now}

    def _hold(self, ledger: Ledger, item: Any, owner: str, size: int) -> None:
        ledger[item] = (owner, size, time.time() + KEEP_S)
        self._cache.set(LEDGER, ledger)

    def _check_room(self, ledger: Ledger, owner: str, size: int, what: str, replacing: Any = None) -> None:
        """InputError when ``size`` more bytes for ``owner`` (``replacing`` an item of theirs) overfill a quota,
        saying how full it is and which uploads of ``owner``'s take the room."""
        held = [entry for item, entry in ledger.items() if item != replacing]
        mine, everyone = sum(e[1] for e in held if e[0] == owner), sum(e[1] for e in held)
        if mine + size <= self.quota and everyone + size <= self.total_quota:
            return
        own = sorted((u for u in self._all() if u.owner == owner and u.size), key=lambda u: -u.size)
        listed = ", ".join(f"{u.name} {format_mb(u.size)}" for u in own[:NAMED]) + (", …" if len(own) > NAMED else "")
        needs = f"{what} needs {format_mb(size)}"
        yours = f" (yours: {listed})" if listed else ""
        kept = f"uploads are kept {KEEP_S // 86400} days"
        if mine + size > self.quota:
            raise InputError(
                f"Your uploads use {format_mb(mine)} of your {format_mb(self.quota)}{yours}, and {needs}; {kept}: "
                "wait for one to expire, or ask the admin to raise --upload-quota-mb."
            )
        raise InputError(
            f"This server's uploads use {format_mb(everyone)} of its {format_mb(self.total_quota)}{yours}, and "
            f"{needs}; {kept}: ask the admin to raise --uploads-total-mb."
        )


def _kind(key: Any) -> str | None:
    """What a key of the store holds: "upload", "tensor", "labels", "metadata", "tags" (None: the ledger)."""
    return key[0] if isinstance(key, tuple) else None


def _npy(vectors: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    return out.getvalue()


def _blob(value: Any) -> bytes:
    """``value`` pickled as the cache would pickle it, so that its size is the bytes actually stored."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unblob(stored: Any) -> Any:
    return pickle.loads(stored) if isinstance(stored, bytes) else stored  # (else: kept by an earlier version)


def _from_record(uid: str, record: dict[str, Any]) -> Upload:
    return Upload(
        uid,
        record.get("name", uid),  # (an earlier version's upload, keyed by its name)
        tuple(record["shape"]),
        record["owner"],
        record.get("shared", False),
        record.get("token", ""),
        record.get("size", 0),
    )


def _record(upload: Upload) -> dict[str, Any]:
    return {
        "name": upload.name,
        "shape": upload.shape,
        "owner": upload.owner,
        "shared": upload.shared,
        "token": upload.token,
        "size": upload.size,
    }
