from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness

from projector import tsne as tsne_module
from projector.errors import InputError
from projector.tsne import (
    FORM_DEFAULTS,
    Start,
    TSNEParams,
    can_continue,
    check_params,
    max_perplexity,
    params_from_form,
    perturb,
    phase_params,
    supervise_labels,
    supervised_affinities,
    tsne,
)

FAST = TSNEParams(n_iter=150, early_exaggeration_iter=100)
SHORT = TSNEParams(n_iter=50, early_exaggeration_iter=50)


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """400 points in 6 overlapping-free Gaussian clusters in 20 dimensions."""
    vectors, _ = make_blobs(400, n_features=20, centers=6, cluster_std=2.0, random_state=0)
    return vectors.astype(np.float32)


@pytest.mark.parametrize("n_components", [2, 3])
def test_layout_keeps_neighbourhoods(blobs, n_components):
    layout, reached = tsne(blobs, TSNEParams(**{**FAST.as_dict(), "n_components": n_components}))
    assert layout.shape == (400, n_components) and layout.dtype == np.float32
    assert np.all(np.isfinite(layout))
    assert reached == 250
    assert trustworthiness(blobs, layout, n_neighbors=10) > 0.9


def test_same_seed_same_layout_other_seed_other_layout(blobs):
    first, _ = tsne(blobs, SHORT)
    again, _ = tsne(blobs, SHORT)
    other, _ = tsne(blobs, TSNEParams(**{**SHORT.as_dict(), "random_state": 1}))
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


def test_frames_come_every_frame_every_iterations(blobs):
    frames: list[tuple[int, np.ndarray]] = []
    layout, reached = tsne(
        blobs, FAST, on_frame=lambda i, frame: frames.append((i, frame.copy())) and False, frame_every=25
    )
    assert [i for i, _ in frames] == list(range(25, 251, 25))  # both phases, counted together
    assert all(frame.shape == (400, 2) for _, frame in frames)
    assert not np.allclose(frames[0][1], frames[-1][1])  # the layout moves between frames
    # openTSNE hands a frame over just before that iteration's update: the result is one step further on.
    assert reached == 250 and np.abs(layout - frames[-1][1]).max() < 0.05 * np.abs(layout).max()


def test_run_ending_between_frames_reports_its_last_iteration(blobs):
    frames: list[int] = []
    params = TSNEParams(n_iter=30, early_exaggeration_iter=10)
    _, reached = tsne(blobs, params, on_frame=lambda i, _: frames.append(i))
    assert frames == [35] and reached == 40  # a finished run is never mistaken for a stopped one


@pytest.mark.parametrize("stop_at", [50, 150])  # in early exaggeration, and after it
def test_returning_true_stops_at_that_frame(blobs, stop_at):
    frames: dict[int, np.ndarray] = {}

    def on_frame(iteration: int, layout: np.ndarray) -> bool:
        frames[iteration] = layout.copy()
        return iteration >= stop_at

    layout, reached = tsne(blobs, FAST, on_frame=on_frame, frame_every=25)
    assert reached == stop_at
    assert max(frames) == stop_at  # no frame after the stop
    np.testing.assert_array_equal(layout, frames[stop_at])


def test_perplexity_is_lowered_for_few_points():
    vectors = np.random.default_rng(0).normal(size=(30, 5))
    params, note = check_params(TSNEParams(perplexity=30.0), 30)
    assert 3 * params.perplexity <= 29 and params.perplexity > 9.6  # what openTSNE accepts, and close to it
    assert note == "Perplexity 30 is too large for 30 points; using 9.66."
    assert check_params(TSNEParams(perplexity=5.0), 30) == (TSNEParams(perplexity=5.0), None)
    assert check_params(TSNEParams(perplexity=1.0), 4)[1] is None and max_perplexity(4) == 1.0
    layout, reached = tsne(vectors, TSNEParams(perplexity=30.0, n_iter=20, early_exaggeration_iter=10))
    assert layout.shape == (30, 2) and np.all(np.isfinite(layout)) and reached == 30


@pytest.mark.parametrize(
    "vectors, params, message",
    [
        (np.ones((3, 4)) * np.arange(3)[:, None], TSNEParams(), "at least 4 points; this view has 3"),
        (np.ones((20, 4)), SHORT, "all identical"),
        (np.eye(20), TSNEParams(n_components=1), "dimension must be 2 or 3, got 1"),
        (np.eye(20), TSNEParams(n_components=4), "dimension must be 2 or 3, got 4"),
        (np.eye(20), TSNEParams(perplexity=0), "Perplexity must be above 0"),
        (np.eye(20), TSNEParams(learning_rate=-1.0), "Learning rate must be 'auto' or a positive number"),
        (np.eye(20), TSNEParams(n_iter=0), "Iterations must be at least 1"),
    ],
)
def test_bad_input_is_an_input_error(vectors, params, message):
    with pytest.raises(InputError, match=message):
        tsne(vectors, params)


def test_params_from_form_splits_iterations():
    params = params_from_form(3, "12", "auto", 400, 7)
    assert params_from_form(3, "12", "auto", 400, 7, "label", 0) == params  # weight 0: unsupervised
    assert params_from_form(3, "12", "auto", 400, 7, "", 50) == params  # no column: unsupervised
    assert params_from_form(2, **FORM_DEFAULTS) == params_from_form(2, 30, "auto", 750, 0)
    assert params == TSNEParams(
        n_components=3, perplexity=12.0, learning_rate="auto", n_iter=300, early_exaggeration_iter=100, random_state=7
    )
    assert params_from_form(2, 30, "200", 5000, None).early_exaggeration_iter == 250
    assert params_from_form(2, 30, " AUTO ", 100, "").learning_rate == "auto"
    for form, field in [
        ((2, 30, "fast", 500, 0), "Learning rate"),
        ((2, 30, "auto", 5, 0), "Iterations"),
        ((2, None, "auto", 500, 0), "Perplexity"),
    ]:
        with pytest.raises(InputError, match=field):
            params_from_form(*form)


def test_parameters_are_capped_for_a_shared_server():
    from projector.tsne import MAX_ITERATIONS, MAX_PERPLEXITY, check_params, params_from_form

    with pytest.raises(InputError, match="at most 100"):
        check_params(params_from_form(2, MAX_PERPLEXITY + 1, "auto", 500, 0), 10_000)
    with pytest.raises(InputError, match="at most 10,000"):
        check_params(params_from_form(2, 30, "auto", MAX_ITERATIONS + 1, 0), 10_000)
    params, _ = check_params(params_from_form(2, MAX_PERPLEXITY, "auto", MAX_ITERATIONS, 0), 10_000)
    assert params.perplexity == MAX_PERPLEXITY


def two_overlapping_classes(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Two classes whose means differ by 0.6 standard deviations in one of 10 dimensions: mixed in the input."""
    rng = np.random.default_rng(0)
    classes = np.arange(n) % 2
    vectors = rng.normal(size=(n, 10)).astype(np.float32)
    vectors[:, 0] += 0.6 * classes
    return vectors, classes


def knn_purity(layout: np.ndarray, classes: np.ndarray, k: int = 10) -> float:
    """The share of each point's k nearest neighbours in the layout that share its class."""
    from sklearn.neighbors import NearestNeighbors

    near = NearestNeighbors(n_neighbors=k + 1).fit(layout).kneighbors(layout, return_distance=False)[:, 1:]
    return float((classes[near] == classes[:, None]).mean())


def supervised(weight: float) -> TSNEParams:
    return TSNEParams(**{**FAST.as_dict(), "supervise_column": "class", "supervise_weight": weight})


def test_supervision_separates_labelled_classes():
    vectors, classes = two_overlapping_classes()
    labels = np.array([f"c{c}" for c in classes], dtype=object)
    plain, _ = tsne(vectors, FAST)
    guided, reached = tsne(vectors, supervised(50), labels=labels)
    assert reached == 250 and guided.shape == (300, 2)
    assert knn_purity(plain, classes) < 0.7  # the classes overlap in the input
    assert knn_purity(guided, classes) > 0.95


def test_weight_zero_is_unsupervised():
    vectors, classes = two_overlapping_classes(120)
    labels = np.array([f"c{c}" for c in classes], dtype=object)
    params = supervised(0)
    assert not params.supervised and params.as_dict() == SHORT.as_dict() | {
        "n_iter": 150,
        "early_exaggeration_iter": 100,
    }
    np.testing.assert_array_equal(tsne(vectors, params, labels=labels)[0], tsne(vectors, FAST)[0])


def test_unlabeled_points_are_left_free():
    vectors, classes = two_overlapping_classes()
    labels = np.array([f"c{c}" for c in classes], dtype=object)
    labels[::3] = ""  # a third without a label
    guided, _ = tsne(vectors, supervised(50), labels=labels)
    labelled = labels != ""
    assert knn_purity(guided[labelled], classes[labelled]) > 0.8  # unsupervised: below 0.7
    assert np.all(np.isfinite(guided))


def test_supervised_affinities_follow_tensorboards_prior():
    import scipy.sparse as sp

    p = sp.csr_matrix(np.full((4, 4), 1 / 12) - np.eye(4) / 12)
    labels = np.array(["a", "a", "b", ""], dtype=object)
    q = supervised_affinities(p, labels, 100).toarray()
    assert np.isclose(q.sum(), 1) and np.allclose(q, q.T)
    # same label: 1/4 + 1/2; different labels: max(1/4 - 1, 1e-7); with the unlabeled point: 1/4
    assert q[0, 1] > q[0, 3] > q[0, 2] > 0 and np.isclose(q[0, 1] / q[0, 3], 3.0)
    np.testing.assert_allclose(supervised_affinities(p, labels, 0).toarray(), p.toarray())


def test_supervise_labels_reads_a_metadata_column():
    frame = pd.DataFrame({"word": ["a", "b", "c", "d"], "class": [1, None, 2, 1]})
    assert supervise_labels(frame, "class").tolist() == ["1.0", "", "2.0", "1.0"]
    assert supervise_labels(frame, "word", np.array([3, 0])).tolist() == ["d", "a"]
    with pytest.raises(InputError, match="'size': not a metadata column"):
        supervise_labels(frame, "size")


def test_resume_goes_on_from_a_layout_and_counts_on(blobs):
    stopped, reached = tsne(blobs, FAST, on_frame=lambda i, _: i >= 150)
    assert reached == 150
    frames: dict[int, np.ndarray] = {}
    layout, done = tsne(
        blobs, FAST, on_frame=lambda i, f: frames.update({i: f.copy()}) and False, start=Start(stopped, reached)
    )
    assert sorted(frames) == [175, 200, 225, 250] and done == 250  # counting on, no phase repeated
    spread = np.ptp(stopped, axis=0).max()
    assert np.abs(frames[175] - stopped).max() < 0.25 * spread  # from that layout, not a new initialisation
    assert trustworthiness(blobs, layout, n_neighbors=10) > 0.9
    with pytest.raises(InputError, match="Press Run instead"):
        tsne(blobs, FAST, start=Start(stopped[:10], reached))


def test_a_run_until_stopped_goes_on_until_then(blobs):
    params = params_from_form(2, 30, "auto", None, 0)
    assert params.n_iter is None and params.total is None and params.early_exaggeration_iter == 250
    layout, reached = tsne(blobs, params, on_frame=lambda i, _: i >= 1300)
    assert reached == 1300 and np.all(np.isfinite(layout))
    with pytest.raises(ValueError, match="on_frame"):
        tsne(blobs, params)


def test_perturb_moves_points_a_bounded_amount(blobs):
    layout, _ = tsne(blobs, SHORT)
    moved = perturb(layout, seed=1)
    radius = np.sqrt(((layout - layout.mean(axis=0)) ** 2).sum(axis=1)).max()
    shift = np.abs(moved - (layout - layout.mean(axis=0)))
    assert 0 < shift.max() <= 0.1 * radius and shift.mean() > 0.005 * radius
    assert np.allclose(moved.mean(axis=0), 0, atol=1e-6 * radius)
    nudges = iter([True])
    nudged, _ = tsne(blobs, SHORT, on_frame=lambda i, _: False, nudge=lambda: next(nudges, False))
    assert not np.allclose(nudged, layout)  # a running job takes a perturbation at its next frame


def test_can_continue_only_a_run_of_the_same_settings():
    meta = {**FAST.as_dict(), "iteration": 100, "stopped": True, "status": "stopped"}
    assert can_continue(meta, FAST)
    assert can_continue({**meta, "stopped": False}, FAST)  # finished at 100 of fewer
    assert not can_continue(meta, TSNEParams(**{**FAST.as_dict(), "random_state": 3}))
    assert not can_continue(meta, supervised(50))
    assert not can_continue({**supervised(50).as_dict(), "iteration": 100, "stopped": True}, FAST)
    assert not can_continue({**meta, "iteration": 250}, FAST)
    assert not can_continue(None, FAST)


def test_a_run_goes_on_with_another_iteration_count_without_repeating_its_early_phase(blobs, monkeypatch):
    meta = {**FAST.as_dict(), "iteration": 250, "stopped": False, "status": "done"}  # a finished run
    longer = TSNEParams(n_iter=350, early_exaggeration_iter=250)
    assert can_continue(meta, longer) and can_continue(meta, TSNEParams(n_iter=None, early_exaggeration_iter=250))
    assert not can_continue(meta, FAST)  # nothing left to run
    # Stopped at 150: past its own early phase (100), short of the longer run's (250).
    stopped, reached = tsne(blobs, FAST, on_frame=lambda i, _: i >= 150)
    start = Start(stopped, reached, FAST.early_exaggeration_iter)
    assert phase_params(longer, start).early_exaggeration_iter == 100 and phase_params(longer, start).total == 600
    planned = []
    phases = tsne_module._phases
    monkeypatch.setattr(tsne_module, "_phases", lambda *args: planned.append(phases(*args)) or planned[-1])
    frames: dict[int, np.ndarray] = {}
    layout, done = tsne(blobs, longer, on_frame=lambda i, f: frames.update({i: f.copy()}) and False, start=start)
    assert [length for length, _, _ in planned[0]] == [0, 450]  # no exaggeration again; on to 600
    assert done == 600 and min(frames) == 175
    assert trustworthiness(blobs, layout, n_neighbors=10) > 0.9


def test_a_run_started_from_another_steps_layout_keeps_its_arrangement(blobs):
    _, clusters = make_blobs(400, n_features=20, centers=6, cluster_std=2.0, random_state=0)
    first, _ = tsne(blobs, FAST)
    for mirror in (1.0, -1.0):  # the same start turned over gives the layout turned over
        begin = first * np.array([mirror, 1.0], dtype=np.float32)
        layout, reached = tsne(blobs, FAST, initialization=begin)
        assert reached == 250 and trustworthiness(blobs, layout, n_neighbors=10) > 0.9
        centres = np.array([layout[clusters == c].mean(axis=0) for c in range(6)])
        started = np.array([begin[clusters == c].mean(axis=0) for c in range(6)])
        for axis in range(2):  # each cluster where the earlier layout had it
            assert np.corrcoef(centres[:, axis], started[:, axis])[0, 1] > 0.9
    wrong, _ = tsne(blobs, SHORT, initialization=np.zeros((10, 2), dtype=np.float32))
    np.testing.assert_array_equal(wrong, tsne(blobs, SHORT)[0])  # a layout of other points is not used
