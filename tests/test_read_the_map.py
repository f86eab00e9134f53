"""The clusters panel, the density layer and the metadata charts as the Dash layer calls them, without Dash or
a browser: a run's answer, the list and names a view shows, a picked cluster or chart range, the density's
probe and the charts' figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from callbacks import charts_panel, clusters_panel, selecting
from callbacks.density_layer import probe
from callbacks.selecting import SelectInputs
from projector.clusters import COLUMN, groups
from projector.errors import InputError
from projector.projection import pca_spec
from projector.view import Selection, View
from projector.workspace import Workspace
from tests.logdirs import write_tf2_logdir
from tests.test_scatter import decode

KINDS = ("Fire", "Water", "Grass")


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("map")
    rng = np.random.default_rng(5)
    truth = np.repeat([0, 1, 2], [60, 40, 20])
    vectors = (rng.normal(0, 12, size=(3, 32))[truth] + rng.normal(size=(120, 32))).astype(np.float32)
    rows = [[f"p{i}", KINDS[t], f"{i / 10:.1f}"] for i, t in enumerate(truth)]
    root = write_tf2_logdir(tmp / "logdir" / "run", vectors, rows, header=["name", "kind", "score"])
    workspace = Workspace(root.parent, cache_root=tmp / "cache")
    key = workspace.listing("run").specs[0].key
    workspace.requester = lambda: "alice"  # the session of the request being answered
    return workspace, key, truth, rows


def run(workspace, key, **options):
    steps: list[str] = []
    form = {"spherized": False, "source": "vectors", "min_size": None, "name_by": "kind", "projection": None}
    form.update(options)
    answer = clusters_panel.run_job(
        workspace, steps.append, view=View.of(key), edited={"revision": 4}, session="alice", **form
    )
    return answer, steps


def test_a_run_answers_its_summary_and_announces_the_column_to_colour_by(planted):
    workspace, key, _, _ = planted
    answer, steps = run(workspace, key)
    assert answer["status"].startswith("3 clusters in 120 points")
    assert answer["edited"] == {"tensor": key, "column": COLUMN, "revision": 5, "color": True}
    assert answer["params"]["source"] == "vectors" and steps[0].startswith(clusters_panel.RUNNING)


def test_a_run_on_the_layout_needs_the_drawn_layout_of_this_view(planted):
    workspace, key, _, _ = planted
    with pytest.raises(InputError, match="not of this view"):
        run(workspace, key, source="layout", projection=None)
    drawn = {**pca_spec([0, 1]), "view": View.of(key).token, "dimension": 2}
    answer, _ = run(workspace, key, source="layout", projection=drawn)
    assert answer["status"].startswith("3 clusters")
    with pytest.raises(InputError, match="session"):
        clusters_panel.run_job(
            workspace, print, view=View.of(key), spherized=False, source="vectors", min_size=None,
            name_by=None, projection=None, edited=None, session=None,
        )  # fmt: skip


def test_the_list_and_the_names_follow_the_view(planted):
    workspace, key, truth, _ = planted
    run(workspace, key)
    data = workspace.view_data(View.of(key), "alice")
    shown = clusters_panel.listed(data, View.of(key))
    assert [item.children[1].children for item in shown["items"]] == ["60", "40", "20"]
    assert shown["items"][0].children[2].children == "50.0 %"
    store = shown["store"]
    assert store["names"] == ["Fire 100 %", "Water 100 %", "Grass 100 %"] and store["sizes"] == [60, 40, 20]
    assert np.array_equal(decode(store["codes"]), truth)
    # Isolated on the last two groups: only their clusters, at their share of the subset.
    subset = View.of(key, np.flatnonzero(truth > 0))
    isolated = clusters_panel.listed(workspace.view_data(subset, "alice"), subset)
    assert isolated["store"]["names"] == ["Water 100 %", "Grass 100 %"]
    assert isolated["items"][0].children[2].children == "66.7 %" and isolated["store"]["view"] == subset.token
    # Another session has no clusters.
    assert clusters_panel.listed(workspace.view_data(View.of(key), "bob"), View.of(key))["store"] is None


def test_groups_keep_the_run_order_and_count_noise_apart():
    found = groups(pd.Series(["2 · b", "1 · a", "noise", "", "1 · a", "edited", "edited", "edited"]))
    assert found.values == ["1 · a", "2 · b", "edited"] and found.names == ["a", "b", "edited"]
    assert found.sizes == [2, 1, 3] and found.noise == 1
    assert found.codes.tolist() == [1, 0, -1, -1, 0, 2, 2, 2]


def group_inputs(key, **values):
    return SelectInputs(view=View.of(key), k=5, metric="cosine", mode="neighbors", **values)


def test_a_picked_cluster_or_chart_range_selects_exactly_its_rows(planted):
    workspace, key, truth, rows = planted
    run(workspace, key)
    data = workspace.view_data(View.of(key), "alice")
    value = data.metadata[COLUMN].iloc[int(np.flatnonzero(truth == 1)[0])]
    change = selecting.on_group(workspace, data, group_inputs(key, group={"column": COLUMN, "values": [value]}))
    assert list(change.selection.points) == np.flatnonzero(truth == 1).tolist()
    assert change.status.startswith("40 matches") and list(change.matches) == list(change.selection.points)
    brushed = selecting.on_group(
        workspace, data, group_inputs(key, group={"column": "score", "range": [2.05, 0.95]}, typed="x")
    )
    expected = [i for i, r in enumerate(rows) if 0.95 <= float(r[2]) <= 2.05]
    assert list(brushed.selection.points) == expected and brushed.clear_search
    with pytest.raises(InputError, match="no metadata column"):
        selecting.on_group(workspace, data, group_inputs(key, group={"column": "nope", "values": ["a"]}))
    with pytest.raises(InputError, match="two numbers"):
        selecting.on_group(workspace, data, group_inputs(key, group={"column": "score", "range": [1]}))
    assert selecting.on_group(workspace, data, group_inputs(key, group={"column": "score"})) is selecting.UNCHANGED
    assert selecting.handler_for(["group-pick.data"]) is selecting.on_group


def test_the_density_probe_names_three_plotted_points():
    coords = np.arange(20, dtype=np.float64).reshape(10, 2)
    assert probe(coords) == [[0.0, 1.0], [10.0, 11.0], [18.0, 19.0]]
    assert probe(coords[:1]) == [[0.0, 1.0]]


def test_the_charts_overlay_the_selection_of_the_view(planted):
    workspace, key, truth, _ = planted
    data = workspace.dataset(key, session="bob")  # no cluster run of its own
    assert charts_panel.default_columns(workspace, data) == ["kind", "score"]
    selection = Selection.of(key, np.flatnonzero(truth == 2), None, "search").to_json()
    kind, score = charts_panel.figures(data, View.of(key), ["kind", "score"], selection, None, False)
    assert len(kind["data"]) == 2 and dict(zip(kind["data"][1]["x"], kind["data"][1]["y"]))["Grass"] == 20
    assert sum(score["data"][0]["y"]) == 120 and sum(score["data"][1]["y"]) == 20
    (alone,) = charts_panel.figures(data, View.of(key), ["kind"], None, None, True)
    assert len(alone["data"]) == 1
    with pytest.raises(InputError, match="at most"):
        charts_panel.chosen_columns(data, ["kind"] * 7)
    assert charts_panel.chosen_columns(data, ["kind", "gone"]) == ["kind"]
