from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness

from projector.errors import InputError
from projector.tsne import (
    TSNEParams,
    check_params,
    max_perplexity,
    params_from_form,
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
