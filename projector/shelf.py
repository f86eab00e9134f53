"""Bookmarks kept on the server between requests; the browser holds only their ids and titles."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from projector import forksafe
from projector.bookmarks import ViewState
from projector.errors import BookmarkError

KEEP_S = 30 * 24 * 3600


class BookmarkShelf:
    """View states by id, on disk, shared by every process of the app.

    Nothing is taken off the shelf when a user deletes a bookmark: that drops the entry from the browser's
    own list (:func:`without`), while the id may still be listed elsewhere (another tab, a teammate's). States
    leave the shelf when they expire.
    """

    def __init__(self, directory: str | Path) -> None:
        self._cache = forksafe.Cache(str(directory))

    def put(self, state: ViewState) -> str:
        key = uuid.uuid4().hex[:16]
        self._cache.set(key, state, expire=KEEP_S)
        return key

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
