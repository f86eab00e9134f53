from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from projector.cache import LRUCache, ResultCache, cached, default_cache_dir

PARAMS = {"n_components": 2, "perplexity": 30.0, "learning_rate": "auto", "random_state": 0}


@pytest.fixture
def cache(tmp_path):
    result = ResultCache(tmp_path / "results")
    yield result
    result.close()


@pytest.mark.parametrize("shape", [(5, 2), (20_000, 3)])  # stored in SQLite / in a file
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_of_layout_and_meta(cache, shape, dtype):
    layout = np.random.default_rng(0).normal(size=shape).astype(dtype)
    meta = {"iterations": np.int64(500), "stopped": False, "note": "Perplexity lowered", "params": PARAMS}
    cache.set("k", layout, meta)
    restored = cache.get("k")
    assert restored.dtype == dtype and restored.shape == shape
    assert np.array_equal(restored, layout)
    assert cache.get_meta("k") == {**meta, "iterations": 500}  # numpy scalars come back as plain numbers


def test_missing_key_and_entry_without_meta(cache):
    assert cache.get("absent") is None
    assert cache.get_meta("absent") is None
    cache.set("plain", np.zeros((3, 2), np.float32))
    assert cache.get_meta("plain") == {}  # present, so not None
    cache.set("plain", np.ones((4, 2), np.float32), {"v": 2})  # replaced
    assert np.array_equal(cache.get("plain"), np.ones((4, 2))) and cache.get_meta("plain") == {"v": 2}


def test_key_is_stable_across_dict_order_and_numpy_scalars():
    key = ResultCache.key("abc", "all", "tsne", PARAMS)
    reordered = dict(reversed(list(PARAMS.items())))
    numpy_values = {**PARAMS, "n_components": np.int64(2), "perplexity": np.float64(30.0)}
    assert ResultCache.key("abc", "all", "tsne", reordered) == key
    assert ResultCache.key("abc", "all", "tsne", numpy_values) == key
    assert key == ResultCache.key("abc", "all", "tsne", dict(PARAMS))
    assert key.startswith("tsne-") and len(key) < 64


@pytest.mark.parametrize(
    "change",
    [
        {"content_hash": "abd"},
        {"subset": "rows-1f2e"},
        {"method": "umap"},
        {"params": {**PARAMS, "perplexity": 29.0}},
        {"params": {**PARAMS, "random_state": 1}},
        {"params": {**PARAMS, "extra": None}},
    ],
)
def test_key_changes_with_each_part(change):
    parts = {"content_hash": "abc", "subset": "all", "method": "tsne", "params": PARAMS}
    assert ResultCache.key(**{**parts, **change}) != ResultCache.key(**parts)


def test_two_caches_on_one_directory_see_each_others_writes(tmp_path):
    first, second = ResultCache(tmp_path / "shared"), ResultCache(tmp_path / "shared")
    try:
        layout = np.arange(12, dtype=np.float32).reshape(6, 2)
        first.set("a", layout, {"by": "first"})
        assert np.array_equal(second.get("a"), layout) and second.get_meta("a") == {"by": "first"}
        second.set("b", layout * 2)
        assert np.array_equal(first.get("b"), layout * 2)
    finally:
        first.close()
        second.close()


def test_size_limit_evicts_old_entries(tmp_path):
    small = ResultCache(tmp_path / "small", size_limit=1_000_000)
    try:
        for i in range(30):
            small.set(f"k{i}", np.full((10_000, 2), i, np.float32))  # 80 kB each
        assert small.get("k29") is not None and small._cache.volume() < 1_200_000
        assert small.get("k0") is None and small.get_meta("k0") is None  # layout and meta leave together
    finally:
        small.close()


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "embedding-projector"
    for value in ("", "relative/dir"):
        monkeypatch.setenv("XDG_CACHE_HOME", value)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert default_cache_dir() == tmp_path / "home" / ".cache" / "embedding-projector"


# --- the in-memory cache ------------------------------------------------------------------------


def test_memory_cache_is_bounded_per_kind_least_recently_used_first():
    cache = LRUCache({"big": 2, "small": 3})
    for key in ("a", "b"):
        cache.get_or_compute("big", key, lambda key=key: key.upper())
    cache.get_or_compute("big", "a", lambda: "never computed")  # "a" is now the most recently used
    cache.get_or_compute("big", "c", lambda: "C")
    assert cache.keys("big") == ["a", "c"]
    for i in range(10):
        cache.get_or_compute("small", i, lambda i=i: i)
    assert cache.keys("small") == [7, 8, 9] and cache.keys("big") == ["a", "c"]
    assert len(cache) == 5
    cache.clear()
    assert len(cache) == 0


def test_memory_cache_keys_by_value_not_by_object():
    cache = LRUCache({"k": 4})
    first = cache.get_or_compute("k", ("file.tsv", 1, 10), object)
    assert cache.get_or_compute("k", ("file.tsv", 1, 10), object) is first  # an equal key, another tuple
    assert cache.get_or_compute("k", ("file.tsv", 2, 10), object) is not first  # a new mtime


def test_concurrent_requests_for_one_key_compute_once():
    cache = LRUCache({"k": 2})
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", "x", slow))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 4 and len(calls) == 1


def test_a_failed_computation_is_not_kept_and_unknown_kinds_are_refused():
    cache = LRUCache({"k": 2})

    def fail() -> int:
        raise OSError("gone")

    with pytest.raises(OSError):
        cache.get_or_compute("k", "x", fail)
    assert cache.get_or_compute("k", "x", lambda: 1) == 1
    with pytest.raises(ValueError, match="Unknown cache kind 'nope'; use one of k"):
        cache.get_or_compute("nope", "x", lambda: 1)


def test_cached_without_a_cache_computes_every_time():
    assert cached(None, "k", "x", object) is not cached(None, "k", "x", object)
    cache = LRUCache({"k": 1})
    assert cached(cache, "k", "x", object) is cached(cache, "k", "x", object)
