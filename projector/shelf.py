"""Bookmarks kept on the server between requests; the browser holds only their ids and titles."""

from __future__ import annotations

import uuid
from pathlib import Path

import diskcache

from projector.bookmarks import ViewState
from projector.errors import BookmarkError

KEEP_S = 30 * 24 * 3600


class BookmarkShelf:
    """View states by id, on disk, shared by every process of the app."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = diskcache.Cache(str(directory))

    def put(self, state: ViewState) -> str:
        key = uuid.uuid4().hex[:16]
        self._cache.set(key, state, expire=KEEP_S)
        return key

    def get(self, key: str) -> ViewState:
        state = self._cache.get(key)
        if state is None:
            raise BookmarkError("This bookmark is no longer on the server (kept 30 days); upload its file again.")
        return state
