"""The bookmark shelf and a browser's list of its entries."""

from __future__ import annotations

import time

import numpy as np
import pytest

from projector.bookmarks import ViewState
from projector.errors import BookmarkError
from projector.shelf import KEEP_S, MAX_ENTRIES, BookmarkShelf, checked_entries, cursor_index, without

ENTRIES = [{"id": "a", "title": "one"}, {"id": "b", "title": "two"}, {"id": "c", "title": "three"}]


def test_deleting_keeps_the_others_in_order_and_moves_the_cursor():
    assert without(ENTRIES, 1) == ([ENTRIES[0], ENTRIES[2]], 1)  # to the next
    assert without(ENTRIES, 2) == (ENTRIES[:2], 1)  # the last: to the previous
    assert without(ENTRIES, 0) == (ENTRIES[1:], 0)
    assert without(ENTRIES[:1], 0) == ([], None)  # none left
    assert [e["id"] for e in ENTRIES] == ["a", "b", "c"]  # the list given is not changed
    with pytest.raises(IndexError):
        without(ENTRIES, 3)


def test_cursor_index():
    assert cursor_index(ENTRIES, 2) == 2
    for cursor in (None, -1, 3, "1", 1.0, True):
        assert cursor_index(ENTRIES, cursor) is None
    assert cursor_index([], 0) is None


def test_deleting_an_entry_leaves_the_state_on_the_shelf(tmp_path):
    shelf = BookmarkShelf(tmp_path)
    key = shelf.put(ViewState(label="kept", method="pca", dimension=2, coords=None, n_points=3, n_dims=4), "me")
    entries, _ = without([{"id": key, "title": "kept"}], 0)
    assert entries == []
    assert shelf.get(key, "me").label == "kept"  # another tab listing this id still opens it
    with pytest.raises(BookmarkError):
        shelf.get("missing", "me")


def test_a_bookmark_opens_only_for_the_session_that_saved_it(tmp_path):
    shelf = BookmarkShelf(tmp_path)
    key = shelf.put(view("mine"), "alice")
    assert shelf.get(key, "alice").label == "mine"
    for owner, key_sent in (("bob", key), ("alice", key + "0" * 10_000), ("alice", ["a"]), ("alice", None)):
        with pytest.raises(BookmarkError, match="no longer on the server"):
            shelf.get(key_sent, owner)


def test_a_bookmark_list_from_the_page_is_bounded():
    assert checked_entries(None) == [] and checked_entries(ENTRIES) == ENTRIES
    hostile = [
        "x",
        [{"id": "a"}] * 3,
        [{"id": 1, "title": "t"}],
        [{"id": "a" * 17, "title": "t"}],
        [{"id": "a", "title": "t" * 100_000}],
        [{"id": "a", "title": "t"}] * (MAX_ENTRIES + 1),
    ]
    for entries in hostile:
        with pytest.raises(BookmarkError):
            checked_entries(entries)


def view(label: str = "v", n: int = 3) -> ViewState:
    coords = np.zeros((n, 2), dtype=np.float32)
    return ViewState(label=label, method="pca", dimension=2, coords=coords, n_points=n, n_dims=4)


def test_the_shelf_never_evicts_and_a_full_one_refuses_until_states_expire(tmp_path, monkeypatch):
    shelf = BookmarkShelf(tmp_path, max_bytes=10**9)
    assert shelf._cache.eviction_policy == "none"
    shelf._cache.reset("size_limit", 1)  # diskcache's limit, which other policies cull down to
    keys = [shelf.put(view(str(i), n=10_000), "me") for i in range(10)]  # 80 KB each
    shelf._cache.cull()
    assert [shelf.get(k, "me").label for k in keys] == [str(i) for i in range(10)]
    shelf.max_bytes = shelf._cache.volume()
    with pytest.raises(BookmarkError, match=r"bookmark shelf is full \(.*download your bookmarks"):
        shelf.put(view(), "me")
    assert shelf.get(keys[0], "me").label == "0"  # refusing a new one keeps the old ones
    later = time.time() + KEEP_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert shelf.get(shelf.put(view("new"), "me"), "me").label == "new"  # the expired ones made room
    with pytest.raises(BookmarkError, match="no longer on the server"):
        shelf.get(keys[0], "me")
