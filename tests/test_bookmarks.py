from __future__ import annotations

import json

import numpy as np
import pytest

from projector.bookmarks import (
    CUSTOM_DEFAULTS,
    FORMAT_VERSION,
    MAX_CHOICE,
    NAMESPACE,
    TSNE_DEFAULTS,
    ViewState,
    dumps,
    from_tensorboard,
    full_coords,
    loads,
    restored_layout,
    to_tensorboard,
)
from projector.errors import BookmarkError, ProjectorError

N, D = 7, 5
HARD_FLOATS = np.array([0.1, -1e-30, 3.4e38, 1.4e-45, 16777217.0, -0.0, 2.0 / 3.0], dtype=np.float32)


def _strict_json(text: str):
    """Parse as a browser would: NaN / Infinity are not JSON."""

    def refuse(token: str):
        raise AssertionError(f"{token} in JSON")

    return json.loads(text, parse_constant=refuse)


def _coords(dimension: int, seed: int = 0) -> np.ndarray:
    coords = np.random.default_rng(seed).normal(size=(N, dimension)).astype(np.float32)
    coords[:, 0] = HARD_FLOATS
    return coords


def _isolated_tsne() -> ViewState:
    coords = _coords(3)
    filtered = [6, 1, 3, 4]
    outside = np.setdiff1d(np.arange(N), filtered)
    coords[outside] = np.nan
    coords[3, 2] = np.nan  # a point with only part of a coordinate
    return ViewState(
        label="isolated t-SNE",
        method="tsne",
        dimension=3,
        coords=coords,
        n_points=N,
        n_dims=D,
        filtered=filtered,
        selected=[3, 6, 0],
        color_by="group",
        label_by="word",
        pca_components=[0, 2, 1],
        tsne={"perplexity": 5.0, "learning_rate": "auto", "iterations": 300, "seed": 7, "iteration": 300},
        umap={"n_neighbors": 4, "min_dist": 0.25, "seed": 3, "aligned": False},
        custom={**CUSTOM_DEFAULTS, "column": "word", "left": "a.*", "right": "b", "left_regex": True},
        camera={
            "eye": {"x": 0.5, "y": -1.5, "z": 0.75},
            "center": {"x": 0.1, "y": 0, "z": 0},
            "up": {"x": 0, "y": 0, "z": 1},
        },
        search={"query": "Go+d", "column": "word", "regex": True},
        spherize=True,
        run="run1",
        tensor="emb",
        compare="run2::emb@step=10",
        compare_by="word",
        compare_color=True,
    )


def test_round_trip_keeps_every_field_and_nan_position():
    state = _isolated_tsne()
    text = dumps([state])
    assert "NaN" not in text and "Infinity" not in text
    _strict_json(text)
    (back,) = loads(text, N, D)
    assert back == state
    assert back.coords.dtype == np.float32 and back.coords.shape == (N, 3)
    assert np.array_equal(np.isnan(back.coords), np.isnan(state.coords))
    assert np.array_equal(back.coords[:, 0], state.coords[:, 0], equal_nan=True)
    assert back.selected == [3, 6, 0] and back.filtered == [6, 1, 3, 4]


def test_a_compare_choice_too_long_to_be_one_is_dropped_and_the_rest_kept():
    state = _isolated_tsne()
    state.compare = "x" * (MAX_CHOICE + 1)
    (back,) = loads(dumps([state]), N, D)
    assert back.compare is None and back.compare_by == "word" and back.compare_color is True


def test_equality_sees_a_moved_nan_and_a_changed_field():
    state = _isolated_tsne()
    moved = _isolated_tsne()
    moved.coords[3, 2], moved.coords[3, 1] = moved.coords[3, 1], np.nan
    assert moved != state
    other = _isolated_tsne()
    other.search = {**other.search, "regex": False}
    assert other != state


@pytest.mark.parametrize(
    ("method", "dimension", "components", "keys"),
    [
        ("pca", 2, [1, 3, 0], ["pca-1", "pca-3"]),
        ("pca", 3, [0, 1, 2], ["pca-0", "pca-1", "pca-2"]),
        ("umap", 2, [0, 1, 2], ["umap-0", "umap-1"]),
        ("custom", 2, [0, 1], ["linear-x", "linear-y"]),
    ],
)
def test_each_method_round_trips_under_tensorboard_keys(method, dimension, components, keys):
    coords = _coords(dimension, seed=1)
    coords[2, 1] = np.nan
    state = ViewState(
        label=method,
        method=method,
        dimension=dimension,
        coords=coords,
        n_points=N,
        n_dims=D,
        selected=[1],
        pca_components=components,
        camera={"xaxis": [-1, 2], "yaxis": [0, 3]},
    )
    obj = to_tensorboard(state)
    assert obj["selectedProjection"] == method and obj["dataSetDimensions"] == [N, D]
    assert len(obj["projections"]) == N
    assert sorted(obj["projections"][0]) == sorted(keys)
    assert keys[1] not in obj["projections"][2]  # no coordinate: no key, as in TensorBoard
    assert obj["projections"][0][keys[0]] == float(HARD_FLOATS[0])
    assert obj["filteredPoints"] is None and obj["selectedPoints"] == [1]
    assert obj["cameraDef"]["orthographic"] is (dimension == 2)
    assert obj[NAMESPACE]["version"] == FORMAT_VERSION
    (back,) = loads(dumps([state]), N, D)
    assert back == state


def test_written_state_has_what_tensorboard_reads_without_checking():
    obj = to_tensorboard(_isolated_tsne())
    for key in ("tSNEPerplexity", "tSNELearningRate", "tSNEIteration", "umapNeighbors", "umapMinDist"):
        assert isinstance(obj[key], (int, float)) and not isinstance(obj[key], bool), key
    assert obj["tSNELearningRate"] == 10  # "auto" is ours; TensorBoard needs a number
    assert obj["tSNEis3d"] is True and obj["pcaComponentDimensions"] == [0, 2, 1]
    # Isolated: TensorBoard indexes projections and selection by position in filteredPoints.
    assert obj["filteredPoints"] == [6, 1, 3, 4] and len(obj["projections"]) == 4
    assert obj["selectedPoints"] == [2, 0]  # rows 3 and 6; row 0 is not isolated
    assert sorted(obj["shuffledDataIndices"]) == list(range(4))
    assert obj["projections"][0]["tsne-0"] == float(HARD_FLOATS[6])
    assert set(obj["projections"][2]) == {"tsne-0", "tsne-1"}
    camera = obj["cameraDef"]
    assert camera["orthographic"] is False and len(camera["position"]) == 3 and len(camera["target"]) == 3
    assert obj["customXLeftRegex"] is True and obj["customYDownRegex"] is False  # each search its own switch


def test_a_single_state_object_and_an_empty_array_load():
    state = _isolated_tsne()
    assert loads(json.dumps(to_tensorboard(state)), N, D) == [state]
    assert loads(b"[]", N, D) == []
    assert loads(("\ufeff" + dumps([state])).encode(), N, D) == [state]


def _pca_values(row: int) -> dict:
    return {f"pca-{k}": round(0.01 * (row + 1) * (k + 1) - 0.05 * k, 6) for k in range(10)}


def test_tensorboard_file_loads_pca_and_tsne_states():
    """Two states as TensorBoard's bookmark panel downloads them (JSON.stringify of State[])."""
    common = {
        "isSelected": False,
        "dataSetDimensions": [N, D],
        "tSNEPerplexity": 18,
        "tSNELearningRate": 10,
        "umapIs3d": True,
        "umapNeighbors": 15,
        "umapMinDist": 0.1,
        "customSelectedSearchByMetadataOption": "word",
        "customXLeftText": "k.ng",
        "customXLeftRegex": False,
        "customXRightText": "qu.*n",
        "customXRightRegex": True,
        "customYUpText": "",
        "customYUpRegex": False,
        "customYDownText": "",
        "customYDownRegex": False,
        "filteredPoints": None,
        "shuffledDataIndices": [3, 0, 6, 1, 5, 2, 4],
        "forceCategoricalColoring": False,
        "selectedLabelOption": "word",
    }
    pca_state = {
        **common,
        "label": "State 0",
        "selectedProjection": "pca",
        "tSNEIteration": 0,
        "tSNEis3d": True,
        "pcaComponentDimensions": [0, 2, 1],
        "projections": [_pca_values(i) for i in range(N)],
        "selectedPoints": [4, 2],
        "cameraDef": {"orthographic": False, "position": [0.9, 1.8, 3.2], "target": [0, 0, 0], "zoom": 1},
        "selectedColorOptionName": "No color map",
    }
    tsne_projections = [{**_pca_values(i), "tsne-0": i * 1.5, "tsne-1": -i * 0.25} for i in range(N)]
    del tsne_projections[5]["tsne-0"], tsne_projections[5]["tsne-1"]  # beyond TensorBoard's t-SNE sample
    tsne_state = {
        **common,
        "label": "State 1",
        "selectedProjection": "tsne",
        "tSNEIteration": 215,
        "tSNEis3d": False,
        "tSNELearningRate": 200,
        "pcaComponentDimensions": [0, 1],
        "filteredPoints": [],  # TensorBoard's value after "clear isolation"
        "projections": tsne_projections,
        "selectedPoints": [],
        "cameraDef": {"orthographic": True, "position": [0, 0, 4], "target": [0.2, -0.1, 0], "zoom": 1.7},
        "selectedColorOptionName": "group",
    }
    text = json.dumps([pca_state, tsne_state], indent=2)
    pca, tsne = loads(text, N, D)

    assert (pca.label, pca.method, pca.dimension, pca.pca_components) == ("State 0", "pca", 3, [0, 2, 1])
    expected = np.array([[p["pca-0"], p["pca-2"], p["pca-1"]] for p in pca_state["projections"]], np.float32)
    assert pca.coords.dtype == np.float32 and np.array_equal(pca.coords, expected)
    assert pca.selected == [4, 2] and pca.filtered is None
    assert pca.color_by is None and pca.label_by == "word"
    assert pca.tsne["perplexity"] == 18 and pca.tsne["learning_rate"] == "auto"  # 10 is TensorBoard's default
    eye = pca.camera["eye"]
    assert eye["z"] > eye["y"] > eye["x"] > 0 and pca.camera["up"] == {"x": 0, "y": 1, "z": 0}
    # Each search keeps its own regex switch.
    assert pca.custom == {**CUSTOM_DEFAULTS, "column": "word", "left": "k.ng", "right": "qu.*n", "right_regex": True}
    assert pca.spherize is False and pca.run is None  # D < 50: TensorBoard would not spherize

    assert (tsne.method, tsne.dimension, tsne.color_by, tsne.selected) == ("tsne", 2, "group", [])
    assert tsne.filtered is None
    expected = np.array([[i * 1.5, -i * 0.25] for i in range(N)], np.float32)
    expected[5] = np.nan
    assert np.array_equal(tsne.coords, expected, equal_nan=True)
    assert tsne.tsne["iteration"] == 215 and tsne.tsne["iterations"] == 215 and tsne.tsne["learning_rate"] == 200
    assert tsne.camera is None  # TensorBoard's 2-D camera has no Plotly equivalent


def test_tensorboard_isolated_state_maps_positions_to_rows():
    """TensorBoard saves an isolated view with the subset's size and positions within the subset."""
    state = {
        "label": "isolated",
        "isSelected": False,
        "selectedProjection": "umap",
        "dataSetDimensions": [3, 60],
        "umapIs3d": False,
        "umapNeighbors": 3,
        "umapMinDist": 0.5,
        "pcaComponentDimensions": [0, 1, 2],
        "projections": [{"umap-0": 1.0, "umap-1": 2.0}, {"umap-0": 3.0, "umap-1": 4.0}, {"umap-0": 5.0, "umap-1": 6.0}],
        "filteredPoints": [5, 2, 6],
        "selectedPoints": [0, 2],
        "cameraDef": None,
        "customXLeftText": "a.b",
        "customXLeftRegex": False,
    }
    view = from_tensorboard(state, n_points=N, n_dims=60)
    assert view.n_points == N and view.filtered == [5, 2, 6] and view.selected == [5, 6]
    expected = np.full((N, 2), np.nan, np.float32)
    expected[[5, 2, 6]] = [[1, 2], [3, 4], [5, 6]]
    assert np.array_equal(view.coords, expected, equal_nan=True)
    assert view.umap == {"n_neighbors": 3, "min_dist": 0.5, "seed": 0, "aligned": True}
    assert view.custom["left"] == "a.b" and view.custom["left_regex"] is False
    assert view.spherize is True  # TensorBoard spherizes 50+ dimensions by default
    assert view.tsne == TSNE_DEFAULTS
    with pytest.raises(BookmarkError, match="does not record the dataset size"):
        from_tensorboard(state)


def test_namespace_from_a_newer_format_is_ignored(caplog):
    state = ViewState("new", "pca", 2, _coords(2), N, D, selected=[np.int64(2)], spherize=True)
    obj = to_tensorboard(state)
    assert obj["selectedPoints"] == [2] and type(obj["selectedPoints"][0]) is int
    obj[NAMESPACE]["version"] = FORMAT_VERSION + 1
    (view,) = loads(json.dumps(obj), N, D)
    assert "newer projector" in caplog.text
    assert view.spherize is False and view.selected == [2]  # from TensorBoard's fields alone
    assert np.array_equal(view.coords, state.coords)


def _bad(text, n=N, d=D, **kwargs) -> str:
    with pytest.raises(BookmarkError) as caught:
        loads(text, n, d, **kwargs)
    assert isinstance(caught.value, ProjectorError)
    return str(caught.value)


def _state(**changes) -> str:
    obj = to_tensorboard(_isolated_tsne())
    obj.update(changes)
    return json.dumps([obj])


def test_malformed_json_says_where():
    message = _bad('[\n  {"label": "x",\n   "selectedProjection" "pca"}\n]', filename="state.json")
    assert "from state.json" in message and "not valid JSON" in message
    assert "line 3, column 25" in message


@pytest.mark.parametrize(("text", "kind"), [("42", "a number"), ('"state"', "a string"), ("null", "null")])
def test_not_an_array_or_object(text, kind):
    assert f"holds {kind}, not a JSON array of bookmarks" in _bad(text)


def test_array_of_non_objects():
    assert "bookmark 2 is a number, not a state object" in _bad(json.dumps([to_tensorboard(_isolated_tsne()), 3]))


def test_empty_and_binary_files():
    assert "is empty" in _bad("  \n")
    assert "not UTF-8 text (byte 1)" in _bad(b"[\xff]")


def test_file_over_the_size_limit():
    message = _bad(dumps([_isolated_tsne()]), max_bytes=1000)
    size = len(dumps([_isolated_tsne()]).encode())
    assert f"KiB ({size:,} bytes), over the 1,000 bytes limit" in message
    big = "[" + " " * (3 * 2**20) + "]"
    assert "the file is 3.0 MiB (3,145,730 bytes), over the 2.0 MiB limit" in _bad(big, max_bytes=2 * 2**20)
    assert loads(big, N, D, max_bytes=4 * 2**20) == []


def test_wrong_dataset_shape():
    state = _isolated_tsne()
    state.label, state.n_points, state.n_dims = "x", 1000, 64
    state.coords, state.filtered, state.selected = None, None, []
    message = _bad(dumps([state]), 500, 64)
    assert "bookmark 'x' was saved for 1,000 × 64 points, this tensor is 500 × 64" in message
    assert "tensor 'emb' of run 'run1'" in message


def test_projection_count_differs_from_points():
    obj = to_tensorboard(ViewState("short", "pca", 2, _coords(2), N, D))
    obj["projections"] = obj["projections"][:-1]
    assert "bookmark 'short' holds coordinates for 6 points, this tensor has 7" in _bad(json.dumps(obj))


def test_indices_out_of_range():
    state = ViewState("sel", "pca", 2, _coords(2), N, D, selected=[1, 9])
    assert "bookmark 'sel' selects point 9, this tensor has 7 points" in _bad(dumps([state]))
    obj = to_tensorboard(ViewState("tb", "pca", 2, _coords(2), N, D))
    del obj[NAMESPACE]
    obj["selectedPoints"] = [-1]
    assert "selects point -1, this tensor has 7 points" in _bad(json.dumps(obj))
    assert "bookmark 'isolated t-SNE' isolates point 7, this tensor has 7 points" in _bad(
        _state(filteredPoints=[6, 1, 3, 7])
    )
    assert "not a list of point numbers" in _bad(_state(filteredPoints=["a", 1, 2, 3]))


def test_unknown_projection():
    message = _bad(_state(selectedProjection="isomap"))
    assert "uses projection 'isomap'" in message and "pca, tsne, umap, custom" in message
    assert "uses projection None" in _bad(_state(selectedProjection=None))


def test_non_numeric_coordinate():
    obj = to_tensorboard(ViewState("n", "pca", 2, _coords(2), N, D))
    obj["projections"][3]["pca-1"] = "1.5"
    assert "has pca-1 = '1.5' for point 3, not a number" in _bad(json.dumps(obj))
    obj["projections"][3]["pca-1"] = 10**400
    assert "for point 3, not a number" in _bad(json.dumps(obj))


def test_form_values_become_tensorboard_numbers_and_round_trip_as_typed():
    state = ViewState(
        "form",
        "tsne",
        2,
        None,
        N,
        D,
        tsne={"perplexity": None, "learning_rate": "200", "iterations": 750, "seed": None},
        umap={"n_neighbors": None, "min_dist": "0.3", "seed": 0},
    )
    obj = to_tensorboard(state)
    assert (obj["tSNEPerplexity"], obj["tSNELearningRate"], obj["tSNEIteration"]) == (30.0, 200.0, 0)
    assert (obj["umapNeighbors"], obj["umapMinDist"]) == (15, 0.3)
    assert obj["projections"] == [{}] * N and obj["tSNEis3d"] is False
    (back,) = loads(dumps([state]), N, D)
    assert back.umap == {**state.umap, "aligned": True}  # a file from before Align over steps: it is on
    back.umap.pop("aligned")
    assert back == state and back.coords is None


def _with_bookmarks_path(logdir, bookmarks_path: str) -> None:
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2

    config_file = logdir / "projector_config.pbtxt"
    config = text_format.Parse(config_file.read_text(), projector_config_pb2.ProjectorConfig())
    config.embeddings[0].bookmarks_path = bookmarks_path
    config_file.write_text(text_format.MessageToString(config))


def test_bookmarks_path_of_a_real_logdir_loads(tmp_path):
    from projector.bookmarks import read_bookmarks_file
    from projector.logdir import list_embeddings
    from tests.logdirs import write_tf2_logdir

    vectors = np.random.default_rng(5).normal(size=(30, 6)).astype(np.float32)
    logdir = write_tf2_logdir(tmp_path / "logdir", vectors, metadata_rows=[f"w{i}" for i in range(30)])
    coords = np.random.default_rng(6).normal(size=(30, 2)).astype(np.float32)
    saved = ViewState(
        label="story 1", method="tsne", dimension=2, coords=coords, n_points=30, n_dims=6, selected=[1, 4]
    )
    (logdir / "bookmarks.json").write_text(dumps([saved]))
    _with_bookmarks_path(logdir, "bookmarks.json")
    spec = list_embeddings(logdir, ".").specs[0]
    states = read_bookmarks_file(logdir, spec.bookmarks_path, 30, 6)
    assert len(states) == 1 and states[0].label == "story 1"
    assert np.array_equal(states[0].coords, coords) and states[0].selected == [1, 4]
    with pytest.raises(BookmarkError, match="20 × 6|20"):
        read_bookmarks_file(logdir, spec.bookmarks_path, 20, 6)


def test_bookmarks_path_outside_the_logdir_is_refused(tmp_path):
    from projector.bookmarks import read_bookmarks_file
    from projector.errors import PathError

    logdir = tmp_path / "logdir"
    logdir.mkdir()
    (tmp_path / "outside.json").write_text("[]")
    with pytest.raises(PathError):
        read_bookmarks_file(logdir, "../outside.json", 3, 2)
    with pytest.raises(BookmarkError, match="missing.json"):
        read_bookmarks_file(logdir, "missing.json", 3, 2)


def test_restored_layout_checks_the_shape_and_the_rows_in_view():
    coords = _coords(2)
    coords[0] = np.nan
    state = ViewState("b", "tsne", 2, coords, N, D, filtered=[5, 3, 3])
    subset, shown = restored_layout(state, "b", N, D)
    assert subset.tolist() == [3, 5] and np.array_equal(shown, coords[[3, 5]])
    with pytest.raises(BookmarkError, match="saved for"):
        restored_layout(state, "b", N + 1, D)
    with pytest.raises(BookmarkError, match="lacks coordinates"):
        restored_layout(ViewState("b", "tsne", 2, coords, N, D), "b", N, D)
    full = full_coords(shown, subset, N)
    assert np.array_equal(full[[3, 5]], shown) and np.isnan(full[0]).all()


def test_a_file_from_before_per_search_regex_switches_keeps_its_one_switch():
    obj = json.loads(dumps([_isolated_tsne()]))
    obj[0][NAMESPACE]["custom"] = {"column": "w", "left": "a+", "right": "b", "up": "", "down": "", "regex": True}
    (loaded,) = loads(json.dumps(obj).encode(), N, D)
    assert loaded.custom["left_regex"] is True and loaded.custom["down_regex"] is True and "regex" not in loaded.custom


def test_categorical_colouring_travels_as_tensorboards_switch():
    state = _isolated_tsne()
    state.categorical = True
    obj = json.loads(dumps([state]))[0]
    assert obj["forceCategoricalColoring"] is True
    (loaded,) = loads(json.dumps([obj]).encode(), N, D)
    assert loaded.categorical is True
    del obj[NAMESPACE]  # as TensorBoard writes it
    assert from_tensorboard(obj, n_points=N, n_dims=D).categorical is True


# --- the iteration a t-SNE layout was saved at ----------------------------------------------------------


def _tensorboard_tsne(iteration, method="tsne") -> dict:
    """A 2-D t-SNE state as TensorBoard's bookmark panel saves it (no NAMESPACE)."""
    obj = to_tensorboard(ViewState("State 1", "tsne", 2, _coords(2), N, D))
    del obj[NAMESPACE]
    obj["selectedProjection"] = method
    obj["tSNEIteration"] = iteration
    if method == "pca":
        obj["pcaComponentDimensions"] = [0, 1]
        obj["projections"] = [{"pca-0": 1.0, "pca-1": 2.0} for _ in range(N)]
    return obj


def test_a_tensorboard_tsne_bookmark_says_the_iteration_it_was_saved_at():
    from projector.bookmarks import restored_record, restored_status

    state = from_tensorboard(_tensorboard_tsne(948), n_points=N, n_dims=D)
    assert state.tsne_iteration == 948
    record = restored_record(state, "State 1")
    assert record == {"bookmark": "State 1", "iteration": 948}
    assert restored_status(2, record) == "Restored from a bookmark (2D) at iteration 948."
    assert json.loads(dumps([state]))[0]["tSNEIteration"] == 948  # and says it again when saved


@pytest.mark.parametrize("iteration", [0, -5, "948x", 1e300, True, None])
def test_an_unknown_or_damaged_iteration_is_not_shown(iteration):
    from projector.bookmarks import restored_record, restored_status

    state = from_tensorboard(_tensorboard_tsne(iteration), n_points=N, n_dims=D)
    assert state.tsne_iteration is None
    assert restored_status(2, restored_record(state, "b")) == "Restored from a bookmark (2D)."


def test_only_a_tsne_layout_has_an_iteration():
    from projector.bookmarks import restored_record, restored_status

    state = from_tensorboard(_tensorboard_tsne(300, method="pca"), n_points=N, n_dims=D)
    assert state.tsne_iteration is None and restored_record(state, "b") == {"bookmark": "b"}
    assert restored_status(3, None) == "Restored from a bookmark (3D)."
    assert restored_status(2, {"iteration": "948"}) == "Restored from a bookmark (2D)."  # a record is typed


def test_the_iteration_of_the_projections_wins_over_our_stale_copy():
    # TensorBoard keeps our NAMESPACE when it saves an uploaded bookmark again, after running t-SNE further.
    obj = json.loads(dumps([_isolated_tsne()]))[0]
    assert obj["tSNEIteration"] == 300 and obj[NAMESPACE]["tsne"]["iteration"] == 300
    obj["tSNEIteration"] = 500
    (loaded,) = loads(json.dumps([obj]), N, D)
    assert loaded.tsne_iteration == 500 and loaded.tsne["iteration"] == 500
    saved_without = ViewState("b", "tsne", 2, _coords(2), N, D, tsne={"perplexity": 5.0})  # the panel's fields
    (loaded,) = loads(dumps([saved_without]), N, D)
    assert loaded.tsne == {"perplexity": 5.0} and loaded.tsne_iteration is None


def test_the_training_step_round_trips_under_our_extras_only():
    state = _isolated_tsne()
    state.step = 30
    saved = to_tensorboard(state)
    assert saved[NAMESPACE]["step"] == 30 and "step" not in {k for k in saved if k != NAMESPACE}
    (back,) = loads(dumps([state]), N, D)
    assert back.step == 30 and back == state
    for odd in (-1, True, "30", 1.5):
        saved[NAMESPACE]["step"] = odd
        assert from_tensorboard(json.loads(json.dumps(saved)), n_points=N, n_dims=D).step is None


def test_a_cluster_run_round_trips_and_damaged_settings_are_dropped():
    state = _isolated_tsne()
    state.clusters = {"source": "layout", "min_size": 12, "name_by": "label"}
    (back,) = loads(dumps([state]), N, D)
    assert back.clusters == state.clusters and back == state
    saved = to_tensorboard(state)
    for odd, expected in (
        ({"source": "elsewhere"}, None),
        ("vectors", None),
        ({"source": "vectors", "min_size": 1, "name_by": 7}, {"source": "vectors", "min_size": None, "name_by": None}),
    ):
        saved[NAMESPACE]["clusters"] = odd
        assert from_tensorboard(json.loads(json.dumps(saved)), n_points=N, n_dims=D).clusters == expected
