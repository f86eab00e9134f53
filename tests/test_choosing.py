"""The projections panel's handlers, one per trigger of ``choose``, called without Dash or a browser."""

import numpy as np
import pytest

from callbacks import choosing, ids
from callbacks.choosing import Axes, ChooseInputs, handler_for, hold_for_session
from callbacks.projections_panel import drawn
from projector import scatter
from projector.errors import InputError
from projector.jobs import pack_layout
from projector.projection import pca_spec
from projector.view import Opening, View
from projector.workspace import Workspace
from projector.writer import write_embedding

KEY = ".::embedding"
UMAP_FORM = {"n_neighbors": 5, "min_dist": 0.1, "seed": 0}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("choosing")
    vectors = np.random.default_rng(4).normal(size=(20, 6)).astype(np.float32)
    write_embedding(root / "logdir", vectors, metadata=[f"{w}_{i}" for i, w in enumerate(["a", "b"] * 10)])
    workspace = Workspace(root / "logdir", cache_root=root / "cache")
    return workspace, workspace.dataset(KEY)


def inputs(view: View | None = None, **values) -> ChooseInputs:
    base = {"dimension": 2, "wanted": [0, 1, 2], "tab": "pca", "umap": UMAP_FORM, "custom": {}}
    return ChooseInputs(view=view or View(KEY), session="s1", **{**base, **values})


def axes_of(workspace, data, inp) -> Axes:
    return Axes.of(workspace.pca(data, inp.view.subset, bool(inp.spherize)), inp)


def test_inputs_count_records_only_when_they_triggered_the_request():
    record = Opening("b", "pca", "r", 2).to_json()
    values = {"opening": record, "done": {"view": "v"}, "tab": "umap"}
    quiet = ChooseInputs.of(values, View(KEY), "s", [f"{ids.DIMENSION}.value"])
    assert quiet.opening is None and quiet.done is None and not quiet.new_view and quiet.tab == "umap"
    opened = ChooseInputs.of(values, View(KEY), "s", [f"{ids.VIEW_STORE}.data", f"{ids.BOOKMARK_OPENING}.data"])
    assert opened.opening.id == "b" and opened.new_view
    assert handler_for(opened) is choosing.on_opening
    finished = ChooseInputs.of(values, View(KEY), "s", [f"{ids.PROJECTION_DONE}.data"])
    assert finished.done == {"view": "v"} and handler_for(finished) is choosing.on_finished
    assert handler_for(quiet) is choosing.on_choice


def test_axes_keep_distinct_components_and_the_dimension_asked_for(loaded):
    workspace, data = loaded
    axes = axes_of(workspace, data, inputs(wanted=[3, 3, None], dimension=3))
    assert len(set(axes.chosen)) == 3 and axes.chosen[0] == 3 and axes.drawn == axes.chosen
    assert axes_of(workspace, data, inputs(dimension=2)).drawn == [0, 1]


def test_the_pca_tab_draws_the_components_chosen(loaded):
    workspace, data = loaded
    inp = inputs(wanted=[2, 0, 1])
    choice = choosing.on_choice(workspace, data, inp, axes_of(workspace, data, inp))
    assert choice.spec == pca_spec([2, 0]) and choice.status is None


def test_a_layout_tab_not_run_shows_pca_and_says_to_press_run(loaded):
    workspace, data = loaded
    inp = inputs(tab="umap")
    choice = choosing.on_choice(workspace, data, inp, axes_of(workspace, data, inp))
    assert choice.spec == pca_spec([0, 1]) and "press Run" in choice.status


def test_a_bookmark_opening_draws_its_saved_layout(loaded):
    workspace, data = loaded
    inp = inputs(opening=Opening("b", "umap", "some-result", 3, axes=(0, 1, 2)))
    choice = choosing.on_opening(workspace, data, inp, axes_of(workspace, data, inp))
    assert choice.spec == {"method": "umap", "result": "some-result", "axes": [0, 1, 2]}
    assert choice.status == "Restored from a bookmark (3D)."


def test_a_finished_job_draws_its_result_only_on_its_own_view(loaded):
    workspace, data = loaded
    done = {"method": "umap", "view": scatter.view_token(View(KEY)), "dimension": 2, "result": "r1", "token": "t"}
    inp = inputs(tab="umap", done=done)
    choice = choosing.on_finished(workspace, data, inp, axes_of(workspace, data, inp))
    assert choice.spec["method"] == "umap" and choice.spec["result"] == "r1"
    other = inputs(View.of(KEY, [0, 1, 2]), tab="umap", done=done)  # a job of the whole view, finished late
    assert choosing.on_finished(workspace, data, other, axes_of(workspace, data, other)).spec == pca_spec([0, 1])


def test_a_layout_sent_back_is_held_for_its_session_only(loaded):
    workspace, data = loaded
    layout = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    done = {"method": "umap", "view": scatter.view_token(View(KEY)), "dimension": 2, "result": "r2"}
    done["layout"] = pack_layout(layout)
    mine, theirs = hold_for_session(workspace, done, 20, "s1"), hold_for_session(workspace, done, 20, "s2")
    assert mine["result"] != theirs["result"] and mine["result"].startswith("held-") and mine["layout"] is None
    assert workspace.results.get_meta("r2") is None  # nothing was stored under the key the client named
    with pytest.raises(InputError, match="does not fit"):
        hold_for_session(workspace, done, 19, "s1")
    with pytest.raises(InputError, match="not one this server made"):
        hold_for_session(workspace, {**done, "layout": 7}, 20, "s1")


def test_a_choice_becomes_the_panel_outputs(loaded):
    workspace, data = loaded
    inp = inputs(tab="custom", custom={"left": "a_", "right": "b_", "column": ""}, dimension=3)
    axes = axes_of(workspace, data, inp)
    out = drawn(data, inp, axes, choosing.on_choice(workspace, data, inp, axes))
    assert out["matches"] == {**{side: "" for side in ids.CUSTOM_MATCHES}, "left": "10 matches", "right": "10 matches"}
    assert out["request"]["spec"]["method"] == "custom" and out["request"]["fallback"] == pca_spec([0, 1, 2])
    assert not out["flat"] and len(out["options"]) == 3 and out["custom"] == ""


def test_another_step_is_no_new_view_so_the_highlight_stays():
    triggered = [f"{ids.VIEW_STORE}.data"]
    assert ChooseInputs.of({}, View(KEY), "s", triggered).new_view
    assert not ChooseInputs.of({}, View(KEY).at_step(2), "s", triggered).new_view
