import numpy as np
import pytest

from projector.errors import InputError
from projector.pca import PCAResult
from projector.projection import Request, axis_choice, choose_spec, layout_params, pca_spec, project
from projector.tsne import TSNEParams
from projector.umap import UMAPParams
from projector.workspace import Workspace

TSNE_FORM = {"perplexity": 5, "learning_rate": "auto", "iterations": 100, "seed": 1}
CUSTOM_FORM = {
    "column": "",
    "left": "a",
    "right": "b",
    "up": "",
    "down": "",
    "left_regex": [],
    "right_regex": ["regex"],
}


@pytest.fixture
def uploaded(tmp_path):
    (tmp_path / "logdir").mkdir()
    workspace = Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")
    vectors = np.random.default_rng(0).normal(size=(40, 6))
    key = workspace.add_upload("v.tsv", "".join("\t".join(map(str, row)) + "\n" for row in vectors).encode())
    return workspace, workspace.dataset(key)


def result_with(k: int) -> PCAResult:
    return PCAResult(np.zeros((5, k), dtype=np.float32), np.full(k, 1.0 / k))


def test_axis_choice_keeps_valid_distinct_choices_and_fills_the_rest():
    assert axis_choice(result_with(5), [4, 2, 0], 3) == [4, 2, 0]
    assert axis_choice(result_with(5), [1, 1, None], 3) == [1, 0, 2]
    assert axis_choice(result_with(2), [7, 0, 1], 2) == [0, 1]
    assert axis_choice(result_with(5), [3, 4, 0], 2) == [3, 4]


def test_layout_params_validate_the_form_for_the_number_of_points():
    params, note = layout_params("tsne", 2, 40, TSNE_FORM)
    assert isinstance(params, TSNEParams) and params.n_components == 2 and note is None
    params, note = layout_params("umap", 3, 10, {"n_neighbors": 50, "min_dist": 0.1, "seed": 0})
    assert isinstance(params, UMAPParams) and params.n_neighbors == 9 and note
    with pytest.raises(InputError, match="Iterations"):
        layout_params("tsne", 2, 40, {**TSNE_FORM, "iterations": 3})
    with pytest.raises(ValueError):
        layout_params("pca", 2, 40, {})


def test_pca_tab_is_drawn_as_chosen(uploaded):
    workspace, data = uploaded
    spec, status = choose_spec(workspace, data, None, False, Request("pca", [0, 2]))
    assert spec == pca_spec([0, 2]) and status is None
    assert project(workspace, data, None, False, spec).coords.shape == (40, 2)


def test_layout_tab_shows_pca_until_run_then_the_cached_or_finished_layout(uploaded):
    workspace, data = uploaded
    spec, status = choose_spec(workspace, data, None, False, Request("tsne", [0, 1, 2], TSNE_FORM))
    assert spec == pca_spec([0, 1, 2]) and "press Run" in status and "40 points" in status
    params, _ = layout_params("tsne", 3, 40, TSNE_FORM)
    key = workspace.result_key(data, None, False, "tsne", params.as_dict())
    workspace.results.set(key, np.zeros((40, 3), dtype=np.float32), meta={"status": "done"})
    spec, status = choose_spec(workspace, data, None, False, Request("tsne", [0, 1, 2], TSNE_FORM))
    assert spec == {"method": "tsne", "result": key, "dimension": 3} and "shared cache" in status
    finished = {"method": "tsne", "result": "r1", "dimension": 2}
    spec, status = choose_spec(workspace, data, None, False, Request("tsne", [0, 1], TSNE_FORM, finished))
    assert spec == {"method": "tsne", "result": "r1", "dimension": 2} and status is None


def test_layout_tab_with_a_bad_field_says_which_and_shows_pca(uploaded):
    workspace, data = uploaded
    spec, status = choose_spec(
        workspace, data, None, False, Request("umap", [0, 1], {"n_neighbors": "x", "min_dist": 0.1, "seed": 0})
    )
    assert spec == pca_spec([0, 1]) and "Neighbors" in status


def test_custom_tab_needs_left_and_right(uploaded):
    workspace, data = uploaded
    spec, status = choose_spec(workspace, data, None, False, Request("custom", [0, 1], {**CUSTOM_FORM, "right": " "}))
    assert spec == pca_spec([0, 1]) and "left and a right" in status
    spec, status = choose_spec(workspace, data, None, False, Request("custom", [0, 1], CUSTOM_FORM))
    assert spec["method"] == "custom" and spec["left"] == "a" and status == ""
    assert spec["left_regex"] is False and spec["right_regex"] is True and spec["up_regex"] is False
