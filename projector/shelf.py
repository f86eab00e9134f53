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
MAX_KEY = 16  # ids are 16 hex digits
MAX_ENTRIES = 1_000  # bookmarks in one browser's list
MAX_TITLE = 1_000
MAX_BYTES = 1024 * MB  # the whole shelf: it no longer evicts, so a full one refuses new states instead


class BookmarkShelf:
    """View states by id, on disk, shared by every process of the app; each opens only for the browser
    session that put it (``owner``, a digest of the session: :func:`projector.uploads.owner_of`), so an id
    seen or guessed elsewhere opens nothing. Teammates share bookmarks as files.

    Nothing is taken off the shelf when a user deletes a bookmark: that drops the entry from the browser's
    own list (:func:`without`), while the id may still be listed elsewhere (another tab). States
    leave the shelf when they expire, never to make room for others (a bookmark is someone's work); a shelf
    holding ``max_bytes`` refuses new ones.
    """

    def __init__(self, directory: str | Path, max_bytes: int = MAX_BYTES) -> None:
        self._cache = forksafe.Cache(str(directory), eviction_policy="none")
        self.max_bytes = max_bytes

    def put(self, state: ViewState, owner: str) -> str:
        if self._full():
            raise BookmarkError(
                f"The server's bookmark shelf is full ({format_mb(self.max_bytes)}; bookmarks are kept 30 days): "
                "download your bookmarks to keep them, and ask whoever runs the server to make room."
            )
        key = uuid.uuid4().hex[:16]
        self._cache.set(key, (owner, state), expire=KEEP_S)
        return key

    def _full(self) -> bool:
        """Whether the shelf holds ``max_bytes`` even once its expired states are cleared."""
        if self._cache.volume() < self.max_bytes:
            return False
        self._cache.expire()
        return bool(self._cache.volume() >= self.max_bytes)

    def get(self, key: Any, owner: str) -> ViewState:
        stored = self._cache.get(key) if isinstance(key, str) and len(key) <= MAX_KEY else None
        if not isinstance(stored, tuple) or stored[0] != owner:
            raise BookmarkError("This bookmark is no longer on the server (kept 30 days); upload its file again.")
        state: ViewState = stored[1]
        return state


def checked_entries(entries: Any) -> list[dict[str, Any]]:
    """A browser's bookmark list as it sends it, bounded: at most ``MAX_ENTRIES`` entries of a short id and a
    title. BookmarkError for anything else (the page never sends it)."""
    if entries is None:
        return []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise BookmarkError(f"A bookmark list holds at most {MAX_ENTRIES:,} bookmarks; reload the page.")
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or len(entry["id"]) > MAX_KEY
            or not isinstance(entry.get("title"), str)
            or len(entry["title"]) > MAX_TITLE
        ):
            raise BookmarkError("This page's bookmark list is damaged; reload the page.")
    return entries


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
