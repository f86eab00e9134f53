from __future__ import annotations

import builtins
import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from projector import dataset as dataset_module
from projector.errors import ConfigError, InputError, MetadataError, TensorError
from projector.uploads import PRIVATE, SHARED, SHARED_BY_YOU, UPLOAD_RUN
from projector.workspace import CACHE_SIZES, Workspace


def tsv(rows: np.ndarray) -> bytes:
    return "".join("\t".join(f"{v:.6g}" for v in row) + "\n" for row in rows).encode()


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "logdir").mkdir()
    return Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")


def test_uploaded_tensor_becomes_a_run_and_a_dataset(workspace, tmp_path):
    vectors = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    key = workspace.add_upload("words.tsv", tsv(vectors))
    assert UPLOAD_RUN in workspace.runs()
    assert [s.key for s in workspace.listing(UPLOAD_RUN).specs] == [key]
    data = workspace.dataset(key)
    assert np.allclose(data.vectors, vectors, atol=1e-5) and data.n == 12
    again = workspace.add_upload("words.tsv", tsv(vectors[:5]))
    assert again != key and workspace.dataset(again).n == 5
    # Another workspace on the same cache (another app process) sees the uploads.
    other = Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")
    assert other.dataset(key).n == 12


def test_npy_upload_and_bad_files(workspace, tmp_path):
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(20, dtype=np.float64).reshape(5, 4))
    key = workspace.add_upload("m.npy", buffer.getvalue())
    assert workspace.dataset(key).vectors.dtype == np.float32
    with pytest.raises(TensorError, match="bad.tsv"):
        workspace.add_upload("bad.tsv", b"1\t2\nx\t3\n")
    with pytest.raises(TensorError):
        workspace.add_upload("col.tsv", b"1\n2\n3\n")


def test_uploaded_metadata_replaces_the_tensor_metadata(workspace):
    vectors = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    vectors[2] = np.nan
    key = workspace.add_upload("v.tsv", tsv(vectors))
    assert workspace.dataset(key).n == 3
    workspace.set_metadata(key, "meta.tsv", b"word\tkind\na\tx\nb\ty\nc\tx\nd\ty\n")
    data = workspace.dataset(key)
    assert data.metadata["word"].tolist() == ["a", "b", "d"]  # row 2 was left out with its NaN vector
    with pytest.raises(MetadataError, match="meta2.tsv"):
        workspace.set_metadata(key, "meta2.tsv", b"word\tkind\na\tx\n")
    assert workspace.dataset(key).metadata["word"].tolist() == ["a", "b", "d"]  # the good metadata is kept


def test_colour_encoding_is_cached_per_table_and_follows_new_metadata(workspace):
    vectors = np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
    key = workspace.add_upload("c.tsv", tsv(vectors))
    workspace.set_metadata(key, "m.tsv", b"word\tkind\na\tx\nb\ty\nc\tx\nd\ty\ne\tx\nf\tz\n")
    first = workspace.color_encoding(key, "kind", None)
    assert workspace.color_encoding(key, "kind", None) is first
    assert [e.label for e in first.legend] == ["x", "y", "z"]
    subset = np.array([1, 3, 5])
    assert [e.label for e in workspace.color_encoding(key, "kind", subset).legend] == ["y", "z"]
    workspace.set_metadata(key, "m2.tsv", b"word\tkind\na\tq\nb\tq\nc\tq\nd\tq\ne\tq\nf\tq\n")
    assert [e.label for e in workspace.color_encoding(key, "kind", None).legend] == ["q"]
    assert workspace.color_encoding(key, "missing", None).kind == "none"


# --- the one in-memory cache ----------------------------------------------------------------------


def tensor_logdir(root, tensors: dict[str, np.ndarray]):
    """A logdir whose config names one TSV per tensor, each with a one-column metadata file."""
    root.mkdir(exist_ok=True)
    entries = []
    for name, vectors in tensors.items():
        (root / f"{name}.tsv").write_bytes(tsv(vectors))
        (root / f"{name}-meta.tsv").write_text("".join(f"{name}{i % 3}\n" for i in range(len(vectors))))
        entries.append(
            f'embeddings {{ tensor_name: "{name}" tensor_path: "{name}.tsv" metadata_path: "{name}-meta.tsv" }}'
        )
    (root / "projector_config.pbtxt").write_text("\n".join(entries) + "\n")
    return root


def test_the_workspace_cache_is_bounded(tmp_path):
    rng = np.random.default_rng(3)
    logdir = tensor_logdir(
        tmp_path / "logdir", {f"t{i}": rng.normal(size=(5, 3)) for i in range(CACHE_SIZES["dataset"] + 3)}
    )
    workspace = Workspace(logdir, cache_root=tmp_path / "cache")
    for spec in workspace.listing(".").specs:
        data = workspace.dataset(spec.key)
        workspace.pca(data, None, False)
        workspace.color_encoding(data, "label", None)
    for kind, size in CACHE_SIZES.items():
        assert len(workspace.cache.keys(kind)) <= size, kind
    assert len(workspace.cache.keys("dataset")) == CACHE_SIZES["dataset"]


def test_a_rewritten_tensor_file_is_read_again(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    logdir = tensor_logdir(tmp_path / "logdir", {"t": rng.normal(size=(6, 3))})
    workspace = Workspace(logdir, cache_root=tmp_path / "cache")
    reads = []
    monkeypatch.setattr(dataset_module, "read_tensor_file", counting(dataset_module.read_tensor_file, reads))
    first = workspace.dataset(".::t")
    assert workspace.dataset(".::t") is first and len(reads) == 1
    rewritten = rng.normal(size=(9, 3)).astype(np.float32)
    (logdir / "t.tsv").write_bytes(tsv(rewritten))
    os.utime(logdir / "t.tsv", ns=(10**18, 10**18))
    assert workspace.listing(".").specs[0].tensor_shape == (9, 3)
    second = workspace.dataset(".::t")
    assert len(reads) == 2 and second.n == 9 and second.content_hash != first.content_hash
    np.testing.assert_allclose(second.vectors, rewritten, atol=1e-5)


def test_two_workspaces_share_nothing_in_memory(tmp_path, monkeypatch):
    logdir = tensor_logdir(tmp_path / "logdir", {"t": np.eye(4, 3)})
    reads = []
    monkeypatch.setattr(dataset_module, "read_tensor_file", counting(dataset_module.read_tensor_file, reads))
    for _ in range(2):
        workspace = Workspace(logdir, cache_root=tmp_path / "cache")
        workspace.dataset(".::t")
        workspace.dataset(".::t")
    assert len(reads) == 2


def test_colour_encodings_are_keyed_by_table_content_never_by_object(workspace, monkeypatch):
    vectors = np.random.default_rng(5).normal(size=(4, 3)).astype(np.float32)
    key = workspace.add_upload("v.tsv", tsv(vectors))
    workspace.set_metadata(key, "m.tsv", b"kind\tword\nx\ta\ny\tb\nx\tc\ny\td\n")
    data = workspace.dataset(key)
    first = workspace.color_encoding(data, "kind", None)
    same_table = replace(data, metadata=data.metadata.copy())  # another object, equal content
    assert workspace.color_encoding(same_table, "kind", None) is first
    monkeypatch.setattr(builtins, "id", lambda _obj: 0)  # every object "the same": keys must not care
    other = replace(data, metadata=pd.DataFrame({"kind": ["p", "q", "p", "q"], "word": list("abcd")}))
    assert [e.label for e in workspace.color_encoding(other, "kind", None).legend] == ["p", "q"]
    assert [e.label for e in workspace.color_encoding(data, "kind", None).legend] == ["x", "y"]


def counting(function, calls: list):
    def wrapper(*args, **kwargs):
        calls.append(args[0])
        return function(*args, **kwargs)

    return wrapper


# --- uploads belong to the browser session that made them ----------------------------------------

A, B = "a" * 32, "b" * 32  # two browser sessions


def test_a_session_sees_only_its_own_uploads(workspace):
    vectors = np.random.default_rng(6).normal(size=(8, 3)).astype(np.float32)
    key = workspace.add_upload("words.tsv", tsv(vectors), A)
    assert UPLOAD_RUN in workspace.runs(A) and UPLOAD_RUN not in workspace.runs(B)
    assert [s.key for s in workspace.listing(UPLOAD_RUN, A).specs] == [key]
    assert workspace.listing(UPLOAD_RUN, B).specs == []
    assert workspace.dataset(key, A).n == 8
    refused = "'words' is not available to this browser.*shares it with the team"
    with pytest.raises(ConfigError, match=refused):
        workspace.dataset(key, B)
    with pytest.raises(ConfigError, match=refused):
        workspace.spec(key, B)
    with pytest.raises(ConfigError, match=refused):
        workspace.set_metadata(key, "m.tsv", b"x\n" * 8, B)
    with pytest.raises(ConfigError, match="not available to this browser"):
        workspace.dataset(key)  # the server itself (no session): not its upload either
    # An expired upload reads the same: a key tells nobody whether someone else holds it.
    with pytest.raises(ConfigError, match="'gone' is not available to this browser"):
        workspace.dataset(f"{UPLOAD_RUN}::gone", A)


def test_the_requester_names_the_session_when_none_is_given(workspace):
    key = workspace.add_upload("v.tsv", tsv(np.eye(4, 3)), A)
    workspace.requester = lambda: A
    assert workspace.dataset(key).n == 4 and workspace.upload_status(key) == PRIVATE
    workspace.requester = lambda: B
    with pytest.raises(ConfigError):
        workspace.dataset(key)
    assert workspace.upload_status(key) is None and UPLOAD_RUN not in workspace.runs()
    workspace.requester = lambda: ""  # a request without a session may read, not upload
    with pytest.raises(InputError, match="no session"):
        workspace.add_upload("v.tsv", tsv(np.eye(4, 3)))


def test_uploaded_metadata_for_a_logdir_tensor_changes_one_session_only(tmp_path):
    logdir = tensor_logdir(tmp_path / "logdir", {"t": np.random.default_rng(7).normal(size=(6, 3))})
    workspace = Workspace(logdir, cache_root=tmp_path / "cache")
    own = workspace.dataset(".::t", B)
    assert own.metadata["label"].tolist() == ["t0", "t1", "t2", "t0", "t1", "t2"]
    workspace.set_metadata(
        ".::t", "mine.tsv", b"word\tkind\n" + b"".join(b"w%d\tk%d\n" % (i, i % 2) for i in range(6)), A
    )
    mine = workspace.dataset(".::t", A)
    assert mine.metadata["word"].tolist() == [f"w{i}" for i in range(6)]
    for other in (B, None):  # another session, and the server's own work (warm-up), see the logdir's metadata
        data = workspace.dataset(".::t", other)
        assert list(data.metadata.columns) == ["label"] and data.metadata_hash == own.metadata_hash
    # Everything computed from metadata follows the session's table: colours, labels, search columns.
    assert [e.label for e in workspace.color_encoding(mine, "kind", None).legend] == ["k0", "k1"]
    assert workspace.color_encoding(own, "kind", None).kind == "none"
    assert [e.label for e in workspace.color_encoding(own, "label", None).legend] == ["t0", "t1", "t2"]
    assert workspace.color_encoding(".::t", "kind", None).kind == "none"  # a key alone: the server's view
    workspace.requester = lambda: A  # ... or the session being served, as in the app's callbacks
    assert [e.label for e in workspace.color_encoding(".::t", "kind", None).legend] == ["k0", "k1"]
    workspace.requester = lambda: B
    assert workspace.color_encoding(".::t", "kind", None).kind == "none"
    # Even in a fresh process (an empty in-memory cache) A's upload stays A's.
    fresh = Workspace(logdir, cache_root=tmp_path / "cache")
    assert "word" in fresh.dataset(".::t", A).metadata.columns
    assert "word" not in fresh.dataset(".::t", B).metadata.columns


def test_sharing_lists_an_upload_for_everyone_with_its_owners_metadata(workspace):
    key = workspace.add_upload("words.tsv", tsv(np.random.default_rng(8).normal(size=(4, 3))), A)
    workspace.set_metadata(key, "m.tsv", b"a\nb\nc\nd\n", A)
    with pytest.raises(ConfigError):
        workspace.share_upload(key, B)  # B cannot even see it
    assert workspace.upload_status(key, A) == PRIVATE
    shared = workspace.share_upload(key, A)
    assert shared.shared and shared.name == "words"
    assert [s.key for s in workspace.listing(UPLOAD_RUN, B).specs] == [key] and UPLOAD_RUN in workspace.runs(B)
    assert workspace.upload_status(key, A) == SHARED_BY_YOU and workspace.upload_status(key, B) == SHARED
    assert workspace.dataset(key, B).metadata["label"].tolist() == list("abcd")  # the owner's labels come along
    with pytest.raises(InputError, match="only that browser can share it"):
        workspace.share_upload(key, B)
    with pytest.raises(InputError, match="Only uploaded tensors"):
        workspace.share_upload(".::t", A)
    workspace.set_metadata(key, "b.tsv", b"word\tn\nw\t1\nx\t2\ny\t3\nz\t4\n", B)  # B's own: for B only
    assert workspace.dataset(key, B).metadata["word"].tolist() == list("wxyz")
    assert workspace.dataset(key, A).metadata["label"].tolist() == list("abcd")


def test_word_vectors_upload_with_their_words_as_labels(workspace):
    text = b"3 4\nthe 0.1 0.2 0.3 0.4 \nof 0.5 0.6 0.7 0.8 \nand 0.9 1.0 1.1 1.2 \n"  # word2vec text, header "N D"
    key = workspace.add_upload("vectors.txt", text, A)
    data = workspace.dataset(key, A)
    assert data.n == 3 and data.dim == 4 and data.metadata["word"].tolist() == ["the", "of", "and"]
    workspace.set_metadata(key, "m.tsv", b"word\tpos\nthe\tdet\nof\tprep\nand\tconj\n", A)  # replaces them
    assert workspace.dataset(key, A).metadata["pos"].tolist() == ["det", "prep", "conj"]


def test_a_new_upload_under_an_old_name_never_shows_the_old_vectors(workspace):
    rng = np.random.default_rng(9)
    first, second = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    key = workspace.add_upload("v.tsv", tsv(first), A)
    workspace.set_metadata(key, "m.tsv", b"a\nb\nc\nd\ne\n", A)
    np.testing.assert_allclose(workspace.dataset(key, A).vectors, first, atol=1e-5)  # now in memory
    workspace.uploads._cache.clear()  # A's upload expired
    again = workspace.add_upload("v.tsv", tsv(second), B)  # same name, same shape, B's now
    assert again != key
    data = workspace.dataset(again, B)
    np.testing.assert_allclose(data.vectors, second, atol=1e-5)
    assert list(data.metadata.columns) == []
    with pytest.raises(ConfigError):
        workspace.dataset(key, A)
