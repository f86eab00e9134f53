"""An embedding saved at several training steps is listed once, with its steps, and each step can be read."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from projector import checkpoints
from projector.errors import InputError
from projector.logdir import EmbeddingSpec, find_spec, list_embeddings
from projector.steps import step_spec
from projector.workspace import Workspace
from tests.conftest import copy_logdir
from tests.logdirs import (
    write_checkpoint_manager_logdir,
    write_tensorboardx_steps,
    write_tf1_saver_logdir,
)
from tests.test_logdir import forbid_reading

EMBEDDING = "embedding/.ATTRIBUTES/VARIABLE_VALUE"


def matrix(step: int, n: int = 6, d: int = 3) -> np.ndarray:
    """Vectors that tell their step: every value differs from one step to the next."""
    return (np.arange(n * d, dtype=np.float32).reshape(n, d) + 1) * (step + 1)


def by_name(listing) -> dict:
    return {spec.name: spec for spec in listing.specs}


def workspace(logdir, tmp_path) -> Workspace:
    return Workspace(logdir, cache_root=tmp_path / "cache")


# --- tensorboardX / torch.utils.tensorboard add_embedding -----------------------------------------------


@pytest.fixture(scope="module")
def tbx_steps(tmp_path_factory):
    """``features`` at steps 0, 5 and 10 (step 0 without metadata), ``logits`` at steps 0 and 10 (4×2)."""
    calls = []
    for step in (0, 5, 10):
        rows = None if step == 0 else [f"s{step}-{i}" for i in range(6)]
        calls.append(("features", step, matrix(step), rows))
        if step != 5:
            calls.append(("logits", step, matrix(step, 4, 2), None))
    return write_tensorboardx_steps(tmp_path_factory.mktemp("tbx-steps") / "logdir", calls)


def test_one_entry_per_tag_with_its_steps(tbx_steps):
    listing = list_embeddings(tbx_steps, ".")
    assert listing.problems == []
    assert [s.name for s in listing.specs] == ["features", "logits"]
    features, logits = listing.specs
    assert (features.steps, features.step) == ((0, 5, 10), 10)
    assert (logits.steps, logits.step) == ((0, 10), 10)
    # Its own files are the latest step's, so whatever opens the tensor without a step shows step 10.
    assert features.tensor_path == str(tbx_steps / "00010" / "features" / "tensors.tsv")
    assert features.metadata_path == str(tbx_steps / "00010" / "features" / "metadata.tsv")
    assert (features.tensor_shape, logits.tensor_shape) == ((6, 3), (4, 2))
    assert find_spec(tbx_steps, features.key) == features


def test_each_step_reads_its_own_vectors_and_metadata(tbx_steps, tmp_path):
    space = workspace(tbx_steps, tmp_path)
    key = ".::features"
    for step in (0, 5, 10):
        data = space.dataset(key, step=step)
        np.testing.assert_array_equal(data.vectors, matrix(step))
        assert (data.spec.key, data.spec.step) == (key, step)
    latest = space.dataset(key)
    np.testing.assert_array_equal(latest.vectors, matrix(10))
    assert space.dataset(key, step=10) is latest  # the latest step is the tensor itself: one cache entry
    assert space.dataset(key, step=5) is not space.dataset(key, step=0)
    assert space.dataset(key, step=5).metadata["label"].tolist() == [f"s5-{i}" for i in range(6)]
    # Step 0 was written without metadata: it has the latest step's.
    assert space.dataset(key, step=0).metadata["label"].tolist() == [f"s10-{i}" for i in range(6)]
    np.testing.assert_array_equal(space.dataset(".::logits", step=0).vectors, matrix(0, 4, 2))


def test_a_deleted_step_folder_drops_its_step(tbx_steps, tmp_path):
    root = copy_logdir(tbx_steps, tmp_path / "logdir")
    shutil.rmtree(root / "00005")
    listing = list_embeddings(root, ".")
    assert listing.problems == []
    assert by_name(listing)["features"].steps == (0, 10)
    shutil.rmtree(root / "00010")
    features = by_name(list_embeddings(root, "."))["features"]
    assert (features.steps, features.step) == ((0,), 0)
    np.testing.assert_array_equal(workspace(root, tmp_path).dataset(".::features").vectors, matrix(0))


def test_a_step_written_twice_is_the_last_call(tmp_path):
    root = write_tensorboardx_steps(
        tmp_path / "logdir", [("t", 3, matrix(1), None), ("t", 3, matrix(2), None), ("t", 4, matrix(4), None)]
    )
    (spec,) = list_embeddings(root, ".").specs
    assert spec.steps == (3, 4)
    np.testing.assert_array_equal(workspace(root, tmp_path).dataset(".::t", step=3).vectors, matrix(2))


def test_a_step_leading_out_of_the_logdir_is_left_out_with_a_problem(tbx_steps, tmp_path):
    root = copy_logdir(tbx_steps, tmp_path / "logdir")
    outside = copy_logdir(root / "00005", tmp_path / "outside")
    shutil.rmtree(root / "00005")
    (root / "00005").symlink_to(outside)
    listing = list_embeddings(root, ".")
    assert by_name(listing)["features"].steps == (0, 10)
    (problem,) = listing.problems
    assert problem.startswith("Step 5 of tensor 'features' is left out: its tensor_path 00005/features/tensors.tsv")


def test_a_step_not_there_is_an_input_error_naming_the_steps(tbx_steps, tmp_path):
    space = workspace(tbx_steps, tmp_path)
    with pytest.raises(InputError, match=r"^Tensor 'features' of run '\.' has no step 7; its steps are 0, 5, 10\."):
        space.dataset(".::features", step=7)
    long_run = EmbeddingSpec(run=".", name="t", steps=tuple(range(0, 2000, 10)))
    with pytest.raises(InputError, match=r"its steps are 0, 10, 20, 30, … 1960, 1970, 1980, 1990 \(200 steps\)\."):
        step_spec(long_run, 5)


def test_a_tensor_without_steps_says_so(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((3, 2), dtype=np.float32))
    (tmp_path / "projector_config.pbtxt").write_text('embeddings { tensor_name: "a" tensor_path: "a.npy" }\n')
    space = workspace(tmp_path, tmp_path)
    assert space.spec(".::a").steps == ()
    with pytest.raises(InputError, match="is not saved at numbered training steps, so it has no step 1"):
        space.dataset(".::a", step=1)
    key = space.add_upload("up.npy", _npy(np.ones((3, 2), np.float32)), session="s")
    with pytest.raises(InputError, match="has no step 0"):
        space.dataset(key, session="s", step=0)


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# --- TF2 tf.train.CheckpointManager ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def manager_logdir(tmp_path_factory):
    """``ckpt-1``..``ckpt-3`` of ``embedding`` (6×3, values by step); ``grown`` is 4×2 at 1, 5×2 later;
    ``late`` exists from ckpt-2 on."""
    steps = [
        {"embedding": matrix(1), "grown": np.ones((4, 2))},
        {"embedding": matrix(2), "grown": np.ones((5, 2)), "late": np.ones((3, 3))},
        {"embedding": matrix(3), "grown": np.ones((5, 2)), "late": np.ones((3, 3))},
    ]
    rows = [f"w{i}" for i in range(6)]
    return write_checkpoint_manager_logdir(tmp_path_factory.mktemp("manager") / "logdir", steps, metadata_rows=rows)


def test_checkpoint_manager_checkpoints_are_steps(manager_logdir, tmp_path):
    listing = list_embeddings(manager_logdir, ".")
    assert listing.problems == []
    specs = by_name(listing)
    embedding = specs["embedding"]
    assert (embedding.steps, embedding.step) == ((1, 2, 3), 3)
    assert embedding.checkpoint == str(manager_logdir / "ckpt-3")
    # A step counts for a variable only where it was saved with the same shape.
    assert specs["grown"].steps == (2, 3) and specs["late"].steps == (2, 3)
    space = workspace(manager_logdir, tmp_path)
    for step in (1, 2, 3):
        data = space.dataset(".::embedding", step=step)
        np.testing.assert_array_equal(data.vectors, matrix(step))
        assert data.metadata["label"].tolist() == [f"w{i}" for i in range(6)]  # the config's, at every step
    with pytest.raises(InputError, match=r"has no step 1; its steps are 2, 3\."):
        space.dataset(".::grown", step=1)


def test_a_removed_checkpoint_drops_its_step(manager_logdir, tmp_path):
    root = copy_logdir(manager_logdir, tmp_path / "logdir")
    for path in root.glob("ckpt-2.*"):
        path.unlink()  # still named in the state file: only what exists counts
    embedding = by_name(list_embeddings(root, "."))["embedding"]
    assert embedding.steps == (1, 3)
    with pytest.raises(InputError, match=r"no step 2; its steps are 1, 3\."):
        workspace(root, tmp_path).dataset(".::embedding", step=2)


def test_max_to_keep_leaves_the_kept_checkpoints(tmp_path):
    steps = [{"embedding": matrix(i)} for i in range(1, 5)]
    root = write_checkpoint_manager_logdir(tmp_path / "logdir", steps, max_to_keep=3)
    assert not (root / "ckpt-1.index").exists()
    assert by_name(list_embeddings(root, "."))["embedding"].steps == (2, 3, 4)


def test_a_checkpoint_outside_the_logdir_is_never_a_step(manager_logdir, tmp_path, monkeypatch):
    root = copy_logdir(manager_logdir, tmp_path / "logdir")
    outside = tmp_path / "outside"
    outside.mkdir()
    for shard in root.glob("ckpt-1.data-*"):  # its index is inside, its data is not
        shutil.move(shard, outside / shard.name)
        (root / shard.name).symlink_to(outside / shard.name)
    shutil.copy(root / "ckpt-2.index", outside / "ckpt-0.index")
    state = (root / "checkpoint").read_text()
    (root / "checkpoint").write_text(f'all_model_checkpoint_paths: "{outside / "ckpt-0"}"\n' + state)
    forbid_reading(monkeypatch, outside)
    assert by_name(list_embeddings(root, "."))["embedding"].steps == (2, 3)


def test_a_pinned_checkpoint_is_its_one_step(manager_logdir, tmp_path):
    root = copy_logdir(manager_logdir, tmp_path / "logdir")
    config = root / "projector_config.pbtxt"
    config.write_text('model_checkpoint_path: "ckpt-2"\n' + config.read_text())
    embedding = by_name(list_embeddings(root, "."))["embedding"]
    assert (embedding.steps, embedding.checkpoint) == ((2,), str(root / "ckpt-2"))


# --- TF1 Saver ------------------------------------------------------------------------------------------


def test_tf1_saver_kept_checkpoints_are_steps_even_moved(tmp_path):
    written = write_tf1_saver_logdir(
        tmp_path / "written", {100: matrix(1), 200: matrix(2), 300: matrix(3), 400: matrix(4)}, max_to_keep=3
    )
    assert not (written / "model.ckpt-100.index").exists()
    root = shutil.copytree(written, tmp_path / "moved")  # its state file names the old, absolute paths
    shutil.rmtree(written)
    (spec,) = list_embeddings(root, ".").specs
    assert (spec.name, spec.steps, spec.step) == ("word_embedding", (200, 300, 400), 400)
    assert spec.checkpoint == str(root / "model.ckpt-400")
    space = workspace(root, tmp_path)
    for step, value in ((200, 2), (300, 3), (400, 4)):
        np.testing.assert_array_equal(space.dataset(".::word_embedding", step=step).vectors, matrix(value))


# --- the step rule ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "step"),
    [("ckpt-3", 3), ("/x/model.ckpt-1000", 1000), ("/x-7/embedding.ckpt", None), ("ckpt", None), ("a-b", None)],
)
def test_step_number_is_the_number_after_the_last_dash(prefix, step):
    assert checkpoints.step_number(prefix) == step


def test_kept_checkpoints_are_the_state_files_that_still_exist(manager_logdir, tmp_path):
    root = copy_logdir(manager_logdir, tmp_path / "logdir")
    assert checkpoints.kept_checkpoints(root) == [os.fspath(root / f"ckpt-{i}") for i in (1, 2, 3)]
    for path in root.glob("ckpt-1.*"):
        path.unlink()
    assert checkpoints.kept_checkpoints(root, within=root) == [os.fspath(root / f"ckpt-{i}") for i in (2, 3)]
    assert checkpoints.kept_checkpoints(tmp_path) == []


def test_the_pca_of_each_step_has_the_axes_of_the_latest(tmp_path):
    """Between steps the two widest directions trade places: each step's first axis is still the latest's."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 3)) * np.array([1.0, 1.0, 0.1])
    spreads = {0: (2.0, 3.0), 10: (3.0, 2.0)}  # x widest at the last step, y at the first
    calls = [("t", step, (base * [sx, sy, 1.0]).astype(np.float32), None) for step, (sx, sy) in spreads.items()]
    space = workspace(write_tensorboardx_steps(tmp_path / "logdir", calls), tmp_path)
    key = list_embeddings(space.logdir, ".").specs[0].key
    latest, first = space.pca(space.dataset(key), None, False), space.pca(space.dataset(key, step=0), None, False)
    assert abs(np.corrcoef(latest.coords[:, 0], base[:, 0])[0, 1]) > 0.99  # the latest's first axis is x
    assert np.corrcoef(first.coords[:, 0], latest.coords[:, 0])[0, 1] > 0.99  # x first at step 0 too, unflipped
    assert first.explained_variance_ratio[0] < first.explained_variance_ratio[1]  # its variance goes with it
