"""Two embeddings of the same rows: the choices, the second view, neighbourhood change and the linked panel."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from callbacks.compare_panel import compared_figure, kept_choice, neighbour_lists, neighbourhood_k
from callbacks.selecting import SelectInputs, handler_for
from callbacks.url_state import write_query
from projector import scatter
from projector.alignment import turned_to
from projector.compare import Choice, change_scores, compare_options, parse_choice, second_dataset, second_view
from projector.errors import InputError
from projector.projection import layout_spec, pca_spec, project
from projector.view import View
from projector.workspace import Workspace
from tests.logdirs import write_tensorboardx_steps

N = 60


def model(seed: int, n: int = N) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 8)) * 10.0 / 2.0 ** np.arange(8)).astype(np.float32)


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    rows = [f"p{i}" for i in range(N)]
    calls = [
        ("model_a", 0, model(1), rows),
        ("model_a", 10, model(2), rows),
        ("model_b", 0, model(3), rows),
        ("small", 0, model(4, 30), rows[:30]),
        ("model_b_reversed", 0, model(3)[::-1].copy(), rows[::-1]),
    ]
    root = write_tensorboardx_steps(tmp_path_factory.mktemp("compare") / "logdir", calls)
    workspace = Workspace(root, cache_root=tmp_path_factory.mktemp("cache"))
    keys = {spec.name: spec.key for spec in workspace.listing(".").specs}
    return workspace, keys


def test_a_choice_names_a_tensor_and_perhaps_one_of_its_steps():
    assert parse_choice(None) is None and parse_choice("") is None
    assert parse_choice("run::t") == Choice("run::t")
    assert parse_choice(Choice("run::t", 10).value) == Choice("run::t", 10)
    with pytest.raises(InputError, match="from the list"):
        parse_choice(["run::t"])


def test_the_choices_are_the_other_steps_and_every_tensor_of_the_same_rows(two_models):
    workspace, keys = two_models
    data = workspace.dataset(keys["model_a"])
    values = [o["value"] for o in compare_options(workspace, data)]
    assert values == [Choice(keys["model_a"], 0).value, keys["model_b"], keys["model_b_reversed"]]  # not 30 rows


def test_a_tensor_of_other_rows_is_refused_with_both_counts(two_models):
    workspace, keys = two_models
    data = workspace.dataset(keys["model_a"])
    with pytest.raises(InputError, match="30 points and the open tensor 60"):
        second_dataset(workspace, data, Choice(keys["small"]))
    assert second_dataset(workspace, data, Choice(keys["model_a"], 0)).spec.step == 0


def test_turning_undoes_a_planted_rotation_and_mirror():
    rng = np.random.default_rng(0)
    reference = rng.standard_normal((50, 3))
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    planted = (reference @ q) * np.array([1.0, -1.0, 1.0]) + 4.0
    turned = turned_to(reference, planted)
    assert np.allclose(turned - turned.mean(axis=0), reference - reference.mean(axis=0), atol=1e-9)
    with pytest.raises(InputError, match="same points"):
        turned_to(reference, planted[:10])


def test_the_second_view_is_the_first_ones_projection_turned_onto_it(two_models):
    workspace, keys = two_models
    data, other = workspace.dataset(keys["model_a"]), workspace.dataset(keys["model_b"])
    first = project(workspace, data, None, False, pca_spec([0, 1]))
    second, note = second_view(workspace, first, other, None, False)
    plain = project(workspace, other, None, False, pca_spec([0, 1])).coords
    assert second.coords.shape == first.coords.shape and "PCA as on the left" in note
    # turned only: the distances between its points are those of its own PCA
    assert np.allclose(
        np.linalg.norm(second.coords - second.coords[0], axis=1), np.linalg.norm(plain - plain[0], axis=1), atol=1e-4
    )
    aligned = np.linalg.norm(second.coords - first.coords)
    assert aligned <= np.linalg.norm(plain - first.coords) + 1e-6
    layout = layout_spec("tsne", "no-such-result", 2)
    fake = type(first)(first.coords, first.titles, layout)
    second, note = second_view(workspace, fake, other, None, False)
    assert second.spec["method"] == "pca" and "open it to run one" in note


def brute_force_change(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """1 − Jaccard of the k nearest (cosine, self excluded, ties by lower row) in a and in b."""

    def nearest(x):
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        distance = 1.0 - unit @ unit.T
        np.fill_diagonal(distance, np.inf)
        return [set(np.argsort(row, kind="stable")[:k].tolist()) for row in distance]

    return np.array([1 - len(p & q) / len(p | q) for p, q in zip(nearest(a), nearest(b))])


def test_neighbourhood_change_is_the_brute_force_jaccard_over_the_points_in_view(two_models):
    workspace, keys = two_models
    data, other = workspace.dataset(keys["model_a"]), workspace.dataset(keys["model_b"])
    scores = change_scores(workspace, data, other, None, 5, "cosine")
    assert np.allclose(scores, brute_force_change(data.vectors, other.vectors, 5), atol=1e-6)
    subset = np.arange(10, 40)
    scores = change_scores(workspace, data, other, subset, 5, "cosine")
    expected = brute_force_change(data.vectors[subset], other.vectors[subset], 5)
    assert scores.shape == (30,) and np.allclose(scores, expected, atol=1e-6)
    same = change_scores(workspace, data, data, None, 5, "cosine")
    assert not same.any()


def test_neighbourhood_change_is_bounded(two_models, monkeypatch):
    from projector import compare

    workspace, keys = two_models
    data, other = workspace.dataset(keys["model_a"]), workspace.dataset(keys["model_b"])
    monkeypatch.setattr(compare, "MAX_CHANGE_ROWS", 50)
    with pytest.raises(InputError, match="at most 50 points, and 60 are in view"):
        change_scores(workspace, data, other, None, 5, "cosine")
    with pytest.raises(InputError, match="from 1 to"):
        neighbourhood_k(0)
    assert neighbourhood_k(None) == 10 and neighbourhood_k(7.0) == 7


def test_a_click_on_the_second_plot_selects_the_same_row(two_models):
    workspace, keys = two_models
    view = View.of(keys["model_a"], list(range(20, 60)))
    data = workspace.view_data(view)
    handler = handler_for(["scatter-compare.clickData"])
    inp = SelectInputs(view=view, compare_click={"points": [{"pointNumber": 3}]}, k=5)
    change = handler(workspace, data, inp)
    assert change.selection.anchor == 23 and list(change.selection.points) == [23]


def form(view: View, record: dict, highlight=None, colour=None, k=5) -> dict:
    return {
        "record": record,
        "spherize": [],
        "colour": colour or [],
        "k": k,
        "metric": "cosine",
        "color_by": None,
        "categorical": [],
        "label_by": None,
        "highlight": highlight,
    }


def test_the_second_plot_lights_up_the_same_points_and_lists_what_changed_most(two_models):
    workspace, keys = two_models
    view = View.of(keys["model_a"])
    data, other = workspace.view_data(view), workspace.dataset(keys["model_b"])
    record = {**pca_spec([0, 1, 2]), "view": scatter.view_token(view), "dimension": 3}
    lit = scatter.highlight_for(view, np.array([4, 7]), 4)
    payload = scatter.highlight_payload(view, lit)
    shown = compared_figure(workspace, data, other, view, form(view, record, payload))
    trace = shown["figure"]["data"][0]
    drawn = np.frombuffer(base64.b64decode(trace["x"]["bdata"]), trace["x"]["dtype"])
    assert trace["type"] == "scatter3d" and drawn.size == N and shown["changed"] == []
    plain = compared_figure(workspace, data, other, view, form(view, record))["figure"]["data"][0]
    assert trace["marker"] != plain["marker"]  # the highlight styles the second plot too
    coloured = compared_figure(workspace, data, other, view, form(view, record, payload, ["on"]))
    scores = change_scores(workspace, data, other, None, 5, "cosine")
    rows = [int(entry.to_plotly_json()["props"]["data-row"]) for entry in coloured["changed"]]
    assert rows[0] == int(np.argmax(scores)) and len(rows) == 20 and "neighbourhood change" in coloured["status"]


def test_the_clicked_points_neighbours_in_the_second_embedding_mark_those_it_has_in_both(two_models):
    workspace, keys = two_models
    view = View.of(keys["model_a"])
    data, other = workspace.view_data(view), workspace.dataset(keys["model_b"])
    first, _ = workspace.neighbor_index(data).query(0, 5, "cosine")
    second, _ = workspace.neighbor_index(other).query(0, 5, "cosine")
    neighbors = {"anchor": 0, "indices": [int(r) for r in first], "distances": [0.0] * 5}
    title, listed = neighbour_lists(workspace, data, other, view, neighbors, {"metric": "cosine", "label_by": None})
    entries = listed.children
    shared = set(first.tolist()) & set(second.tolist())
    assert [int(e.to_plotly_json()["props"]["data-row"]) for e in entries] == second.tolist()
    assert {int(e.to_plotly_json()["props"]["data-row"]) for e in entries if "shared" in e.className} == shared
    assert title.children.endswith(f"{len(shared)} of 5 shared")


def test_a_box_on_the_second_plot_selects_the_rows_inside_it_there(two_models):
    workspace, keys = two_models
    view = View.of(keys["model_a"])
    data, other = workspace.view_data(view), workspace.dataset(keys["model_b"])
    record = {**pca_spec([0, 1]), "view": scatter.view_token(view), "dimension": 2}
    second, _ = second_view(workspace, project(workspace, data, None, False, record), other, None, False)
    x, y = second.coords[:, 0], second.coords[:, 1]
    box = {"range": {"x": [float(np.median(x)), float(x.max()) + 1], "y": [float(np.median(y)), float(y.max()) + 1]}}
    inside = np.flatnonzero((x >= np.median(x)) & (y >= np.median(y)))
    inp = SelectInputs(view=view, compare_drag=box, compare=keys["model_b"], projection=record, spherize=[])
    change = handler_for(["scatter-compare.selectedData"])(workspace, data, inp)
    assert sorted(change.selection.points) == inside.tolist() and change.selection.source == "drag"
    nothing = SelectInputs(view=view, compare_drag=box, compare=None, projection=record)
    assert handler_for(["scatter-compare.selectedData"])(workspace, data, nothing).selection is None


def test_the_choice_kept_is_the_current_one_while_offered_else_the_urls_on_opening():
    options = [{"label": "a", "value": "a"}, {"label": "b", "value": "b@step=1"}]
    assert kept_choice(options, "a", "b@step=1") == "a"
    assert kept_choice(options, "gone", "a") is None  # a choice no longer offered goes, the URL's with it
    assert kept_choice(options, None, "b@step=1") == "b@step=1"
    assert kept_choice(options, None, "elsewhere") is None
    assert write_query("r", "t", "pca", 3, "b@step=1") == "?run=r&tensor=t&projection=pca&step=3&compare=b%40step%3D1"


def test_rows_matched_by_a_column_are_put_in_the_first_tables_order(two_models):
    workspace, keys = two_models
    data = workspace.dataset(keys["model_a"])
    column = str(data.metadata.columns[0])
    plain = workspace.dataset(keys["model_b"])
    paired = second_dataset(workspace, data, Choice(keys["model_b_reversed"]), by=column)
    assert np.array_equal(paired.vectors, plain.vectors) and paired.metadata[column].tolist() == [
        f"p{i}" for i in range(N)
    ]
    assert paired.content_hash == plain.content_hash  # the same vectors in the same order: the same results
    with pytest.raises(InputError, match="have no match"):
        second_dataset(workspace, data, Choice(keys["small"]), by=column)
    with pytest.raises(InputError, match="which the open tensor has not"):
        second_dataset(workspace, data, Choice(keys["model_b"]), by="nope")


def test_neighbours_of_a_point_that_is_not_there_are_refused_with_a_message(two_models):
    workspace, keys = two_models
    view = View.of(keys["model_a"])
    data, other = workspace.view_data(view), workspace.dataset(keys["model_b"])
    neighbors = {"anchor": N + 5, "indices": [1, 2], "distances": [0.0, 0.0]}
    with pytest.raises(InputError, match="not one of the 60 points"):
        neighbour_lists(workspace, data, other, view, neighbors, {"metric": "cosine", "label_by": None})
