"""Trails: each selected point's position at every saved step, in the projection on screen."""

from __future__ import annotations

import numpy as np
import pytest

from callbacks.steps_panel import trails_answer
from projector import trails as trails_module
from projector.projection import layout_key, layout_params, pca_spec, project
from projector.trails import MAX_TRAILS, trail_rows, trail_steps, trails
from projector.view import Selection, View
from projector.workspace import Workspace
from tests.logdirs import write_tensorboardx_steps

STEPS = (0, 10, 20, 30)


def walk(n: int = 60) -> list[np.ndarray]:
    """``n`` points in 8 dimensions at four steps; point 0 walks along the first axis, a step at a time."""
    rng = np.random.default_rng(3)
    base = (rng.standard_normal((n, 8)) * 12.0 / 2.0 ** np.arange(8)).astype(np.float32)  # well-separated axes
    out = []
    for i, _ in enumerate(STEPS):
        vectors = base.copy()
        vectors[0, 0] += 3.0 * i
        out.append(vectors)
    return out


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    rows = [f"p{i}" for i in range(60)]
    calls = [("features", s, v, rows) for s, v in zip(STEPS, walk())]
    root = write_tensorboardx_steps(tmp_path_factory.mktemp("trails") / "logdir", calls)
    workspace = Workspace(root, cache_root=tmp_path_factory.mktemp("cache"))
    return workspace, workspace.listing(".").specs[0].key


def test_steps_are_thinned_evenly_keeping_the_first_the_last_and_the_one_shown(monkeypatch):
    steps = tuple(range(0, 1000, 10))
    assert trail_steps(STEPS, 10, 60) == STEPS
    thinned = trail_steps(steps, 330, 60)
    assert thinned[0] == 0 and thinned[-1] == 990 and 330 in thinned
    assert len(thinned) <= trails_module.MAX_STEPS + 1
    assert np.ptp(np.diff(thinned[:5])) <= 10  # even spacing
    monkeypatch.setattr(trails_module, "MAX_CELLS", 1000)
    assert len(trail_steps(steps, 990, 400)) == 2  # 1,000 point-steps for 400 points: the ends only


def test_the_clicked_point_comes_first_and_rows_out_of_view_are_left_out():
    selection = Selection.of("t", [5, 3, 9, 7], anchor=9, source="click")
    rows, asked = trail_rows(selection, None, 100)
    assert rows.tolist() == [9, 5, 3, 7] and asked == 4
    rows, asked = trail_rows(selection, np.array([3, 7, 9]), 100)
    assert rows.tolist() == [9, 3, 7] and asked == 3
    many = Selection.of("t", list(range(200)))
    rows, asked = trail_rows(many, None, 500)
    assert rows.size == MAX_TRAILS and asked == 200
    assert trail_rows(None, None, 10)[0].size == 0


def test_a_pca_trail_follows_the_point_step_by_step(stepped):
    workspace, key = stepped
    view = View(key, step=20)
    spec = pca_spec([0, 1])
    found = trails(workspace, view, False, spec, Selection.of(key, [0, 1], anchor=0, source="click"))
    assert found.steps == STEPS and found.shown == 2
    assert found.rows.tolist() == [0, 1] and found.coords.shape == (2, 4, 2)
    for j, step in enumerate(STEPS):  # each step as the plot draws it at that step
        drawn = project(workspace, workspace.dataset(key, step=step), None, False, spec).coords
        np.testing.assert_allclose(found.coords[:, j], drawn[[0, 1]], rtol=1e-5, atol=1e-5)
    walked = np.linalg.norm(np.diff(found.coords[0], axis=0), axis=1)
    still = np.linalg.norm(np.diff(found.coords[1], axis=0), axis=1)
    assert walked.min() > 5 * still.max()  # point 0 goes somewhere; point 1 stays
    assert found.note == "Trails of 2 points over 4 steps."


def test_an_isolated_view_has_trails_of_its_own_rows(stepped):
    workspace, key = stepped
    view = View.of(key, list(range(0, 60, 2)))
    found = trails(workspace, view, False, pca_spec([0, 1, 2]), Selection.of(key, [1, 2, 4]))
    assert found.rows.tolist() == [2, 4] and found.coords.shape == (2, 4, 3)  # row 1 is not in view
    assert found.shown == 3  # the latest step


def test_a_layout_trail_has_gaps_where_no_layout_was_run(stepped):
    workspace, key = stepped
    form = {"perplexity": 10, "learning_rate": None, "iterations": 250, "seed": 0}
    params, _ = layout_params("tsne", 2, 60, form)
    fake = {}
    for step in (10, 30):
        data = workspace.dataset(key, step=step)
        result = layout_key(workspace, data, None, False, "tsne", params)
        fake[step] = np.full((60, 2), float(step), dtype=np.float32)
        workspace.results.set(result, fake[step], meta={"status": "done"})
    shown = layout_key(workspace, workspace.dataset(key), None, False, "tsne", params)
    spec = {"method": "tsne", "result": shown, "dimension": 2}
    found = trails(workspace, View(key), False, spec, Selection.of(key, [4]), form)
    assert found.steps == STEPS and found.shown == 3
    np.testing.assert_array_equal(np.isnan(found.coords[0, :, 0]), [True, False, True, False])
    assert found.coords[0, 1, 0] == 10.0 and found.coords[0, 3, 0] == 30.0
    assert "no t-SNE layout with these settings at steps 0, 20" in found.note
    without_form = trails(workspace, View(key), False, spec, Selection.of(key, [4]), None)
    assert np.isnan(without_form.coords[0, :3]).all() and not np.isnan(without_form.coords[0, 3]).any()


def test_the_callback_answers_a_payload_only_for_the_view_drawn(stepped):
    workspace, key = stepped
    view = View(key, step=10).to_json()
    drawn = {**pca_spec([0, 1, 2]), "view": View(key).token, "dimension": 3, "notes": ["x"]}
    selection = Selection.of(key, [2, 3], anchor=2, source="click").to_json()
    answer = trails_answer(workspace, ["on"], drawn, selection, view, False, {})
    payload = answer["trails"]
    assert payload["steps"] == list(STEPS) and payload["shown"] == 1 and payload["count"] == 2
    assert payload["dimension"] == 3 and payload["anchor"] is True and payload["view"] == View(key).token
    assert payload["coords"]["dtype"] == "f4" and answer["status"].startswith("Trails of 2 points over 4 steps")
    assert trails_answer(workspace, [], drawn, selection, view, False, {}) == {"trails": None, "status": ""}
    other = {**drawn, "view": View.of(key, [1, 2]).token}
    assert trails_answer(workspace, ["on"], other, selection, view, False, {})["trails"] is None
    nothing = trails_answer(workspace, ["on"], drawn, None, view, False, {})
    assert nothing["trails"] is None and "Select points" in nothing["status"]
