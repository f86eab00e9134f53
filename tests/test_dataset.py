from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from projector.cache import LRUCache
from projector.dataset import dataset_from_arrays, load_dataset
from projector.errors import CheckpointError, PathError, TensorError
from projector.logdir import EmbeddingSpec, list_embeddings
from projector.steps import step_spec
from tests.logdirs import sprite_array, write_metadata
from tests.test_logdir import forbid_reading


def only(logdir, name: str, run: str = ".") -> EmbeddingSpec:
    return next(s for s in list_embeddings(logdir, run).specs if s.name == name)


def thumbnail_rgb(sprite, i: int) -> np.ndarray:
    return np.asarray(sprite.thumbnail(i).convert("RGB"))


def test_tf2_dataset_is_what_was_written(tf2_logdir):
    data = load_dataset(tf2_logdir.path, only(tf2_logdir.path, "embedding"))
    assert (data.n, data.dim) == (30, 6)
    np.testing.assert_array_equal(data.vectors, tf2_logdir.vectors)
    assert data.vectors.dtype == np.float32 and not data.vectors.flags.writeable
    assert data.metadata.columns.tolist() == ["word", "group", "score"]
    assert data.metadata.to_numpy().tolist() == tf2_logdir.rows
    assert data.sprite is not None and data.sprite.n == 30
    for i in (0, 29):
        np.testing.assert_array_equal(thumbnail_rgb(data.sprite, i), tf2_logdir.images[i])
    np.testing.assert_array_equal(data.row_ids, np.arange(30))
    assert data.warnings == []
    assert len(data.content_hash) == 32


def test_datasets_are_cached_until_a_file_changes(tf2_copy):
    spec = only(tf2_copy, "embedding")
    cache = LRUCache({"dataset": 2, "variables": 2})
    first = load_dataset(tf2_copy, spec, cache)
    assert load_dataset(tf2_copy, spec, cache) is first
    assert load_dataset(tf2_copy, spec) is not first  # without a cache, read afresh
    rows = [f"new{i}" for i in range(30)]
    write_metadata(tf2_copy / "metadata.tsv", rows)
    os.utime(tf2_copy / "metadata.tsv", ns=(10**18, 10**18))
    second = load_dataset(tf2_copy, spec, cache)
    assert second is not first
    assert second.metadata["label"].tolist() == rows
    assert second.content_hash == first.content_hash


def test_tf1_and_tensorboardx_datasets(tf1_logdir, tbx_logdir):
    tf1 = load_dataset(tf1_logdir.path, only(tf1_logdir.path, "word_embedding"))
    np.testing.assert_array_equal(tf1.vectors, tf1_logdir.vectors)
    assert tf1.metadata["label"].tolist() == tf1_logdir.rows
    features = only(tbx_logdir.path, "features")
    step0 = load_dataset(tbx_logdir.path, step_spec(features, 0))
    step10 = load_dataset(tbx_logdir.path, features)  # the latest step
    np.testing.assert_array_equal(step0.vectors, tbx_logdir.vectors)
    np.testing.assert_array_equal(step10.vectors, tbx_logdir.vectors * 2)
    assert step0.content_hash != step10.content_hash
    assert step0.metadata.to_numpy().tolist() == tbx_logdir.rows
    assert step0.metadata.columns.tolist() == ["name", "cls"]
    expected = (tbx_logdir.images[5].transpose(1, 2, 0) * 255).astype(np.uint8)
    assert np.abs(thumbnail_rgb(step0.sprite, 5).astype(int) - expected).max() <= 1


def tensor_logdir(root, vectors, rows=None, images=None) -> EmbeddingSpec:
    """A logdir whose config names ``tensors.tsv`` (+ metadata and sprite)."""
    root.mkdir(exist_ok=True)
    (root / "tensors.tsv").write_text("".join("\t".join(str(v) for v in row) + "\n" for row in vectors))
    entry = 'tensor_name: "t" tensor_path: "tensors.tsv"'
    if rows is not None:
        write_metadata(root / "metadata.tsv", rows)
        entry += ' metadata_path: "metadata.tsv"'
    if images is not None:
        Image.fromarray(sprite_array(images)).save(root / "sprite.png")
        w, h = images.shape[2], images.shape[1]
        entry += f' sprite {{ image_path: "sprite.png" single_image_dim: {w} single_image_dim: {h} }}'
    (root / "projector_config.pbtxt").write_text(f"embeddings {{ {entry} }}\n")
    return only(root, "t")


def test_nan_and_inf_rows_are_excluded_with_their_metadata_and_thumbnails(tmp_path):
    vectors = np.arange(40, dtype=np.float64).reshape(10, 4)
    vectors[2, 1] = np.nan
    vectors[7, 0] = np.inf
    images = np.random.default_rng(5).integers(0, 256, size=(10, 2, 3), dtype=np.uint8)
    spec = tensor_logdir(tmp_path / "logdir", vectors, [f"p{i}" for i in range(10)], images)
    data = load_dataset(tmp_path / "logdir", spec)
    kept = [0, 1, 3, 4, 5, 6, 8, 9]
    np.testing.assert_array_equal(data.row_ids, kept)
    np.testing.assert_array_equal(data.vectors, vectors[kept])
    assert data.metadata["label"].tolist() == [f"p{i}" for i in kept]
    assert data.metadata.index.tolist() == list(range(8))
    assert np.array_equal(np.asarray(data.sprite.thumbnail(2).convert("L")), images[3])
    assert np.array_equal(np.asarray(data.sprite.thumbnail(6).convert("L")), images[8])
    (warning,) = data.warnings
    assert warning.startswith("2 of 10 rows of 't' hold NaN or infinite values and were left out (rows 2, 7")


def test_fewer_than_two_finite_rows_is_fatal(tmp_path):
    spec = tensor_logdir(tmp_path / "logdir", [[1.0, 2.0], [float("nan"), 1.0], [2.0, float("inf")]])
    with pytest.raises(TensorError, match="1 row.* without NaN or infinite values out of 3"):
        load_dataset(tmp_path / "logdir", spec)


def test_non_numeric_tensor_tsv_is_fatal_and_named_relative_to_the_logdir(tmp_path):
    spec = tensor_logdir(tmp_path / "logdir", [[1, 2], [3, 4]])
    (tmp_path / "logdir" / "tensors.tsv").write_text("1\t2\n3\tx\n")
    with pytest.raises(TensorError, match=r"^Tensor file tensors.tsv, line 2, column 2: 'x' is not a number"):
        load_dataset(tmp_path / "logdir", spec)


def test_metadata_and_sprite_problems_keep_the_vectors(tmp_path):
    images = np.zeros((3, 4, 4), dtype=np.uint8)  # a 2×2-cell sprite for a 5-point tensor
    vectors = np.eye(5, 3)
    spec = tensor_logdir(tmp_path / "logdir", vectors, [f"w{i}" for i in range(4)], images)
    data = load_dataset(tmp_path / "logdir", spec)
    np.testing.assert_array_equal(data.vectors, vectors)
    assert data.metadata.shape == (5, 0) and data.sprite is None
    metadata_warning, sprite_warning = data.warnings
    assert metadata_warning == (
        "Metadata left out: metadata.tsv has 4 rows but the tensor has 5 points; "
        "write exactly one metadata row per tensor row, in the same order."
    )
    assert sprite_warning.startswith("Thumbnails left out: Sprite sprite.png (8×8 px) holds 2×2 = 4 thumbnails")


def test_single_column_metadata_with_header_row_is_reported(tf2_copy):
    write_metadata(tf2_copy / "metadata.tsv", ["label"] + [f"w{i}" for i in range(30)])
    data = load_dataset(tf2_copy, only(tf2_copy, "embedding"))
    assert data.n == 30 and data.metadata.shape[1] == 0
    assert data.warnings[0].startswith(
        "Metadata left out: metadata.tsv: single-column metadata should not have a header row: 31 lines for 30 points"
    )


@pytest.mark.parametrize("how", ["dotdot", "symlink"])
def test_escaping_asset_paths_are_dropped_with_a_warning(tf2_copy, tmp_path, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tsv").write_text("".join(f"s{i}\n" for i in range(30)))
    spec = only(tf2_copy, "embedding")
    if how == "dotdot":
        spec = dataclasses.replace(spec, metadata_path=str(tf2_copy / ".." / "outside" / "secret.tsv"))
        shown = "../outside/secret.tsv is outside the logdir;"
    else:
        (tf2_copy / "link.tsv").symlink_to(outside / "secret.tsv")
        spec = dataclasses.replace(spec, metadata_path=str(tf2_copy / "link.tsv"))
        shown = "link.tsv resolves to ../outside/secret.tsv, outside the logdir;"
    data = load_dataset(tf2_copy, spec)
    assert data.metadata.shape[1] == 0 and data.n == 30
    assert data.warnings[0].startswith(f"Metadata left out: {shown}")
    assert str(tmp_path) not in data.warnings[0]  # no server path


def test_escaping_tensor_paths_are_refused(tmp_path):
    spec = tensor_logdir(tmp_path / "outside", [[1, 2], [3, 4]])
    root = tmp_path / "logdir"
    root.mkdir()
    (root / "linked.tsv").symlink_to(tmp_path / "outside" / "tensors.tsv")
    with pytest.raises(PathError, match="outside the logdir"):
        load_dataset(root, dataclasses.replace(spec, tensor_path=str(root / ".." / "outside" / "tensors.tsv")))
    with pytest.raises(PathError, match="linked.tsv resolves to"):
        load_dataset(root, dataclasses.replace(spec, tensor_path=str(root / "linked.tsv")))


def test_checkpoint_outside_the_logdir_is_refused(tf2_logdir, tmp_path):
    spec = only(tf2_logdir.path, "embedding")
    with pytest.raises(PathError, match="outside the logdir"):
        load_dataset(tmp_path, spec)


def test_non_matrix_variable_and_missing_checkpoint(tf2_copy):
    spec = only(tf2_copy, "embedding")
    with pytest.raises(TensorError, match=r"has shape \(3, 4, 5\); the projector needs a 2-D matrix N×D"):
        load_dataset(tf2_copy, dataclasses.replace(spec, tensor_key="cube/.ATTRIBUTES/VARIABLE_VALUE"))
    with pytest.raises(CheckpointError, match="embedding.ckpt-7 not found"):
        load_dataset(tf2_copy, dataclasses.replace(spec, checkpoint=str(tf2_copy / "embedding.ckpt-7")))


def test_npy_and_raw_tensor_paths(tmp_path):
    vectors = np.random.default_rng(4).normal(size=(6, 3)).astype(np.float32)
    np.save(tmp_path / "v.npy", vectors)
    vectors.astype("<f4").tofile(tmp_path / "v.bytes")
    (tmp_path / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "npy" tensor_path: "v.npy" }\n'
        'embeddings { tensor_name: "raw" tensor_path: "v.bytes" tensor_shape: [6, 3] }\n'
    )
    for name in ("npy", "raw"):
        np.testing.assert_array_equal(load_dataset(tmp_path, only(tmp_path, name)).vectors, vectors)


def test_dataset_from_arrays():
    vectors = np.array([[1, 2], [np.nan, 0], [3, 4]], dtype=np.float64)
    data = dataset_from_arrays(vectors, pd.DataFrame({"w": ["a", "b", "c"]}))
    np.testing.assert_array_equal(data.vectors, [[1, 2], [3, 4]])
    assert data.metadata["w"].tolist() == ["a", "c"] and len(data.warnings) == 1


def test_assets_outside_the_logdir_are_never_opened(tf2_copy, tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_metadata(outside / "secret.tsv", [f"s{i}" for i in range(30)])
    Image.fromarray(np.zeros((24, 30, 3), dtype=np.uint8)).save(outside / "sprite.png")
    spec = dataclasses.replace(
        only(tf2_copy, "embedding"),
        metadata_path=str(tf2_copy / ".." / "outside" / "secret.tsv"),
        sprite_path=str(outside / "sprite.png"),
    )
    forbid_reading(monkeypatch, outside)
    data = load_dataset(tf2_copy, spec, LRUCache({"dataset": 1, "variables": 1}))
    assert data.n == 30 and data.metadata.shape[1] == 0 and data.sprite is None
    metadata_warning, sprite_warning = data.warnings
    assert metadata_warning.startswith("Metadata left out: ../outside/secret.tsv is outside the logdir;")
    assert sprite_warning.startswith(f"Thumbnails left out: {outside / 'sprite.png'} is outside the logdir;")
