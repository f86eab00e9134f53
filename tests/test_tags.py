"""Edit by: a session's values for selected points, laid over the tensor's metadata for that session only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.errors import InputError
from projector.tags import MAX_COLUMNS, add_tag, apply_tags, set_column, tags_digest
from projector.workspace import Workspace
from tests.logdirs import write_tf2_logdir


def test_add_tag_copies_and_overwrites():
    first = add_tag({}, "kind", np.array([1, 3]), "fruit")
    second = add_tag(first, " kind ", np.array([3, 4]), " veg ")
    assert first == {"kind": {1: "fruit", 3: "fruit"}}
    assert second == {"kind": {1: "fruit", 3: "veg", 4: "veg"}}
    assert tags_digest(first) != tags_digest(second)
    assert tags_digest(second) == tags_digest({"kind": {4: "veg", 3: "veg", 1: "fruit"}})


@pytest.mark.parametrize(
    ("column", "rows", "value", "message"),
    [
        ("", [1], "x", "Choose a metadata column"),
        ("kind", [], "x", "Select some points first"),
        ("a\tb", [1], "x", "tabs or line breaks"),
        ("kind", [1], "line\nbreak", "tabs or line breaks"),
        ("kind", [1], "v" * 1001, "at most 1,000"),
    ],
)
def test_add_tag_refuses_with_a_clear_message(column, rows, value, message):
    with pytest.raises(InputError, match=message):
        add_tag({}, column, np.array(rows, dtype=np.int64), value)


def test_a_bounded_number_of_columns():
    tags = {f"c{i}": {0: "x"} for i in range(MAX_COLUMNS)}
    with pytest.raises(InputError, match="At most"):
        add_tag(tags, "one more", np.array([0]), "x")
    assert add_tag(tags, "c0", np.array([1]), "y")["c0"] == {0: "x", 1: "y"}


def test_apply_tags_adds_new_columns_and_maps_tensor_rows():
    metadata = pd.DataFrame({"word": ["a", "b", "c"], "n": ["1", "2", "3"]}, dtype=object)
    row_ids = np.array([0, 2, 5])  # tensor rows 1, 3 and 4 were left out (NaN vectors)
    tagged = apply_tags(metadata, row_ids, {"kind": {2: "x", 3: "lost"}, "n": {5: "9"}})
    assert list(tagged.columns) == ["word", "n", "kind"]
    assert tagged["kind"].tolist() == ["", "x", ""]
    assert tagged["n"].tolist() == ["1", "2", "9"]
    assert metadata["n"].tolist() == ["1", "2", "3"]  # the original is untouched
    assert apply_tags(metadata, row_ids, {}) is metadata


def test_workspace_tags_belong_to_their_session(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    root = write_tf2_logdir(tmp_path / "logdir" / "run", vectors, metadata_rows=[f"w{i}" for i in range(6)])
    workspace = Workspace(root.parent, cache_root=tmp_path / "cache")
    key = workspace.listing("run").specs[0].key
    assert workspace.tag(key, "mood", np.array([0, 2]), "happy", session="alice") == 2
    workspace.tag(key, "label", np.array([1]), "renamed", session="alice")
    seen = workspace.dataset(key, session="alice").metadata
    assert seen["mood"].tolist() == ["happy", "", "happy", "", "", ""]
    assert seen["label"].tolist()[:3] == ["w0", "renamed", "w2"]
    others = workspace.dataset(key, session="bob").metadata
    assert "mood" not in others.columns and others["label"].tolist()[1] == "w1"
    with pytest.raises(InputError, match="another view"):
        workspace.tag(key, "mood", np.array([6]), "x", session="alice")
    with pytest.raises(InputError, match="no session"):
        workspace.tag(key, "mood", np.array([0]), "x", session="")


def test_set_column_replaces_the_whole_column_and_checks_its_values():
    tags = {"cluster": {0: "1 · a", 9: "2 · b"}, "kind": {1: "x"}}
    updated = set_column(tags, "cluster", np.array([3, 4]), np.array(["1 · c", "noise"], dtype=object))
    assert updated == {"kind": {1: "x"}, "cluster": {3: "1 · c", 4: "noise"}}
    assert tags["cluster"] == {0: "1 · a", 9: "2 · b"}  # the original is untouched
    with pytest.raises(InputError, match="2 values were given for 1 points"):
        set_column({}, "cluster", np.array([0]), np.array(["a", "b"], dtype=object))
    with pytest.raises(InputError, match="tabs or line breaks"):
        set_column({}, "cluster", np.array([0]), np.array(["a\tb"], dtype=object))
    full = {f"c{i}": {0: "x"} for i in range(MAX_COLUMNS)}
    with pytest.raises(InputError, match="At most"):
        set_column(full, "cluster", np.array([0]), np.array(["a"], dtype=object))
    assert set_column(full, "c0", np.array([1]), np.array(["y"], dtype=object))["c0"] == {1: "y"}


def test_workspace_set_column_leaves_other_points_empty_for_its_session_only(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    root = write_tf2_logdir(tmp_path / "logdir" / "run", vectors, metadata_rows=[f"w{i}" for i in range(6)])
    workspace = Workspace(root.parent, cache_root=tmp_path / "cache")
    key = workspace.listing("run").specs[0].key
    everyone = np.array(["1 · a", "1 · a", "2 · b", "2 · b", "noise", "1 · a"], dtype=object)
    assert workspace.set_column(key, "cluster", np.arange(6), everyone, session="alice") == 6
    subset = np.array(["1 · c", "noise"], dtype=object)
    assert workspace.set_column(key, "cluster", np.array([1, 4]), subset, session="alice") == 2
    assert workspace.dataset(key, session="alice").metadata["cluster"].tolist() == ["", "1 · c", "", "", "noise", ""]
    assert "cluster" not in workspace.dataset(key, session="bob").metadata.columns
    with pytest.raises(InputError, match="another view"):
        workspace.set_column(key, "cluster", np.array([6]), np.array(["x"], dtype=object), session="alice")
