"""The on-disk cache of finished layouts, shared by every process and browser using the same directory.

Each entry is one layout stored as ``.npy`` bytes (no pickle) with its metadata as the entry's JSON tag, so a
layout and its metadata are written, read and evicted together. diskcache (SQLite) makes concurrent
readers and writers in several processes safe.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from pathlib import Path

import diskcache
import numpy as np

log = logging.getLogger(__name__)

KEY_VERSION = 1  # bump when stored layouts stop being valid for the parameters that produced them


def _plain(value):
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
        self._cache = diskcache.Cache(str(self.directory), size_limit=size_limit, eviction_policy="least-recently-used")

    @staticmethod
    def key(content_hash: str, subset: str, method: str, params: dict) -> str:
        """A stable key for a layout: the same inputs in any process (and dict order) give the same key."""
        parts = {"version": KEY_VERSION, "content": content_hash, "subset": subset, "method": method, "params": params}
        description = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_plain)
        return f"{method}-{hashlib.sha256(description.encode('utf-8')).hexdigest()[:40]}"

    def get(self, key: str) -> np.ndarray | None:
        """The layout stored under ``key``, or None when it is absent, evicted or unreadable."""
        try:
            stored = self._cache.get(key, read=True)
            if stored is None:
                return None
            if isinstance(stored, bytes):
                return np.load(io.BytesIO(stored), allow_pickle=False)
            with stored:
                return np.load(stored, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:  # evicted by another process mid-read, or damaged
            log.warning("Result cache entry %s is unreadable: %s", key, error)
            return None

    def set(self, key: str, layout: np.ndarray, meta: dict | None = None) -> None:
        """Store ``layout`` (any numeric array) with JSON-able ``meta`` under ``key``, replacing any entry."""
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(layout), allow_pickle=False)
        tag = json.dumps(meta or {}, sort_keys=True, default=_plain)
        self._cache.set(key, buffer.getvalue(), tag=tag)

    def get_meta(self, key: str) -> dict | None:
        """The metadata stored with ``key`` (``{}`` if none was given), or None when there is no entry."""
        try:
            stored, tag = self._cache.get(key, default=None, read=True, tag=True)
        except OSError:
            return None
        if stored is None:
            return None
        if hasattr(stored, "close"):
            stored.close()
        return json.loads(tag) if tag else {}

    def close(self) -> None:
        self._cache.close()


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/embedding-projector/results``, or ``~/.cache/...`` when that is unset or relative."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "embedding-projector" / "results"
