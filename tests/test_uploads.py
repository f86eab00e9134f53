from __future__ import annotations

import base64
import binascii
import io

import numpy as np
import pytest

from projector.errors import MetadataError, TensorError
from projector.uploads import (
    MB,
    PRIVATE,
    SERVER,
    SHARED,
    SHARED_BY_YOU,
    UploadStore,
    decode_upload,
    format_mb,
    max_upload_bytes,
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
    with pytest.raises(TensorError, match="v.npy: not a readable .npy array"):
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
    assert (mine.name, theirs.name) == ("words", "words (2)") and mine.token != theirs.token
    assert [u.name for u in store.uploads("me")] == ["words"]
    assert [u.name for u in store.uploads("them")] == ["words (2)"]
    assert store.uploads("nobody") == []
    _, before = store._cache.get(("upload", "words"), expire_time=True)
    shared = store.share("words")
    _, after = store._cache.get(("upload", "words"), expire_time=True)
    assert shared.shared and shared.status("me") == SHARED_BY_YOU and shared.status("them") == SHARED
    assert after == pytest.approx(before, abs=1)  # kept no longer for being shared
    assert [u.name for u in store.uploads("nobody")] == ["words"]
    assert store.upload("words (2)").status("them") == PRIVATE
    assert store.share("gone") is None
