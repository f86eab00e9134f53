from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from projector import checkpoints
from projector.cache import LRUCache
from projector.errors import CheckpointError, TensorError
from tests.test_logdir import forbid_reading


def test_readable_name():
    assert checkpoints.readable_name("embedding/.ATTRIBUTES/VARIABLE_VALUE") == "embedding"
    assert checkpoints.readable_name("model/layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE") == (
        "model/layer_with_weights-0/embeddings"
    )
    assert checkpoints.readable_name("word_embedding:0") == "word_embedding"
    assert checkpoints.readable_name("features:00000") == "features:00000"


@pytest.mark.parametrize(
    "key",
    [
        "embedding/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_variables/2/.ATTRIBUTES/VARIABLE_VALUE",
        "word_embedding/Adam",
        "word_embedding/Adam_1",
        "dense/kernel/Momentum",
        "dense/kernel/RMSProp_1",
        "emb/Adagrad",
        "beta1_power",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
        "_CHECKPOINTABLE_OBJECT_GRAPH",
    ],
)
def test_optimizer_slots_and_bookkeeping_are_recognised(key):
    assert checkpoints.is_optimizer_slot(key)


@pytest.mark.parametrize("key", ["embedding/.ATTRIBUTES/VARIABLE_VALUE", "word_embedding", "Adam", "adam_layer/w"])
def test_model_variables_are_not_slots(key):
    assert not checkpoints.is_optimizer_slot(key)


def test_tf2_optimizer_under_any_attribute_name_is_recognised():
    keys = {
        "opt/_iterations/.ATTRIBUTES/VARIABLE_VALUE",
        "opt/_variables/1/.ATTRIBUTES/VARIABLE_VALUE",
        "embedding/.ATTRIBUTES/VARIABLE_VALUE",
    }
    owners = checkpoints.optimizer_owners(keys)
    assert owners == {"opt"}
    assert checkpoints.is_optimizer_slot("opt/_variables/1/.ATTRIBUTES/VARIABLE_VALUE", owners)
    assert not checkpoints.is_optimizer_slot("embedding/.ATTRIBUTES/VARIABLE_VALUE", owners)


def test_latest_checkpoint_tf2(tf2_logdir):
    assert checkpoints.latest_checkpoint(tf2_logdir.path) == str(tf2_logdir.path / "embedding.ckpt-1")


def test_latest_checkpoint_follows_a_moved_tf1_logdir(tf1_logdir, tmp_path):
    # TF1 Savers write absolute paths into the 'checkpoint' file; a copied logdir still works.
    moved = shutil.copytree(tf1_logdir.path, tmp_path / "moved")
    assert str(tf1_logdir.path) in (moved / "checkpoint").read_text()
    assert checkpoints.latest_checkpoint(moved) == str(moved / "model.ckpt-1")


def test_latest_checkpoint_without_state_file_takes_newest_index(tf2_logdir, tmp_path):
    copy = shutil.copytree(tf2_logdir.path, tmp_path / "copy")
    (copy / "checkpoint").unlink()
    assert checkpoints.latest_checkpoint(copy) == str(copy / "embedding.ckpt-1")
    assert checkpoints.latest_checkpoint(tmp_path) is None


def test_resolve_checkpoint_forms(tf2_logdir):
    prefix = str(tf2_logdir.path / "embedding.ckpt-1")
    assert checkpoints.resolve_checkpoint("embedding.ckpt-1", tf2_logdir.path) == prefix
    assert checkpoints.resolve_checkpoint(prefix + ".index") == prefix
    assert checkpoints.resolve_checkpoint(tf2_logdir.path) == prefix


def test_resolve_missing_checkpoint_names_it(tf2_logdir, tmp_path):
    with pytest.raises(CheckpointError, match=r"ckpt-9 not found.*ckpt-9\.index"):
        checkpoints.resolve_checkpoint("ckpt-9", tf2_logdir.path, name="run/ckpt-9")
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        checkpoints.resolve_checkpoint(tmp_path)


def test_embedding_variables_tf2(tf2_logdir):
    found = checkpoints.embedding_variables(str(tf2_logdir.path / "embedding.ckpt-1"))
    assert found == {
        "embedding/.ATTRIBUTES/VARIABLE_VALUE": (30, 6),
        "projection/.ATTRIBUTES/VARIABLE_VALUE": (7, 3),
    }


def test_embedding_variables_tf1_excludes_adam_slots(tf1_logdir):
    prefix = str(tf1_logdir.path / "model.ckpt-1")
    everything = checkpoints.list_variables(prefix)
    assert {"word_embedding/Adam", "word_embedding/Adam_1", "beta1_power", "global_step"} <= set(everything)
    assert checkpoints.embedding_variables(prefix) == {"word_embedding": (12, 4)}


def test_read_variable_returns_what_was_saved(tf2_logdir, tf1_logdir):
    got = checkpoints.read_variable(str(tf2_logdir.path / "embedding.ckpt-1"), "embedding/.ATTRIBUTES/VARIABLE_VALUE")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, tf2_logdir.vectors)
    np.testing.assert_array_equal(
        checkpoints.read_variable(str(tf1_logdir.path / "model.ckpt-1"), "word_embedding"), tf1_logdir.vectors
    )


@pytest.mark.parametrize(
    ("key", "shape"),
    [("cube/.ATTRIBUTES/VARIABLE_VALUE", r"\(3, 4, 5\)"), ("bias/.ATTRIBUTES/VARIABLE_VALUE", r"\(6,\)")],
)
def test_read_variable_refuses_non_matrices(tf2_logdir, key, shape):
    with pytest.raises(TensorError, match=shape + r"; the projector needs a 2-D matrix N×D"):
        checkpoints.read_variable(str(tf2_logdir.path / "embedding.ckpt-1"), key)


def test_read_unknown_variable_lists_the_available_ones(tf2_logdir):
    with pytest.raises(CheckpointError, match=r"no variable 'nope'.*embedding, projection"):
        checkpoints.read_variable(str(tf2_logdir.path / "embedding.ckpt-1"), "nope", name="embedding.ckpt-1")


def test_missing_and_corrupt_checkpoints_raise_checkpoint_error(tf2_logdir, tmp_path):
    with pytest.raises(CheckpointError, match="ckpt-404 not found"):
        checkpoints.list_variables(str(tmp_path / "ckpt-404"), name="ckpt-404")
    copy = shutil.copytree(tf2_logdir.path, tmp_path / "copy")
    index = copy / "embedding.ckpt-1.index"
    index.write_bytes(b"garbage, not a table" * 3)
    with pytest.raises(CheckpointError, match="run/embedding.ckpt-1 cannot be read"):
        checkpoints.list_variables(str(copy / "embedding.ckpt-1"), name="run/embedding.ckpt-1")


def test_variable_listing_is_cached_by_index_mtime(tf2_logdir, tmp_path, monkeypatch):
    copy = shutil.copytree(tf2_logdir.path, tmp_path / "copy")
    prefix = str(copy / "embedding.ckpt-1")
    cache = LRUCache({"variables": 4})
    first = checkpoints.list_variables(prefix, cache=cache)

    def no_tensorflow():
        raise AssertionError("TensorFlow should not be needed for a cached listing")

    monkeypatch.setattr(checkpoints, "_tf", no_tensorflow)
    assert checkpoints.list_variables(prefix, cache=cache) == first
    with pytest.raises(AssertionError):
        checkpoints.list_variables(prefix)  # no cache: read every time
    os.utime(prefix + ".index", ns=(1, 1))
    with pytest.raises(AssertionError):
        checkpoints.list_variables(prefix, cache=cache)


def test_messages_show_the_checkpoint_by_its_given_name_not_the_server_path(tf2_logdir, tmp_path):
    copy = shutil.copytree(tf2_logdir.path, tmp_path / "copy")
    for shard in copy.glob("embedding.ckpt-1.data-*"):
        shard.unlink()  # TensorFlow's message then names the shard by its absolute path
    with pytest.raises(CheckpointError) as refused:
        key = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
        checkpoints.read_variable(str(copy / "embedding.ckpt-1"), key, name="run/embedding.ckpt-1")
    assert "(run/embedding.ckpt-1.data-00000-of-00001; No such file or directory)" in str(refused.value)
    with pytest.raises(CheckpointError) as refused:
        checkpoints.resolve_checkpoint(str(copy / "ckpt-404"), name="run/ckpt-404")
    assert str(tmp_path) not in str(refused.value)


def test_files_outside_within_are_never_opened(tf2_logdir, tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    for source in tf2_logdir.path.iterdir():
        if source.name.startswith("embedding.ckpt-1") or source.name == "checkpoint":
            (run / source.name).symlink_to(source)
    assert checkpoints.latest_checkpoint(run) == str(run / "embedding.ckpt-1")
    forbid_reading(monkeypatch, tf2_logdir.path)
    assert checkpoints.latest_checkpoint(run, within=tmp_path) is None
    with pytest.raises(CheckpointError, match="run holds no checkpoint"):
        checkpoints.resolve_checkpoint(run, name="run", within=tmp_path)
    with pytest.raises(CheckpointError, match="embedding.ckpt-1 not found"):
        checkpoints.resolve_checkpoint(run / "embedding.ckpt-1", name="embedding.ckpt-1", within=tmp_path)
