"""Stop requests for running layout jobs, shared between the web process and job processes."""

from __future__ import annotations

from pathlib import Path

import diskcache

STOP_TTL_S = 3600


class StopFlags:
    """A tiny on-disk set of job tokens whose job should stop at its next frame."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = diskcache.Cache(str(directory))

    def request(self, token: str) -> None:
        self._cache.set(f"stop:{token}", True, expire=STOP_TTL_S)

    def requested(self, token: str) -> bool:
        return bool(self._cache.get(f"stop:{token}", False))
