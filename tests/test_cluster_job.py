"""A cluster run on a view: found, named, written as the session's ``cluster`` column, cached."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from projector.cluster_job import COLUMN, run_clusters
from projector.errors import InputError
from projector.view import View
from projector.workspace import Workspace
from tests.logdirs import write_tf2_logdir

KINDS = ("Fire", "Water", "Grass")


@pytest.fixture
def planted(tmp_path):
    rng = np.random.default_rng(3)
    truth = np.repeat([0, 1, 2], [90, 60, 30])
    vectors = (rng.normal(0, 12, size=(3, 64))[truth] + rng.normal(size=(180, 64))).astype(np.float32)
    kinds = [KINDS[t] if i % 10 else KINDS[(t + 1) % 3] for i, t in enumerate(truth)]  # 90 % the group's kind
    rows = [[f"p{i}", kind] for i, kind in enumerate(kinds)]
    root = write_tf2_logdir(tmp_path / "logdir" / "run", vectors, rows, header=["name", "kind"])
    workspace = Workspace(root.parent, cache_root=tmp_path / "cache")
    return workspace, workspace.listing("run").specs[0].key, truth


def test_clusters_become_a_named_column_of_the_session(planted):
    workspace, key, truth = planted
    ran = run_clusters(
        workspace, View.of(key), session="alice", spherized=False, source="vectors", min_size=None, name_by="kind"
    )
    assert ran.sizes == [90, 60, 30] and ran.noise == 0 and not ran.cached
    assert ran.names == ["Fire 90 %", "Water 90 %", "Grass 90 %"]
    column = workspace.dataset(key, session="alice").metadata[COLUMN]
    assert adjusted_rand_score(truth, column) >= 0.9
    assert column.iloc[0] == "1 · Fire 90 %" and ran.summary() == "3 clusters in 180 points, 0 as noise"
    assert COLUMN not in workspace.dataset(key, session="bob").metadata.columns
    again = run_clusters(
        workspace, View.of(key), session="bob", spherized=False, source="vectors", min_size=None, name_by=None
    )
    assert again.cached and again.names == ["cluster 1", "cluster 2", "cluster 3"]


def test_an_isolated_subset_is_clustered_alone_on_its_layout(planted):
    workspace, key, truth = planted
    subset = np.arange(60, 180)  # the last 30 of the first group, and the two others
    layout = np.random.default_rng(0).normal(size=(120, 2)) * 0.3 + np.where(truth[subset] == 1, 5.0, -5.0)[:, None]
    ran = run_clusters(
        workspace,
        View.of(key, subset),
        session="alice",
        spherized=False,
        source="layout",
        min_size=10,
        name_by="kind",
        layout=layout,
        layout_id="layout-a",
    )
    assert sorted(ran.sizes) == [60, 60] and ran.points == 120
    column = workspace.dataset(key, session="alice").metadata[COLUMN].tolist()
    assert column[:60] == [""] * 60 and all(column[60:])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"source": "moon"}, "vectors or on the layout"),
        ({"min_size": 0}, "minimum cluster size"),
        ({"name_by": "nope"}, "not one"),
        ({"name_by": COLUMN}, "not one"),
        ({"source": "layout"}, "not of these points"),
        ({"source": "layout", "layout": np.zeros((5, 2)), "layout_id": "x"}, "not of these points"),
    ],
)
def test_what_a_run_cannot_take_is_refused_with_a_message(planted, options, message):
    workspace, key, _ = planted
    settings = {"session": "alice", "spherized": False, "source": "vectors", "min_size": None, "name_by": None}
    with pytest.raises(InputError, match=message):
        run_clusters(workspace, View.of(key), **{**settings, **options})
