from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness

from projector.errors import InputError
from projector.umap import (
    INITIALISING,
    NEIGHBOURS,
    OPTIMISING,
    UMAPParams,
    check_params,
    params_from_form,
    umap_layout,
    warm_up,
)

pytestmark = pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")  # separate blobs


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    vectors, _ = make_blobs(400, n_features=20, centers=6, cluster_std=2.0, random_state=0)
    return vectors.astype(np.float32)


@pytest.fixture(scope="module")
def reported(blobs) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """The default 2-D layout and the progress reports made while computing it."""
    calls: list[tuple[str, int, int]] = []
    layout = umap_layout(blobs, UMAPParams(), on_progress=lambda *call: calls.append(call) and False)
    layout.flags.writeable = False
    return layout, calls


@pytest.fixture(scope="module")
def reference(reported) -> np.ndarray:
    return reported[0]


def test_layout_keeps_neighbourhoods_in_2d(blobs, reference):
    assert reference.shape == (400, 2) and reference.dtype == np.float32
    assert np.all(np.isfinite(reference))
    assert trustworthiness(blobs, reference, n_neighbors=10) > 0.9


def test_layout_keeps_neighbourhoods_in_3d(blobs):
    layout = umap_layout(blobs, UMAPParams(n_components=3, random_state=2))
    assert layout.shape == (400, 3) and layout.dtype == np.float32
    assert trustworthiness(blobs, layout, n_neighbors=10) > 0.9


def test_same_as_umap_learn(blobs, reference):
    """The optimisation run here (to report epochs and stop) is umap-learn's own, step for step."""
    import umap

    expected = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0, n_jobs=1).fit_transform(blobs)
    np.testing.assert_array_equal(reference, expected)


def test_same_seed_same_layout_other_seed_other_layout(blobs, reference):
    assert np.array_equal(umap_layout(blobs, UMAPParams()), reference)
    other = umap_layout(blobs, UMAPParams(random_state=1))
    assert not np.allclose(other, reference)


def test_progress_reports_stages_then_increasing_epochs(reported):
    _, calls = reported
    assert calls[:4] == [(NEIGHBOURS, 0, 1), (NEIGHBOURS, 1, 1), (INITIALISING, 0, 1), (OPTIMISING, 0, 500)]
    epochs = [done for stage, done, total in calls[3:] if stage == OPTIMISING and total == 500]
    assert len(epochs) == len(calls) - 3  # nothing else after the optimisation starts
    assert epochs == sorted(set(epochs)) and epochs[-1] == 500
    assert 20 <= len(epochs) <= 60  # regular reports, not one per epoch


def test_stop_returns_the_layout_at_that_epoch(blobs, reference):
    import umap

    calls: list[tuple[str, int, int]] = []

    def stop_at_100(stage: str, done: int, total: int) -> bool:
        calls.append((stage, done, total))
        return stage == OPTIMISING and done >= 100

    layout = umap_layout(blobs, UMAPParams(), on_progress=stop_at_100)
    assert calls[-1] == (OPTIMISING, 100, 500)  # not called again after asking to stop
    # umap-learn's own snapshot after 100 of 500 epochs (its list counts epochs from 0).
    snapshots = umap.UMAP(random_state=0, n_jobs=1, n_epochs=[99, 500]).fit(blobs).embedding_list_
    np.testing.assert_array_equal(layout, snapshots[0])
    assert not np.allclose(layout, reference)


def test_stop_before_optimising_returns_the_initial_layout(blobs):
    calls: list[tuple[str, int, int]] = []
    layout = umap_layout(blobs, UMAPParams(), on_progress=lambda *call: calls.append(call) or True)
    assert calls == [(NEIGHBOURS, 0, 1)]
    assert layout.shape == (400, 2) and np.all(np.isfinite(layout))
    np.testing.assert_allclose(layout.min(axis=0), 0, atol=1e-4)  # umap-learn's initial layout spans 0..10
    np.testing.assert_allclose(layout.max(axis=0), 10, atol=1e-4)


def test_n_neighbors_is_lowered_for_few_points():
    params, note = check_params(UMAPParams(n_neighbors=15), 6)
    assert params == UMAPParams(n_neighbors=5)
    assert note == "Neighbors 15 is too many for 6 points; using 5."
    assert check_params(UMAPParams(n_neighbors=5), 6) == (UMAPParams(n_neighbors=5), None)
    vectors = np.random.default_rng(0).normal(size=(6, 3))
    layout = umap_layout(vectors, UMAPParams(n_neighbors=15))
    assert layout.shape == (6, 2) and np.all(np.isfinite(layout))


@pytest.mark.parametrize(
    "vectors, params, message",
    [
        (np.arange(9.0).reshape(3, 3), UMAPParams(), "at least 4 points; this view has 3"),
        (np.ones((20, 4)), UMAPParams(), "all identical"),
        (np.eye(20), UMAPParams(n_components=4), "dimension must be 2 or 3, got 4"),
        (np.eye(20), UMAPParams(n_neighbors=1), "Neighbors must be a whole number from 2 to 200, got 1"),
        (np.eye(20), UMAPParams(n_neighbors=7.5), "Neighbors must be a whole number"),
        (np.eye(20), UMAPParams(min_dist=1.5), "Min distance must be between 0 and 1, got 1.5"),
        (np.eye(20), UMAPParams(min_dist=-0.1), "Min distance must be between 0 and 1"),
        (np.eye(20), UMAPParams(random_state=-1), "Seed must be a whole number from 0 to"),
        (np.where(np.eye(20) == 1, np.nan, 0.0), UMAPParams(), "finite"),
        (np.arange(20.0), UMAPParams(), "N×D matrix"),
    ],
)
def test_bad_input_is_an_input_error(vectors, params, message):
    with pytest.raises(InputError, match=message):
        umap_layout(vectors, params)


def test_params_from_form():
    assert params_from_form(3, "20", "0.25", 4) == UMAPParams(
        n_components=3, n_neighbors=20, min_dist=0.25, random_state=4
    )
    assert params_from_form(None, 15, 0.1, None) == UMAPParams()
    for form, field in [
        ((2, "many", 0.1, 0), "Neighbors"),
        ((2, 7.5, 0.1, 0), "Neighbors"),
        ((2, 15, "", 0), "Min distance"),
        ((2, 15, 0.1, "x"), "Seed"),
    ]:
        with pytest.raises(InputError, match=field):
            params_from_form(*form)


def test_warm_up_runs():
    assert warm_up(approximate_neighbours=False) is None


def test_neighbours_are_capped_for_a_shared_server():
    from projector.umap import MAX_NEIGHBORS, UMAPParams, check_params

    with pytest.raises(InputError, match="from 2 to 200"):
        check_params(UMAPParams(n_neighbors=MAX_NEIGHBORS + 1), 10_000)
    assert check_params(UMAPParams(n_neighbors=MAX_NEIGHBORS), 10_000)[0].n_neighbors == MAX_NEIGHBORS


FORKED_AFTER_WARM_UP = """
import threading
import numpy as np
from multiprocess import Process
from projector import umap

warm = threading.Thread(target=umap.warm_up, kwargs={"approximate_neighbours": False})
warm.start()
warm.join()  # as the server does: compiled, numba's threads started, in a thread of the parent


def job():
    vectors = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    assert umap.umap_layout(vectors, umap.UMAPParams(n_neighbors=10)).shape == (300, 2)


codes = []
for _ in range(2):  # two jobs in a row, each forked from the warmed-up parent
    child = Process(target=job)
    child.start()
    child.join(120)
    codes.append(child.exitcode)
print("exit codes", codes)
"""


def test_a_job_forked_after_the_warm_up_runs_umap(tmp_path):
    """The server's way: UMAP compiled (numba's thread pool started) in the parent, jobs forked from it. On
    numba's GNU OpenMP layer the child aborts ("fork() called from a process already using GNU OpenMP")."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(root / "artifacts" / "numba-cache"), "PYTHONPATH": str(root)}
    env.pop("NUMBA_THREADING_LAYER", None)
    run = subprocess.run(
        [sys.executable, "-c", FORKED_AFTER_WARM_UP], env=env, capture_output=True, text=True, timeout=300
    )
    assert "exit codes [0, 0]" in run.stdout, run.stdout + run.stderr[-2000:]
    assert "GNU OpenMP" not in run.stderr


def test_numba_runs_on_a_fork_safe_threading_layer(monkeypatch):
    from projector.umap import fork_safe_threading_layer

    for asked, used in [("", "workqueue"), ("omp", "workqueue"), ("default", "workqueue"), ("tbb", "tbb")]:
        monkeypatch.setenv("NUMBA_THREADING_LAYER", asked)
        assert fork_safe_threading_layer() == used
        assert __import__("os").environ["NUMBA_THREADING_LAYER"] == used
    monkeypatch.setenv("NUMBA_THREADING_LAYER", "workqueue")
    fork_safe_threading_layer()
