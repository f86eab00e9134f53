"""Caches: computed values in memory (:class:`LRUCache`) and finished layouts on disk (:class:`ResultCache`).

The in-memory cache belongs to a :class:`~projector.workspace.Workspace`; every value in it is keyed by
content (file path, mtime and size, or a digest of the data), never by object identity.

The on-disk cache is shared by every process and browser using the same directory. Each entry is one
layout stored as ``.npy`` bytes (no pickle) with its metadata as the entry's JSON tag, so a layout and its
metadata are written, read and evicted together. diskcache (SQLite) makes concurrent readers and writers in
several processes safe.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, Mapping, TypeVar

import numpy as np

from projector import forksafe

T = TypeVar("T")
log = logging.getLogger(__name__)

HELD_LAYOUTS = 8  # layouts kept in memory when the disk would not take them
REMOTE_TTL_S = 7 * 24 * 3600  # how long Redis keeps a finished layout for the other machines
KEY_VERSION = 1  # bump when stored layouts stop being valid for the parameters that produced them


def _plain(value: object) -> Any:
    """JSON encoding of numpy scalars and arrays, paths and sets (for ``json.dumps(default=...)``)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class ResultCache:
    """Finished t-SNE/UMAP layouts by key; least recently used entries go first past ``size_limit`` bytes."""

    def __init__(self, directory: str | Path, size_limit: int = 2**30) -> None:
        self.directory = Path(directory)
        self._size_limit = size_limit
        self._cache = forksafe.Cache(
            str(self.directory), size_limit=self._size_limit, eviction_policy="least-recently-used"
        )
        self._held: OrderedDict[str, tuple[np.ndarray, dict[str, Any]]] = OrderedDict()
        self._held_lock = threading.Lock()
        self.remote: Any = None  # a Redis client when layouts come from Celery workers on other machines

    def hold(self, key: str, layout: np.ndarray, meta: Mapping[str, Any] | None = None) -> None:
        """Keep a layout in this process's memory only: the one a job could not store on disk."""
        with self._held_lock:
            self._held[key] = (layout, dict(meta or {}))
            self._held.move_to_end(key)
            while len(self._held) > HELD_LAYOUTS:
                self._held.popitem(last=False)

    def _from_memory(self, key: str) -> tuple[np.ndarray, dict[str, Any]] | None:
        with self._held_lock:
            return self._held.get(key)

    def _from_remote(self, key: str) -> bool:
        """Copy the entry ``key`` from Redis into this machine's cache (or memory); whether there was one."""
        if self.remote is None:
            return False
        stored, tag = self.remote.get(f"projector:result:{key}"), self.remote.get(f"projector:result-meta:{key}")
        if stored is None:
            return False
        layout = np.load(io.BytesIO(stored), allow_pickle=False)
        meta = json.loads(tag) if tag else {}
        try:
            self._store(key, stored, meta)
        except (OSError, sqlite3.Error):
            self.hold(key, layout, meta)
        return True

    @staticmethod
    def key(content_hash: str, subset: str, method: str, params: Mapping[str, Any]) -> str:
        """A stable key for a layout: the same inputs in any process (and dict order) give the same key."""
        parts = {"version": KEY_VERSION, "content": content_hash, "subset": subset, "method": method, "params": params}
        description = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_plain)
        return f"{method}-{hashlib.sha256(description.encode('utf-8')).hexdigest()[:40]}"

    def get(self, key: str) -> np.ndarray | None:
        """The layout stored under ``key``, or None when it is absent, evicted or unreadable."""
        held = self._from_memory(key)
        if held is not None:
            return held[0]
        try:
            stored = self._cache.get(key, read=True)
            if stored is None:
                return self.get(key) if self._from_remote(key) else None
            if isinstance(stored, bytes):
                layout: np.ndarray = np.load(io.BytesIO(stored), allow_pickle=False)
                return layout
            with stored:
                layout = np.load(stored, allow_pickle=False)
                return layout
        except (OSError, ValueError, EOFError, sqlite3.Error) as error:  # evicted mid-read, damaged, unreadable
            log.warning("Result cache entry %s is unreadable: %s", key, error)
            return None

    def set(self, key: str, layout: np.ndarray, meta: Mapping[str, Any] | None = None) -> None:
        """Store ``layout`` (any numeric array) with JSON-able ``meta`` under ``key``, replacing any entry, on
        this machine and (with Celery) in Redis for the other machines.

        OSError or sqlite3.Error when it could not be stored anywhere (a full or read-only cache directory).
        """
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(layout), allow_pickle=False)
        shared = False
        if self.remote is not None:
            self.remote.set(f"projector:result:{key}", buffer.getvalue(), ex=REMOTE_TTL_S)
            self.remote.set(f"projector:result-meta:{key}", json.dumps(meta or {}, default=_plain), ex=REMOTE_TTL_S)
            shared = True
        try:
            self._store(key, buffer.getvalue(), meta or {})
        except (OSError, sqlite3.Error):
            if not shared:
                raise
            log.warning("Layout %s is kept in Redis only: this machine's cache cannot be written", key)

    def _store(self, key: str, stored: bytes, meta: Mapping[str, Any]) -> None:
        self._cache.set(key, stored, tag=json.dumps(meta, sort_keys=True, default=_plain))

    def get_meta(self, key: str) -> dict[str, Any] | None:
        """The metadata stored with ``key`` (``{}`` if none was given), or None when there is no entry."""
        held = self._from_memory(key)
        if held is not None:
            return held[1]
        try:
            stored, tag = self._cache.get(key, default=None, read=True, tag=True)
        except (OSError, sqlite3.Error):
            return None
        if stored is None:
            return self.get_meta(key) if self._from_remote(key) else None
        if hasattr(stored, "close"):
            stored.close()
        return json.loads(tag) if tag else {}

    def close(self) -> None:
        self._cache.close()


def default_cache_dir() -> Path:
    """Where the app keeps layouts, uploads and compiled code when no ``--cache-dir`` is given.

    ``$XDG_CACHE_HOME/embedding-projector``, or ``~/.cache/embedding-projector`` when that is unset or relative.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "embedding-projector"


class LRUCache:
    """Computed values by content key, least recently used out first; thread-safe.

    Each kind of value (``"dataset"``, ``"pca"``, ...) is bounded by its own entry count in ``sizes``, so many
    small entries never push out a few large ones. Concurrent requests for one key compute it once: the second
    caller waits for the first one's value. A computation that raises stores nothing.
    """

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = dict(sizes)
        self._items: dict[str, OrderedDict[Hashable, object]] = {kind: OrderedDict() for kind in self.sizes}
        self._lock = threading.Lock()
        self._computing = KeyedLocks()
        _LIVE.add(self)

    def get_or_compute(self, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``kind`` stored under ``key``, computed by ``compute()`` and kept when absent."""
        items = self._section(kind)
        with self._computing.hold((kind, key)):
            with self._lock:
                if key in items:
                    items.move_to_end(key)
                    return items[key]  # type: ignore[return-value]
            value = compute()
            with self._lock:
                items[key] = value
                items.move_to_end(key)
                while len(items) > self.sizes[kind]:
                    items.popitem(last=False)
            return value

    def keys(self, kind: str) -> list[Hashable]:
        """The keys of ``kind`` held now, least recently used first."""
        items = self._section(kind)
        with self._lock:
            return list(items)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            for items in self._items.values():
                items.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(items) for items in self._items.values())

    def _section(self, kind: str) -> OrderedDict[Hashable, object]:
        try:
            return self._items[kind]
        except KeyError:
            raise ValueError(f"Unknown cache kind {kind!r}; use one of {', '.join(sorted(self.sizes))}.") from None


_LIVE: weakref.WeakSet[LRUCache] = weakref.WeakSet()


def _fresh_locks() -> None:
    """In a forked child: locks held by the parent's other threads at the fork would never be released."""
    for cache in list(_LIVE):
        cache._lock = threading.Lock()
        cache._computing = KeyedLocks()


os.register_at_fork(after_in_child=_fresh_locks)


def cached(cache: LRUCache | None, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` through ``cache`` when one is given, else computed afresh (for callers without a cache)."""
    return compute() if cache is None else cache.get_or_compute(kind, key, compute)


class KeyedLocks:
    """One lock per key, made on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Hashable, list[Any]] = {}  # key -> [lock, holders and waiters]

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
