from __future__ import annotations

import builtins
import os
import re
import shutil

import numpy as np
import pytest

from projector import checkpoints
from projector.cache import LRUCache
from projector.errors import ConfigError, PathError
from projector.logdir import (
    EmbeddingSpec,
    confine,
    find_runs,
    find_spec,
    list_embeddings,
    run_name,
)
from tests.conftest import copy_logdir

EMBEDDING_KEY = "embedding/.ATTRIBUTES/VARIABLE_VALUE"


def names(listing) -> list[str]:
    return [spec.name for spec in listing.specs]


# --- runs ---------------------------------------------------------------------------------


def test_find_runs_over_a_mixed_logdir(tf2_logdir, tf1_logdir, tbx_logdir, tmp_path):
    root = copy_logdir(tf2_logdir.path, tmp_path / "logdir")
    copy_logdir(tf1_logdir.path, root / "tf1")
    copy_logdir(tbx_logdir.path, root / "pytorch" / "exp1")
    copy_logdir(tf1_logdir.path, root / ".hidden")
    copy_logdir(tf1_logdir.path, root / "a" / "b" / "c" / "d" / "e" / "f" / "too-deep")
    plugin_run = root / "keras" / "plugins" / "org_tensorflow_tensorboard_projector"
    plugin_run.mkdir(parents=True)
    (plugin_run / "projector_config.pbtxt").write_text("")
    (root / "only-events").mkdir()
    (root / "only-events" / "events.out.tfevents.1").write_bytes(b"")

    # The tensorboardX step folders (00000/features/) hold tensors but are not runs.
    assert find_runs(root) == [".", "keras", "pytorch/exp1", "tf1"]


def test_find_runs_of_a_missing_logdir(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        find_runs(tmp_path / "nope")


# --- listing: TensorFlow --------------------------------------------------------------------


def test_tf2_listing_merges_config_and_checkpoint(tf2_logdir):
    listing = list_embeddings(tf2_logdir.path, ".")
    assert listing.problems == []
    assert names(listing) == ["embedding", "projection"]  # bias (1-D) and cube (3-D) are not embeddings
    embedding, projection = listing.specs
    assert embedding == EmbeddingSpec(
        run=".",
        name="embedding",
        checkpoint=str(tf2_logdir.path / "embedding.ckpt-1"),
        tensor_key=EMBEDDING_KEY,
        tensor_path=None,
        tensor_shape=(30, 6),
        metadata_path=str(tf2_logdir.path / "metadata.tsv"),
        sprite_path=str(tf2_logdir.path / "sprite.png"),
        sprite_dim=(5, 4),
        bookmarks_path=None,
        steps=(1,),  # the one checkpoint the state file keeps, ckpt-1
        step=1,
    )
    assert projection.tensor_shape == (7, 3) and projection.metadata_path is None
    assert embedding.key != projection.key and embedding.key.endswith("embedding")


def test_tf1_listing_excludes_optimizer_slots_and_matches_colon_zero(tf1_logdir):
    listing = list_embeddings(tf1_logdir.path, ".")
    assert listing.problems == []
    (spec,) = listing.specs
    assert (spec.name, spec.tensor_key, spec.tensor_shape) == ("word_embedding", "word_embedding", (12, 4))
    assert spec.metadata_path == str(tf1_logdir.path / "metadata.tsv")


def write_config(directory, text: str) -> None:
    (directory / "projector_config.pbtxt").write_text(text)


def test_malformed_config_is_a_problem_and_listing_goes_on(tf2_copy):
    write_config(tf2_copy, 'embeddings { tensor_name: "embedding/.ATTRIBUTES/VARIABLE_VALUE" metadata_path: ')
    listing = list_embeddings(tf2_copy, ".")
    assert names(listing) == ["embedding", "projection"]
    assert listing.specs[0].metadata_path is None
    (problem,) = listing.problems
    assert problem.startswith("projector_config.pbtxt cannot be parsed (")
    assert "is still listed" in problem


@pytest.mark.parametrize(
    ("tensor_name", "expected"),
    [
        ("cube/.ATTRIBUTES/VARIABLE_VALUE", r"has shape \(3, 4, 5\); the projector needs a 2-D matrix N×D"),
        ("bias", r"has shape \(6,\); the projector needs a 2-D matrix N×D"),
        ("nothing_like_it", r"names tensor 'nothing_like_it', which checkpoint embedding.ckpt-1 does not hold"),
    ],
)
def test_config_naming_unusable_variables(tf2_copy, tensor_name, expected):
    write_config(tf2_copy, f'embeddings {{ tensor_name: "{tensor_name}" }}')
    listing = list_embeddings(tf2_copy, ".")
    assert names(listing) == ["embedding", "projection"]
    (problem,) = listing.problems
    assert re.search(expected, problem), problem


def test_named_checkpoint_missing_is_a_problem(tf2_copy):
    np.save(tf2_copy / "extra.npy", np.ones((4, 2), dtype=np.float32))
    write_config(tf2_copy, 'model_checkpoint_path: "gone/ckpt-9"\nembeddings { tensor_path: "extra.npy" }')
    listing = list_embeddings(tf2_copy, ".")
    assert names(listing) == ["extra.npy"]
    assert listing.specs[0].tensor_shape == (4, 2)
    (problem,) = listing.problems
    assert "Checkpoint gone/ckpt-9 not found" in problem


def test_unreadable_checkpoint_is_a_problem(tf2_copy):
    (tf2_copy / "embedding.ckpt-1.index").write_bytes(b"\x00" * 64)
    listing = list_embeddings(tf2_copy, ".")
    assert listing.specs == []
    assert any("Checkpoint embedding.ckpt-1 cannot be read" in p for p in listing.problems), listing.problems


def test_latest_versus_named_checkpoint_and_new_checkpoints_appear(tf2_copy, tf):
    first = list_embeddings(tf2_copy, ".")
    assert names(first) == ["embedding", "projection"]
    checkpoint = tf.train.Checkpoint(
        embedding=tf.Variable(np.ones((9, 2), np.float32)), fresh=tf.Variable(np.zeros((5, 5), np.float32))
    )
    checkpoint.write(os.fspath(tf2_copy / "embedding.ckpt-2"))
    # Written, but the 'checkpoint' state file still names ckpt-1.
    assert names(list_embeddings(tf2_copy, ".")) == ["embedding", "projection"]
    (tf2_copy / "checkpoint").write_text('model_checkpoint_path: "embedding.ckpt-2"\n')
    latest = list_embeddings(tf2_copy, ".")
    assert names(latest) == ["embedding", "fresh"]
    assert latest.specs[0].checkpoint == str(tf2_copy / "embedding.ckpt-2")
    assert latest.specs[0].tensor_shape == (9, 2)
    assert latest.specs[0].metadata_path == str(tf2_copy / "metadata.tsv")

    config = (tf2_copy / "projector_config.pbtxt").read_text()
    write_config(tf2_copy, 'model_checkpoint_path: "embedding.ckpt-1"\n' + config)
    named = list_embeddings(tf2_copy, ".")
    assert names(named) == ["embedding", "projection"]
    assert named.specs[0].checkpoint == str(tf2_copy / "embedding.ckpt-1")


def test_config_in_the_plugin_directory_belongs_to_the_run(tf2_copy, tmp_path):
    run = tf2_copy.parent / "plugin-run"
    run.mkdir()
    for f in tf2_copy.glob("embedding.ckpt-1*"):
        shutil.copy(f, run)
    shutil.copy(tf2_copy / "checkpoint", run)
    plugin = run / "plugins" / "org_tensorflow_tensorboard_projector"
    plugin.mkdir(parents=True)
    shutil.copy(tf2_copy / "metadata.tsv", plugin)
    write_config(plugin, f'embeddings {{ tensor_name: "{EMBEDDING_KEY}" metadata_path: "metadata.tsv" }}')
    assert "plugin-run" in find_runs(tf2_copy.parent)
    spec = list_embeddings(tf2_copy.parent, "plugin-run").specs[0]
    assert spec.name == "embedding" and spec.metadata_path == str(plugin / "metadata.tsv")


def test_entry_without_tensor_name_gives_its_metadata_to_every_variable(tf2_copy):
    write_config(tf2_copy, 'embeddings { metadata_path: "metadata.tsv" }')
    listing = list_embeddings(tf2_copy, ".")
    assert [s.metadata_path for s in listing.specs] == [str(tf2_copy / "metadata.tsv")] * 2


def test_tensorboardx_layout(tbx_logdir):
    assert find_runs(tbx_logdir.path) == ["."]
    listing = list_embeddings(tbx_logdir.path, ".")
    assert listing.problems == []
    # One tensor per tag, its steps listed; its own files are the latest step's (tests/test_steps.py reads each).
    assert names(listing) == ["features"]
    (spec,) = listing.specs
    assert (spec.steps, spec.step) == ((0, 10), 10)
    folder = tbx_logdir.path / "00010" / "features"
    assert spec.tensor_path == str(folder / "tensors.tsv") and spec.checkpoint is None
    assert spec.tensor_shape == (16, 3)
    assert spec.metadata_path == str(folder / "metadata.tsv")
    assert spec.sprite_path == str(folder / "sprite.png") and spec.sprite_dim == (6, 6)


def test_npy_and_raw_tensor_paths_and_unique_names(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((3, 2), dtype=np.float32))
    np.ones((4, 5), dtype="<f4").tofile(tmp_path / "b.bytes")
    write_config(
        tmp_path,
        'embeddings { tensor_name: "t" tensor_path: "a.npy" }\n'
        'embeddings { tensor_name: "t" tensor_path: "b.bytes" tensor_shape: 4 tensor_shape: 5 }\n'
        'embeddings { tensor_path: "missing.tsv" }\n',
    )
    listing = list_embeddings(tmp_path, ".")
    assert names(listing) == ["t", "t (2)", "missing.tsv"]
    assert [s.tensor_shape for s in listing.specs] == [(3, 2), (4, 5), None]
    assert len({s.key for s in listing.specs}) == 3
    (problem,) = listing.problems
    assert "Tensor file missing.tsv" in problem and "not found" in problem


def test_listing_is_cached(tf2_logdir, monkeypatch):
    cache = LRUCache({"config": 4, "shape": 4, "variables": 4})
    first = list_embeddings(tf2_logdir.path, ".", cache)

    def no_tensorflow():
        raise AssertionError("a repeated listing must not read the checkpoint again")

    monkeypatch.setattr(checkpoints, "_tf", no_tensorflow)
    assert list_embeddings(tf2_logdir.path, ".", cache) == first


def test_find_spec(tf2_logdir):
    spec = list_embeddings(tf2_logdir.path, ".").specs[1]
    assert find_spec(tf2_logdir.path, spec.key) == spec
    with pytest.raises(ConfigError, match="no longer in the logdir"):
        find_spec(tf2_logdir.path, ".::vanished")


# --- confinement ------------------------------------------------------------------------------


def test_confine(tmp_path):
    root = tmp_path / "logdir"
    (root / "run").mkdir(parents=True)
    (root / "run" / "m.tsv").write_text("x\n")
    (tmp_path / "secret.tsv").write_text("x\n")
    (root / "run" / "inside-link.tsv").symlink_to(root / "run" / "m.tsv")
    (root / "run" / "outside-link.tsv").symlink_to(tmp_path / "secret.tsv")

    assert confine(root, "run/m.tsv") == (root / "run" / "m.tsv").resolve()
    assert confine(root, root / "run" / "inside-link.tsv") == (root / "run" / "m.tsv").resolve()
    with pytest.raises(PathError, match=r"^\.\./secret.tsv is outside the logdir;") as refused:
        confine(root, "run/../../secret.tsv")
    assert str(tmp_path) not in str(refused.value)
    with pytest.raises(PathError, match=r"^run/outside-link.tsv resolves to \.\./secret.tsv, outside the logdir;"):
        confine(root, root / "run" / "outside-link.tsv")
    with pytest.raises(PathError, match=f"^{re.escape(str(tmp_path / 'secret.tsv'))} is outside the logdir;"):
        confine(root, tmp_path / "secret.tsv")  # written absolute: shown as written
    with pytest.raises(PathError):
        list_embeddings(root, "../")


def test_run_without_embeddings_says_so(tf, tmp_path):
    tf.train.Checkpoint(bias=tf.Variable(np.zeros(3, np.float32))).save(os.fspath(tmp_path / "ckpt"))
    assert find_runs(tmp_path) == ["."]
    listing = list_embeddings(tmp_path, ".")
    assert listing.specs == []
    (problem,) = listing.problems
    assert problem.startswith("Run '.' holds no embedding")


# --- nothing outside the logdir is opened -----------------------------------------------------------


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """``tmp_path/outside`` holding a 123×7 ``secret.tsv``; opening, stat-ing or loading anything there fails."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.tsv").write_text("".join("\t".join(["1.5"] * 7) + "\n" for _ in range(123)))
    forbid_reading(monkeypatch, directory)
    return directory


def forbid_reading(monkeypatch, directory) -> None:
    """Make open, stat (symlinks followed) and np.load fail on anything that resolves into ``directory``."""
    real_root = os.path.realpath(directory)

    def check(path) -> None:
        if isinstance(path, (str, os.PathLike)) and os.path.realpath(path).startswith(real_root):
            raise AssertionError(f"{path} was opened, outside the logdir")

    def guarded(function, follows=lambda kwargs: True):
        def wrapper(path, *args, **kwargs):
            if follows(kwargs):
                check(path)
            return function(path, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", guarded(builtins.open))
    monkeypatch.setattr(os, "stat", guarded(os.stat, lambda kwargs: kwargs.get("follow_symlinks", True)))
    monkeypatch.setattr(np, "load", guarded(np.load))


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_tensor_path_outside_the_logdir_is_never_opened_nor_shown_with_a_shape(tmp_path, outside, how):
    root = tmp_path / "logdir"
    root.mkdir()
    np.save(root / "inside.npy", np.ones((3, 2), dtype=np.float32))
    written = {"dotdot": "../outside/secret.tsv", "absolute": str(outside / "secret.tsv"), "symlink": "link.tsv"}[how]
    if how == "symlink":
        (root / "link.tsv").symlink_to(outside / "secret.tsv")
    write_config(
        root,
        'embeddings { tensor_name: "inside" tensor_path: "inside.npy" }\n'
        f'embeddings {{ tensor_name: "secret" tensor_path: "{written}" }}\n',
    )
    listing = list_embeddings(root, ".")
    assert names(listing) == ["inside"] and listing.specs[0].label == "inside (3×2)"
    (problem,) = listing.problems
    where = {
        "dotdot": "../outside/secret.tsv is outside the logdir",
        "absolute": f"{outside / 'secret.tsv'} is outside the logdir",  # an absolute path: as written
        "symlink": "link.tsv resolves to ../outside/secret.tsv, outside the logdir",
    }[how]
    assert problem.startswith(f"Tensor 'secret' is left out: its tensor_path {where}; the projector reads only files")
    assert "123" not in problem
    if how != "absolute":
        assert str(tmp_path) not in problem  # logdir-relative, never the server's paths
    with pytest.raises(ConfigError, match=r"^Tensor '\.::secret' is no longer in the logdir;"):
        find_spec(root, ".::secret")


def test_a_config_or_checkpoint_leading_out_of_the_logdir_is_not_read(tf2_logdir, tmp_path, monkeypatch):
    named = tmp_path / "named"
    named.mkdir()
    write_config(named, f'model_checkpoint_path: "{tf2_logdir.path / "embedding.ckpt-1"}"\n')
    linked = tmp_path / "linked"
    (linked / "run").mkdir(parents=True)
    (linked / "run" / "projector_config.pbtxt").symlink_to(tf2_logdir.path / "projector_config.pbtxt")
    for source in tf2_logdir.path.glob("embedding.ckpt-1*"):
        (linked / "run" / source.name).symlink_to(source)
    forbid_reading(monkeypatch, tf2_logdir.path)
    monkeypatch.setattr(checkpoints, "_tf", lambda: pytest.fail("TensorFlow was started"))

    problem, *_ = list_embeddings(named, ".").problems
    written = tf2_logdir.path / "embedding.ckpt-1"
    assert problem.startswith(f"The checkpoint is not read: model_checkpoint_path {written} is outside the logdir;")
    assert find_runs(linked) == ["run"]
    listing = list_embeddings(linked, "run")
    assert listing.specs == []
    assert listing.problems[0].startswith(
        "The projector config is not read: run/projector_config.pbtxt resolves to ../"
    )
    assert all(str(tmp_path) not in p for p in listing.problems), listing.problems


def test_messages_name_paths_relative_to_the_logdir(tmp_path):
    root = tmp_path / "logdir"
    (root / "run").mkdir(parents=True)
    write_config(root / "run", 'embeddings { tensor_name: "t" tensor_path: "../data/missing.tsv" }\n')
    (problem,) = list_embeddings(root, "run").problems
    assert problem.startswith("Tensor file data/missing.tsv (tensor 't') not found")
    with pytest.raises(ConfigError) as gone:
        find_spec(root, "run::nope")
    (root / "file").write_text("")
    with pytest.raises(ConfigError) as not_a_run:
        list_embeddings(root, "file")
    for error in (gone.value, not_a_run.value):
        assert str(tmp_path) not in str(error)


# --- one spelling per run ----------------------------------------------------------------------------


def tsv_run(directory, name: str = "t") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.tsv").write_text("".join(f"{i}\t{i % 3}\n" for i in range(5)))
    write_config(directory, f'embeddings {{ tensor_name: "{name}" tensor_path: "{name}.tsv" }}\n')


@pytest.fixture
def runs_logdir(tmp_path):
    """Runs the walk lists, and directories it leaves out: hidden, plugin data, too deep, linked, not runs."""
    root = tmp_path / "logdir"
    tsv_run(root)
    tsv_run(root / "run")
    tsv_run(root / "a" / "b")
    (root / "ckpt").mkdir()
    (root / "ckpt" / "model.ckpt-1.index").write_bytes(b"")
    (root / "state").mkdir()
    (root / "state" / "checkpoint").write_text("")
    tsv_run(root / "keras" / "plugins" / "org_tensorflow_tensorboard_projector")
    tsv_run(root / ".hidden")
    tsv_run(root / "run" / "plugins" / "other")
    tsv_run(root / "1" / "2" / "3" / "4" / "5" / "6")  # at the deepest level walked
    tsv_run(root / "1" / "2" / "3" / "4" / "5" / "6" / "7")  # below it
    (root / "only-events").mkdir()
    (root / "only-events" / "events.out.tfevents.1").write_bytes(b"")
    (root / "linked").symlink_to(root / "run")  # the walk does not follow links
    (root / "dir-named-config" / CONFIG).mkdir(parents=True)  # a directory, not a config file
    (root / "file").write_text("")
    return root


CONFIG = "projector_config.pbtxt"


def test_run_name_accepts_exactly_what_find_runs_lists(runs_logdir):
    listed = find_runs(runs_logdir)
    assert listed == [".", "1/2/3/4/5/6", "a/b", "ckpt", "keras", "run", "state"]
    candidates = {"."} | {
        os.path.relpath(os.path.join(d, n), runs_logdir)
        for d, dirnames, filenames in os.walk(runs_logdir, followlinks=True)
        for n in dirnames + filenames
    }
    for candidate in sorted(candidates):
        if candidate in listed:
            assert run_name(runs_logdir, candidate) == candidate
        else:
            with pytest.raises(ConfigError, match="is not one of the logdir's runs; pick a run from the list"):
                run_name(runs_logdir, candidate)


@pytest.mark.parametrize(
    ("alias", "run"),
    [
        ("./run", "run"),
        ("run/.", "run"),
        ("run/./.", "run"),
        ("run//", "run"),
        ("./a/./b/", "a/b"),
        ("", "."),
        ("./", "."),
        ("././.", "."),
        ("a/../run", "run"),
    ],
)
def test_every_spelling_of_a_run_is_the_run_lists(runs_logdir, alias, run):
    assert run_name(runs_logdir, alias) == run
    listing = list_embeddings(runs_logdir, alias)
    assert [s.key for s in listing.specs] == [f"{run}::t"]
    spec = find_spec(runs_logdir, f"{alias}::t")
    assert spec == find_spec(runs_logdir, f"{run}::t") and spec.run == run and spec.key == f"{run}::t"


def test_aliases_share_one_dataset(runs_logdir, tmp_path):
    from projector.workspace import Workspace

    workspace = Workspace(runs_logdir, cache_root=tmp_path / "cache")
    first = workspace.dataset("run::t")
    for alias in ("./run::t", "run/.::t", "run/./.::t"):
        assert workspace.dataset(alias) is first  # one cache entry, read and hashed once


@pytest.mark.parametrize(
    "run", ["only-events", "a", "linked", ".hidden", "keras/plugins", "run/plugins/other", "file", "nope", "a\0b"]
)
def test_a_run_the_list_does_not_offer_is_refused(runs_logdir, run):
    with pytest.raises(ConfigError, match="is not one of the logdir's runs"):
        list_embeddings(runs_logdir, run)
    with pytest.raises(ConfigError, match=r"is no longer in the logdir; pick another run or tensor\.$"):
        find_spec(runs_logdir, f"{run}::t")


def test_a_run_outside_the_logdir_is_a_path_error_and_long_names_are_cut(runs_logdir, tmp_path):
    tsv_run(tmp_path / "outside")
    for run in ("../outside", str(tmp_path / "outside"), "../logdir/../outside"):
        with pytest.raises(PathError, match="outside the logdir"):
            list_embeddings(runs_logdir, run)
        with pytest.raises(ConfigError, match="is no longer in the logdir"):
            find_spec(runs_logdir, f"{run}::t")
    with pytest.raises(ConfigError) as refused:
        find_spec(runs_logdir, "x" * 100_000 + "::t")
    assert len(str(refused.value)) < 200
