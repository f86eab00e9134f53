from __future__ import annotations

import base64
import binascii
import contextlib
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from projector.errors import InputError, MetadataError, TensorError
from projector.uploads import (
    DEFAULT_UPLOAD_QUOTA_MB,
    DEFAULT_UPLOADS_TOTAL_MB,
    KEEP_S,
    MB,
    PRIVATE,
    SERVER,
    SHARED,
    SHARED_BY_YOU,
    UPLOAD_RUN,
    UploadStore,
    decode_upload,
    format_mb,
    max_upload_bytes,
    named,
    owner_of,
    parse_tensor_upload,
    upload_size,
)


def data_url(data: bytes, kind: str = "text/tab-separated-values") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 1000, 3 * 2**20 + 1])
def test_the_size_is_told_from_the_length_and_decoding_gives_the_bytes(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    url = data_url(data)
    assert upload_size(url) == size
    assert decode_upload(url, "f.bin", size) == data


def test_a_file_over_the_limit_is_refused_before_anything_is_decoded(monkeypatch):
    def no_decoding(_text):
        raise AssertionError("decoded")

    monkeypatch.setattr(binascii, "a2b_base64", no_decoding)
    url = data_url(b"1\t2\n" * 300_000)  # 1.1 MB
    with pytest.raises(
        TensorError, match=r"big\.tsv is 1\.1 MB; this server takes files up to 1\.0 MB.*--max-request-mb"
    ):
        decode_upload(url, "big.tsv", MB, TensorError)
    with pytest.raises(MetadataError, match="meta.tsv is 1.1 MB"):
        decode_upload(url, "meta.tsv", MB, MetadataError)


def test_what_is_not_a_data_url_is_refused_with_a_message():
    with pytest.raises(TensorError, match="did not arrive as a base64 data URL"):
        decode_upload("1\t2\n", "v.tsv", MB, TensorError)
    with pytest.raises(TensorError, match="did not arrive as a base64 data URL"):
        decode_upload("data:text/plain;base64,AAA", "v.tsv", MB, TensorError)
    assert decode_upload("data:", "empty.tsv", MB) == b""  # what a browser sends for an empty file


def test_an_upload_at_the_file_limit_fits_in_a_request_at_the_request_limit():
    for request_limit in (MB, 100 * MB):
        largest = max_upload_bytes(request_limit)
        url = data_url(b"\0" * largest, "application/octet-stream")
        assert len(url) + 1024 < request_limit  # room for the callback's JSON around it
        assert upload_size(url) == largest


def test_sizes_are_written_as_people_write_them():
    assert [format_mb(n) for n in (720 * 1024, int(1.5 * MB), 75 * MB, 2048 * MB)] == [
        "720 KB",
        "1.5 MB",
        "75 MB",
        "2,048 MB",
    ]


def test_uploaded_tsv_and_npy_parse_to_float32():
    vectors = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    tsv = "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in vectors).encode()
    got, labels = parse_tensor_upload("v.tsv", tsv)
    np.testing.assert_array_equal(got, vectors)
    assert labels is None
    buffer = io.BytesIO()
    np.save(buffer, vectors.astype(np.float64))
    got, labels = parse_tensor_upload("v.npy", buffer.getvalue())
    assert got.dtype == np.float32 and labels is None
    np.testing.assert_array_equal(got, vectors)
    with pytest.raises(TensorError, match="v.npy is not a readable .npy array"):
        parse_tensor_upload("v.npy", b"not numpy")


def test_uploaded_word_vectors_come_with_a_word_column():
    vectors, labels = parse_tensor_upload("glove.6B.50d.txt", b"the 0.1 0.2 0.3\nof 0.4 0.5 0.6\nnan 1 2 3\n")
    np.testing.assert_allclose(vectors, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [1, 2, 3]], rtol=1e-6)
    assert list(labels.columns) == ["word"] and labels["word"].tolist() == ["the", "of", "nan"]


def test_owners_are_digests_of_sessions_and_the_server_is_its_own_owner():
    a, b = "a" * 32, "b" * 32
    assert owner_of(a) == owner_of(a) != owner_of(b)
    assert a not in owner_of(a) and len(owner_of(a)) == 32
    assert owner_of(None) == SERVER != owner_of("")


def test_the_store_keeps_owners_and_sharing_keeps_the_expiry(tmp_path):
    store = UploadStore(tmp_path)
    vectors = np.ones((3, 2), dtype=np.float32)
    mine = store.add_tensor("words", vectors, "me")
    theirs = store.add_tensor("words", vectors, "them")
    assert (mine.name, theirs.name) == ("words", "words")  # neither learns of the other's
    assert mine.key != theirs.key and mine.token != theirs.token
    assert [u.key for u in store.uploads("me")] == [mine.key]
    assert [u.key for u in store.uploads("them")] == [theirs.key]
    assert store.uploads("nobody") == []
    _, before = store._cache.get(("upload", mine.id), expire_time=True)
    shared = store.share(mine.id)
    _, after = store._cache.get(("upload", mine.id), expire_time=True)
    assert shared.shared and shared.status("me") == SHARED_BY_YOU and shared.status("them") == SHARED
    assert after == pytest.approx(before, abs=1)  # kept no longer for being shared
    assert [u.key for u in store.uploads("nobody")] == [mine.key]
    assert store.upload(theirs.id).status("them") == PRIVATE
    assert store.share("gone") is None
    np.testing.assert_array_equal(store.vectors(mine.id), vectors)


def test_a_listed_upload_is_shown_by_its_name_and_keyed_by_its_id(tmp_path):
    upload = UploadStore(tmp_path).add_tensor("emb", np.ones((4, 3)), "me")
    spec = upload.spec()
    assert spec.key == upload.key == f"{UPLOAD_RUN}::{upload.id}" != f"{UPLOAD_RUN}::emb"
    assert spec.label == "emb (4×3)" and spec.run == UPLOAD_RUN
    assert named(upload.id) == "emb"  # what a message about an upload it cannot open shows


def test_names_are_deduplicated_against_what_the_uploader_sees_only(tmp_path):
    store, vectors = UploadStore(tmp_path), np.ones((3, 2))
    a = store.add_tensor("emb", vectors, "A")
    b = store.add_tensor("emb", vectors, "B")
    assert b.name == "emb"  # A's private emb is not B's business
    assert store.add_tensor("emb", vectors, "A").name == "emb (2)"  # A's own is
    store.share(a.id)
    assert sorted((u.name, u.status("B")) for u in store.uploads("B")) == [("emb", PRIVATE), ("emb", SHARED)]
    assert store.add_tensor("emb", vectors, "C").name == "emb (2)"  # the shared one is everyone's
    assert store.share(b.id).name == "emb (2)"  # sharing renames it when its owner sees another emb
    assert sorted(u.name for u in store.uploads("nobody")) == ["emb", "emb (2)"]


def upload_at_once(stores, owners, name="emb"):
    """One upload of ``name`` per owner, each by a thread of its own through its own store (as processes of
    the app would), all at the same moment; thread i uploads vectors full of i."""
    barrier = threading.Barrier(len(owners))

    def upload(i, store, owner):
        barrier.wait()
        return store.add_tensor(name, np.full((3, 2), i, dtype=np.float32), owner)

    with ThreadPoolExecutor(len(owners)) as pool:
        futures = [pool.submit(upload, i, s, o) for i, (s, o) in enumerate(zip(stores, owners))]
        return [f.result() for f in futures]


@pytest.fixture
def slow_naming(monkeypatch):
    """A pause between choosing an upload's name and keeping it, so that uploads made at once overlap there."""
    choose = UploadStore._free_name

    def slowly(self, *args):
        name = choose(self, *args)
        time.sleep(0.05)
        return name

    monkeypatch.setattr(UploadStore, "_free_name", slowly)


def test_same_named_uploads_at_once_from_two_sessions_stay_apart(tmp_path, slow_naming):
    for attempt in range(3):
        stores = [UploadStore(tmp_path / str(attempt)) for _ in range(2)]
        a, b = upload_at_once(stores, ["A", "B"])
        assert a.name == b.name == "emb" and a.key != b.key
        assert [u.key for u in stores[1].uploads("A")] == [a.key]
        assert [u.key for u in stores[0].uploads("B")] == [b.key]
        assert stores[1].vectors(a.id)[0, 0] == 0 and stores[0].vectors(b.id)[0, 0] == 1  # each its own


def test_same_named_uploads_at_once_from_one_session_get_distinct_names(tmp_path, slow_naming):
    stores = [UploadStore(tmp_path) for _ in range(4)]
    made = upload_at_once(stores, ["A"] * 4)
    assert sorted(u.name for u in made) == ["emb", "emb (2)", "emb (3)", "emb (4)"]
    assert len({u.key for u in made}) == 4


def test_uploads_at_once_never_overfill_a_quota_together(tmp_path, slow_naming):
    stores = [UploadStore(tmp_path, quota=2 * npy_size(3, 2)) for _ in range(4)]
    barrier, kept = threading.Barrier(len(stores)), []

    def upload(store):
        barrier.wait()
        with contextlib.suppress(InputError):
            kept.append(store.add_tensor("emb", np.ones((3, 2)), "A"))

    threads = [threading.Thread(target=upload, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kept) == 2 and stores[0].usage("A")[0] == 2 * npy_size(3, 2)
    assert sorted(u.name for u in stores[0].uploads("A")) == ["emb", "emb (2)"]


# --- quotas: bytes actually stored, per session and in all --------------------------------------------------


def npy_size(rows: int, dim: int) -> int:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((rows, dim), dtype=np.float32))
    return len(buffer.getvalue())


def test_uploads_count_the_bytes_stored_and_a_full_quota_refuses_with_a_message(tmp_path):
    one = npy_size(1000, 64)  # 250 KB as float32, whatever the uploaded file's size or dtype
    store = UploadStore(tmp_path, quota=3 * one, total_quota=100 * one)
    first = store.add_tensor("emb", np.zeros((1000, 64), dtype=np.float64), "A")
    assert first.size == one and store.usage("A") == (one, one)
    words = store.add_tensor("words", np.zeros((1000, 64)), "A")
    store.add_tensor("emb", np.zeros((1000, 64)), "B")  # B's quota is B's own
    with pytest.raises(
        InputError,
        match=r"^Your uploads use 500 KB of your 750 KB \(yours: emb 250 KB, words 250 KB\), and big needs 500 KB; "
        r"uploads are kept 7 days: wait for one to expire, or ask the admin to raise --upload-quota-mb\.$",
    ):
        store.add_tensor("big", np.zeros((2000, 64)), "A")
    assert [u.name for u in store.uploads("A")] == ["emb", "words"]  # nothing of the refused one is kept
    assert sum(k[0] in ("tensor", "labels") for k in store._cache.iterkeys() if isinstance(k, tuple)) == 3
    assert store.delete(words.id, "B") is None  # only its owner deletes it
    assert store.delete(words.id, "A") == words  # ... which frees its share
    assert store.usage("A") == (one, 2 * one) and store.upload(words.id) is None and store.vectors(words.id) is None
    store.add_tensor("big", np.zeros((2000, 64)), "A")


def test_the_total_quota_refuses_and_names_only_the_uploaders_own(tmp_path):
    one = npy_size(1000, 64)
    store = UploadStore(tmp_path, quota=10 * one, total_quota=3 * one)
    store.add_tensor("secret plans", np.zeros((1000, 64)), "B")
    store.add_tensor("theirs", np.zeros((1000, 64)), "B")
    store.add_tensor("mine", np.zeros((1000, 64)), "A")
    with pytest.raises(InputError) as refused:
        store.add_tensor("more", np.zeros((1000, 64)), "A")
    message = str(refused.value)
    assert message.startswith("This server's uploads use 750 KB of its 750 KB (yours: mine 250 KB), and more needs")
    assert "--uploads-total-mb" in message
    assert "secret" not in message and "theirs" not in message
    with pytest.raises(InputError, match=r"^This server's .*kept 7 days: ask the admin to raise --uploads-total-mb"):
        store.add_tensor("first", np.zeros((1000, 64)), "C")


def test_metadata_and_edit_by_values_count_and_replacing_them_does_not_count_twice(tmp_path):
    store = UploadStore(tmp_path, quota=30_000, total_quota=10**9)
    store.set_metadata(".::t", "A", "m.tsv", "x\n" * 5000)
    used, _ = store.usage("A")
    assert 10_000 <= used < 10_200  # the pickled text as stored
    store.set_metadata(".::t", "A", "m.tsv", "y\n" * 5000)  # replaces the first
    assert store.usage("A")[0] == used and store.metadata(".::t", "A") == ("m.tsv", "y\n" * 5000)
    with pytest.raises(InputError, match=f"^Your uploads use {format_mb(used)} of your 29 KB, and big.tsv needs"):
        store.set_metadata(".::u", "A", "big.tsv", "z\n" * 20_000)
    assert store.metadata(".::u", "A") is None
    store.update_tags(".::t", "A", lambda tags: {"mood": {0: "happy"}})
    assert store.tags(".::t", "A") == {"mood": {0: "happy"}} and store.usage("A")[0] > used


def test_deleting_an_upload_frees_the_metadata_anyone_gave_it(tmp_path):
    store = UploadStore(tmp_path)
    upload = store.add_tensor("emb", np.ones((3, 2)), "A")
    store.share(upload.id)
    store.set_metadata(f"{upload.key}#{upload.token}", "A", "a.tsv", "a\nb\nc\n")
    store.set_metadata(f"{upload.key}#{upload.token}", "B", "b.tsv", "x\ny\nz\n")
    store.update_tags(f"{upload.key}#{upload.token}", "B", lambda tags: {"mood": {1: "sad"}})
    store.set_metadata(".::t", "B", "t.tsv", "kept\n")
    store.delete(upload.id, "A")
    assert store.metadata(f"{upload.key}#{upload.token}", "B") is None and store.tags(upload.key, "B") == {}
    assert store.usage("A")[0] == 0 and store.metadata(".::t", "B") == ("t.tsv", "kept\n")


def test_expired_uploads_free_their_share(tmp_path, monkeypatch):
    one = npy_size(1000, 64)
    store = UploadStore(tmp_path, quota=one, total_quota=10 * one)
    store.add_tensor("emb", np.zeros((1000, 64)), "A")
    with pytest.raises(InputError):
        store.add_tensor("emb", np.zeros((1000, 64)), "A")
    later = time.time() + KEEP_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert store.uploads("A") == [] and store.usage("A") == (0, 0)
    assert store.add_tensor("emb", np.zeros((1000, 64)), "A").name == "emb"


def test_uploads_are_never_evicted_to_make_room(tmp_path):
    store = UploadStore(tmp_path)
    assert store._cache.eviction_policy == "none"
    store._cache.reset("size_limit", 100_000)  # diskcache's limit, which other policies cull down to
    made = [store.add_tensor(f"t{i}", np.zeros((1000, 64)), "A") for i in range(8)]  # 2 MB
    store._cache.cull()
    assert [u.name for u in store.uploads("A")] == [u.name for u in made]
    assert all(store.vectors(u.id) is not None for u in made)


def test_the_quota_flags_are_in_mb(tmp_path):
    store = UploadStore(tmp_path)
    assert (store.quota, store.total_quota) == (DEFAULT_UPLOAD_QUOTA_MB * MB, DEFAULT_UPLOADS_TOTAL_MB * MB)
    store.set_quotas(1.5, 10)
    assert (store.quota, store.total_quota) == (int(1.5 * MB), 10 * MB)


def test_an_upload_kept_by_the_earlier_version_still_opens(tmp_path):
    store = UploadStore(tmp_path)
    store._cache.set(("upload", "old"), {"shape": (3, 2), "owner": "A", "shared": True, "token": "t"})
    store._cache.set(("tensor", "old"), np.ones((3, 2), dtype=np.float32))
    (old,) = store.uploads("B")
    assert (old.name, old.key, old.size) == ("old", f"{UPLOAD_RUN}::old", 0)
    np.testing.assert_array_equal(store.vectors("old"), np.ones((3, 2)))
