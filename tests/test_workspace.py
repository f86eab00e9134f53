import numpy as np
import pytest

from projector.errors import MetadataError, TensorError
from projector.uploads import UPLOAD_RUN
from projector.workspace import Workspace


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
