"""Edit by: a session's values for selected points, laid over the tensor's metadata for that session only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.errors import InputError
from projector.tags import MAX_COLUMNS, add_tag, apply_tags, tags_digest
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
