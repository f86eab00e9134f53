"""UMAP over training steps in one aligned fit: the engine function, and the job that lays out every step."""

from __future__ import annotations

import numpy as np
import pytest

from projector import aligned_umap
from projector.aligned_umap import MAX_POINTS, N_EPOCHS, aligned_layouts, check_steps
from projector.errors import InputError
from projector.jobs import JobBoard, JobSlots
from projector.layout_job import run_layout_job
from projector.projection import Request, choose_spec, layout_extras, layout_key, layout_params
from projector.trails import trails
from projector.umap import NEIGHBOURS, OPTIMISING, UMAPParams
from projector.view import Selection, View
from projector.workspace import Workspace
from tests.logdirs import write_tensorboardx_steps
from tests.test_layout_job import FakeReporter

pytestmark = pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")

N = 90
STEPS = (0, 10, 20)
FORM = {"n_neighbors": 10, "min_dist": 0.1, "seed": 0, "aligned": ["on"]}


def drifting() -> list[np.ndarray]:
    """Three clusters in 8 dimensions, a little noise added at each step; the same rows throughout."""
    rng = np.random.default_rng(0)
    base = np.eye(3, 8)[np.arange(N) % 3] * 8 + rng.normal(size=(N, 8))
    return [(base + 0.3 * k * rng.normal(size=base.shape)).astype(np.float32) for k in range(len(STEPS))]


@pytest.fixture(scope="module")
def fitted():
    calls: list[tuple[str, int, int]] = []
    layouts, stopped = aligned_layouts(drifting(), UMAPParams(n_neighbors=10), lambda *c: calls.append(c) and False)
    return layouts, stopped, calls


def test_every_step_is_laid_out_and_each_stays_close_to_the_step_before(fitted):
    layouts, stopped, _ = fitted
    assert not stopped and len(layouts) == len(STEPS)
    assert all(
        layout.shape == (N, 2) and layout.dtype == np.float32 and np.isfinite(layout).all() for layout in layouts
    )
    for before, after in zip(layouts, layouts[1:]):
        moved = np.linalg.norm(after - before, axis=1)
        assert np.median(moved) < 0.15 * np.ptp(before, axis=0).max()  # the layout travels, it does not jump
    clusters = np.arange(N) % 3
    for layout in layouts:  # and each step is a UMAP of its own: the three clusters apart
        centres = np.array([layout[clusters == c].mean(axis=0) for c in range(3)])
        spread = max(layout[clusters == c].std(axis=0).max() for c in range(3))
        gaps = [np.linalg.norm(centres[a] - centres[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
        assert min(gaps) > 2 * spread


def test_progress_names_each_steps_graph_then_the_epochs(fitted):
    calls = fitted[2]
    graphs = [c for c in calls if c[0] == NEIGHBOURS]
    assert graphs == [(NEIGHBOURS, k, len(STEPS)) for k in range(len(STEPS) + 1)]
    epochs = [c[1] for c in calls if c[0] == OPTIMISING]
    assert epochs[0] == 0 and epochs[-1] == N_EPOCHS and epochs == sorted(epochs) and len(epochs) > 10


def test_a_stop_while_optimising_keeps_the_layouts_reached_and_one_while_finding_neighbours_none():
    layouts, stopped = aligned_layouts(
        drifting(), UMAPParams(n_neighbors=10), lambda s, d, t: s == OPTIMISING and d >= 20
    )
    assert stopped and len(layouts) == len(STEPS) and all(np.isfinite(layout).all() for layout in layouts)
    layouts, stopped = aligned_layouts(
        drifting(), UMAPParams(n_neighbors=10), lambda s, d, t: s == NEIGHBOURS and d >= 1
    )
    assert stopped and layouts == []
    import umap.aligned_umap as module  # the fit's swaps are undone

    assert module.UMAP.__name__ == "UMAP" and module.optimize_layout_aligned_euclidean.__name__ != "reporting"


def test_steps_that_cannot_be_aligned_are_refused_with_a_reason():
    for sizes, words in (
        ([10], "two steps"),
        ([10, 12], "same points"),
        ([MAX_POINTS // 2 + 1] * 2, "isolate fewer points"),
    ):
        with pytest.raises(InputError, match=words):
            check_steps(sizes)
    with pytest.raises(InputError, match="identical"):
        aligned_layouts([np.ones((10, 3), np.float32)] * 2, UMAPParams(n_neighbors=3))


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    rows = [f"p{i}" for i in range(N)]
    root = write_tensorboardx_steps(
        tmp_path_factory.mktemp("aligned") / "logdir", [("f", s, v, rows) for s, v in zip(STEPS, drifting())]
    )
    workspace = Workspace(root, cache_root=tmp_path_factory.mktemp("cache"))
    return workspace, workspace.listing(".").specs[0].key


def aligned_job(workspace, view, tmp_path, reporter=None, form=FORM):
    return run_layout_job(
        workspace=workspace,
        board=JobBoard(tmp_path / "board"),
        slots=JobSlots(tmp_path / "slots", 2, 10),
        reporter=reporter or FakeReporter(),
        method="umap",
        token="u1",
        session="s1",
        view=view,
        dimension=2,
        spherized=False,
        form=form,
    )


def test_one_run_lays_out_every_step_and_each_step_then_opens_from_the_cache(stepped, tmp_path):
    workspace, key = stepped
    reporter = FakeReporter()
    outcome = aligned_job(workspace, View.of(key, None, step=STEPS[1]), tmp_path, reporter)
    assert outcome.status == f"done: {len(STEPS)} steps laid out aligned" and outcome.done is not None
    assert any(f"(aligned over {len(STEPS)} steps)" in stage for stage in reporter.stages)
    params, _ = layout_params("umap", 2, N, FORM)
    for step in STEPS:  # every step, not only the one shown, is in the shared cache under its own key
        data = workspace.dataset(key, step=step)
        spec, status = choose_spec(workspace, data, None, False, Request("umap", [0, 1], FORM))
        assert spec["method"] == "umap" and status == "Finished layout (from the shared cache)."
        assert spec["result"] == layout_key(
            workspace, data, None, False, "umap", params, **layout_extras("umap", data, FORM)
        )
    alone = choose_spec(workspace, data, None, False, Request("umap", [0, 1], {**FORM, "aligned": []}))
    assert alone[0]["method"] == "pca"  # a UMAP of one step alone is another layout, not run yet
    assert "press Run" in alone[1] and "aligned" not in alone[1]
    # The trails follow a point through the aligned layouts of every step.
    view = View.of(key, None, step=STEPS[-1])
    shown = choose_spec(workspace, data, None, False, Request("umap", [0, 1], FORM))[0]
    found = trails(workspace, view, False, shown, Selection.of(key, [4]), FORM)
    assert found.steps == STEPS and np.isfinite(found.coords).all()


def test_only_umap_on_a_tensor_with_steps_is_aligned(stepped, tmp_path):
    workspace, key = stepped
    data = workspace.dataset(key)
    assert layout_extras("umap", data, FORM) == {"aligned": ",".join(map(str, STEPS))}
    assert layout_extras("umap", data, {**FORM, "aligned": []}) == {}
    assert layout_extras("tsne", data, FORM) == {}
    (tmp_path / "logdir").mkdir()
    single = Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")
    upload = single.add_upload("v.tsv", b"1\t2\n3\t4\n5\t6\n7\t9\n")
    assert layout_extras("umap", single.dataset(upload), FORM) == {}
    status = choose_spec(workspace, data, None, False, Request("umap", [0, 1], FORM))[1]
    assert status.startswith("Finished") or f"all {len(STEPS)} steps, aligned" in status


def test_an_isolated_subset_counts_only_its_own_points_against_the_bound(stepped, tmp_path, monkeypatch):
    workspace, key = stepped
    monkeypatch.setattr(aligned_umap, "MAX_POINTS", 200)  # 3 steps of 90 points: 270
    other = {**FORM, "seed": 5}  # not laid out yet by the test before
    with pytest.raises(InputError, match="isolate fewer points"):
        aligned_job(workspace, View.of(key, None, step=STEPS[0]), tmp_path, form=other)
    outcome = aligned_job(workspace, View.of(key, list(range(60)), step=STEPS[0]), tmp_path, form=other)  # 3 × 60
    assert outcome.status == f"done: {len(STEPS)} steps laid out aligned"
