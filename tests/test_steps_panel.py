"""The step slider's decisions, without Dash or a browser."""

import numpy as np

from callbacks.plot import TWEEN_MS, step_frame
from callbacks.steps_panel import MAX_MARKS, marks, nearest, next_step, steps_shown
from projector.projection import Projected, layout_spec, pca_spec
from projector.view import View


def test_a_tensor_without_steps_shows_no_slider():
    assert steps_shown((), None)["hidden"] and steps_shown((5,), "5")["hidden"]
    assert steps_shown((5,), "5")["value"] is None


def test_the_slider_starts_at_the_urls_step_when_there_is_one_else_at_the_latest():
    steps = (0, 100, 200)
    shown = steps_shown(steps, None)
    assert shown == {"hidden": False, "marks": marks(steps), "min": 0, "max": 200, "value": 200, "step": 100}
    assert steps_shown(steps, "100")["value"] == 100
    for wanted in ("150", "-1", "x", ""):
        assert steps_shown(steps, wanted)["value"] == 200


def test_every_step_is_a_mark_and_a_long_run_labels_a_few():
    assert marks((1, 2, 3)) == {1: "1", 2: "2", 3: "3"}
    many = tuple(range(0, 1000, 10))
    labelled = [s for s, text in marks(many).items() if text]
    assert len(marks(many)) == 100 and len(labelled) <= MAX_MARKS + 1 and labelled[-1] == 990


def test_play_walks_to_the_last_step_and_stops_there():
    steps = (1, 2, 3)
    assert next_step(steps, 1) == (2, True)
    assert next_step(steps, 2) == (3, False)
    assert next_step(steps, 3) == (1, True)  # Play at the last starts again from the first
    assert next_step(steps, 7) == (1, True)
    assert next_step((4,), 4) == (None, False)


def test_a_step_moves_only_the_step():
    view = View.of(".::t", [3, 1], step=5)
    moved = View.from_json(view.at_step(9).to_json())
    assert moved == View.of(".::t", [1, 3], step=9) and moved.moved and moved.token == view.token
    assert not View.from_json(View(".::t", step=9).to_json()).moved
    assert View.from_json({"tensor": ".::t", "indices": None}).step is None  # views saved before steps


def test_arrow_keys_go_from_step_to_step_and_a_place_between_snaps_to_the_nearest():
    assert steps_shown((3, 6, 12), None)["step"] == 3  # the common spacing
    assert nearest((0, 10, 30), 4.9) == 0 and nearest((0, 10, 30), 21) == 30 and nearest((0, 10, 30), 20) == 10
    assert nearest((), 3) is None and nearest((1, 2), None) is None


def test_a_step_move_sends_only_the_new_coordinates_of_the_projection_drawn():
    view = View.of(".::t", None, step=5)
    coords = np.arange(12, dtype=np.float32).reshape(4, 3)
    projected = Projected(coords, ["Component #1", "Component #2", "Component #3"], pca_spec([0, 1, 2]))
    drawn = {**pca_spec([0, 1, 2]), "view": view.token, "dimension": 3}
    moved = view.at_step(9)
    frame = step_frame(moved, projected, drawn, playing=True)
    assert frame is not None and frame["step"] == 9 and frame["tween"] == TWEEN_MS
    assert set(frame["coords"]) == {"x", "y", "z"} and frame["coords"]["z"]["dtype"] == "f4"
    assert step_frame(moved, projected, drawn, playing=False)["tween"] == 0  # a slider move: at once
    # A whole figure instead: not a step move, other components or dimension drawn, another view.
    assert step_frame(View.of(".::t", None, step=9), projected, drawn, True) is None
    assert step_frame(moved, projected, {**drawn, "axes": [0, 1, 3]}, True) is None
    assert step_frame(moved, projected, {**drawn, "dimension": 2}, True) is None
    assert step_frame(moved, projected, {**drawn, "view": "other|"}, True) is None
    assert step_frame(moved, projected, None, True) is None
    layout = Projected(coords[:, :2], ["UMAP 1", "UMAP 2"], layout_spec("umap", "step9", 2))
    umap_drawn = {**layout_spec("umap", "step5", 2), "view": view.token, "dimension": 2}
    assert set(step_frame(moved, layout, umap_drawn, True)["coords"]) == {"x", "y"}  # another step's result key
