"""Bookmarks kept on the server between requests; the browser holds only their ids and titles."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from projector import forksafe
from projector.bookmarks import ViewState
from projector.errors import BookmarkError
from projector.uploads import MB, format_mb

KEEP_S = 30 * 24 * 3600
MAX_BYTES = 1024 * MB  # the whole shelf: it no longer evicts, so a full one refuses new states instead


class BookmarkShelf:
    """View states by id, on disk, shared by every process of the app.

    Nothing is taken off the shelf when a user deletes a bookmark: that drops the entry from the browser's
    own list (:func:`without`), while the id may still be listed elsewhere (another tab, a teammate's). States
    leave the shelf when they expire, never to make room for others (a bookmark is someone's work); a shelf
    holding ``max_bytes`` refuses new ones.
    """

    def __init__(self, directory: str | Path, max_bytes: int = MAX_BYTES) -> None:
        self._cache = forksafe.Cache(str(directory), eviction_policy="none")
        self.max_bytes = max_bytes

    def put(self, state: ViewState) -> str:
        if self._full():
            raise BookmarkError(
                f"The server's bookmark shelf is full ({format_mb(self.max_bytes)}; bookmarks are kept 30 days): "
                "download your bookmarks to keep them, and ask whoever runs the server to make room."
            )
        key = uuid.uuid4().hex[:16]
        self._cache.set(key, state, expire=KEEP_S)
        return key

    def _full(self) -> bool:
        """Whether the shelf holds ``max_bytes`` even once its expired states are cleared."""
        if self._cache.volume() < self.max_bytes:
            return False
        self._cache.expire()
        return bool(self._cache.volume() >= self.max_bytes)

    def get(self, key: str) -> ViewState:
        state: ViewState | None = self._cache.get(key)
        if state is None:
            raise BookmarkError("This bookmark is no longer on the server (kept 30 days); upload its file again.")
        return state


def cursor_index(entries: list[dict[str, Any]], cursor: Any) -> int | None:
    """A browser's bookmark cursor as an index into its ``entries``, or None when it points at none."""
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor < len(entries):
        return None
    return cursor


def without(entries: list[dict[str, Any]], index: int) -> tuple[list[dict[str, Any]], int | None]:
    """A browser's bookmark ``entries`` without the one at ``index``, the others in their order, and the new
    cursor: the next bookmark, the previous one when the last was dropped, None when none is left."""
    if not 0 <= index < len(entries):
        raise IndexError(f"no bookmark {index} in a list of {len(entries)}")
    kept = entries[:index] + entries[index + 1 :]
    return kept, (min(index, len(kept) - 1) if kept else None)
