"""A layout job as the engine runs it, without Dash: cache hits, stops, the queue, a cache that cannot be written,
one job per browser session."""

from __future__ import annotations

import numpy as np
import pytest

from projector import layout_job
from projector.jobs import JobBoard, JobSlots, unpack_layout
from projector.layout_job import run_layout_job
from projector.projection import layout_key, layout_params
from projector.view import View
from projector.workspace import Workspace

FORM = {
    "perplexity": 5,
    "learning_rate": "auto",
    "iterations": 100,
    "seed": 1,
    "supervise_column": None,
    "supervise_weight": 0,
}


class FakeReporter:
    """Records what a job reports; ``stop_at`` says after how many calls of a kind to ask it to stop."""

    def __init__(self, stop_at: dict[str, int] | None = None, on_frame=None) -> None:
        self.stages: list[str] = []
        self.frames: list[tuple[int, tuple[int, ...], str]] = []
        self.stop_at = stop_at or {}
        self.on_frame = on_frame

    def stage(self, text: str, done: int, total: int) -> bool:
        self.stages.append(text)
        return len(self.stages) >= self.stop_at.get("stage", 10**9)

    def frame(self, iteration: int, layout: np.ndarray, status: str) -> bool:
        self.frames.append((iteration, layout.shape, status))
        if self.on_frame:
            self.on_frame()
        return len(self.frames) >= self.stop_at.get("frame", 10**9)


@pytest.fixture
def job(tmp_path):
    """A small uploaded tensor, its view, and a function running a t-SNE job on it."""
    (tmp_path / "logdir").mkdir()
    workspace = Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")
    vectors = np.random.default_rng(0).normal(size=(40, 6))
    key = workspace.add_upload("v.tsv", "".join("\t".join(map(str, row)) + "\n" for row in vectors).encode())
    board, slots = JobBoard(tmp_path / "board"), JobSlots(tmp_path / "slots", 2, 10)
    view = View.of(key, None)

    def run(token="t1", session="s1", reporter=None, form=FORM):
        return run_layout_job(
            workspace=workspace,
            board=board,
            slots=slots,
            reporter=reporter or FakeReporter(),
            method="tsne",
            token=token,
            session=session,
            view=view,
            dimension=2,
            spherized=False,
            form=form,
        )

    def key_of(form=FORM, **extra):
        data = workspace.dataset(key)
        params, _ = layout_params("tsne", 2, data.n, form)
        return layout_key(workspace, data, None, False, "tsne", params, **extra)

    run.workspace, run.board, run.slots, run.key_of = workspace, board, slots, key_of
    return run


def test_a_run_stores_its_layout_and_returns_its_key(job):
    reporter = FakeReporter()
    ended = job(reporter=reporter)
    assert ended.status == "iteration 100 of 100: done" and ended.messages == []
    assert ended.done["result"] == job.key_of() and ended.done["method"] == "tsne" and ended.done["token"] == "t1"
    assert job.workspace.results.get(job.key_of()).shape == (40, 2)
    assert job.workspace.results.get_meta(job.key_of())["stopped"] is False
    assert [f[0] for f in reporter.frames] == [25, 50, 75, 100] and reporter.frames[0][1:] == (
        (40, 2),
        "iteration 25 of 100",
    )
    assert job.board.state("t1")["finished"] == "done"


def test_a_cache_hit_answers_at_once_without_running(job, monkeypatch):
    job.workspace.results.set(job.key_of(), np.zeros((40, 2), dtype=np.float32), meta={"status": "done"})
    monkeypatch.setattr(layout_job, "tsne", lambda *a, **k: pytest.fail("ran t-SNE for a cached layout"))
    reporter = FakeReporter()
    ended = job(reporter=reporter)
    assert ended.status == layout_job.FROM_CACHE and ended.done["result"] == job.key_of()
    assert reporter.stages == [] and reporter.frames == []


def test_a_job_stopped_while_queued_runs_nothing(job, monkeypatch):
    monkeypatch.setattr(layout_job, "tsne", lambda *a, **k: pytest.fail("ran t-SNE while stopped in the queue"))
    full = JobSlots(job.slots.directory, 1, 10)
    job.slots.slots = 1
    with full.slot("other", lambda ahead: False) as running:  # the one slot is taken
        assert running
        reporter = FakeReporter(stop_at={"stage": 2})
        ended = job(reporter=reporter)
    assert ended.status == layout_job.STOPPED_WHILE_QUEUED and ended.done is None
    assert reporter.stages == ["queued: 1 layout ahead of this one"] * 2
    assert job.workspace.results.get_meta(job.key_of()) is None


def test_a_layout_stopped_mid_run_is_kept_under_its_own_key(job):
    ended = job(reporter=FakeReporter(stop_at={"frame": 1}))
    stopped = job.key_of(stopped="t1")
    assert ended.status == "iteration 25 of 100: stopped" and ended.done["result"] == stopped != job.key_of()
    assert job.workspace.results.get_meta(stopped)["iteration"] == 25
    assert job.workspace.results.get_meta(job.key_of()) is None  # never served as the finished layout


def test_a_stop_from_the_board_ends_the_run(job):
    reporter = FakeReporter(on_frame=lambda: job.board.request("t1"))  # the page's Stop
    ended = job(reporter=reporter)
    assert ended.status == "iteration 25 of 100: stopped" and len(reporter.frames) == 1


def test_a_cache_that_cannot_be_written_still_returns_the_layout(job, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(job.workspace.results, "set", full)
    ended = job()
    assert ended.status == "iteration 100 of 100: done" and ended.level == "warning"
    assert len(ended.messages) == 1 and "could not be saved" in ended.messages[0]
    assert unpack_layout(ended.done["layout"]).shape == (40, 2)


def test_a_newer_job_of_the_session_stops_the_older(job):
    newer = {}

    def press_run_again():
        if not newer:  # the same browser presses Run again while the first job runs
            newer["ended"] = job(token="t2", reporter=FakeReporter(), form={**FORM, "seed": 2})

    older = job(token="t1", reporter=FakeReporter(on_frame=press_run_again))
    assert older.status == "iteration 25 of 100: stopped" and older.done["result"] == job.key_of(stopped="t1")
    assert newer["ended"].status == "iteration 100 of 100: done"


def test_another_sessions_job_does_not_stop_it(job):
    other = {}

    def another_browser_runs():
        if not other:
            other["ended"] = job(token="t2", session="s2", reporter=FakeReporter(), form={**FORM, "seed": 2})

    ended = job(token="t1", reporter=FakeReporter(on_frame=another_browser_runs))
    assert ended.status == "iteration 100 of 100: done" and other["ended"].status.endswith("done")


def test_a_later_steps_run_starts_from_the_step_before_it(tmp_path, monkeypatch):
    from tests.logdirs import write_tensorboardx_steps

    rng = np.random.default_rng(2)
    first = rng.normal(size=(40, 6)).astype(np.float32)
    calls = [("v", 0, first, None), ("v", 5, first + 0.01 * rng.normal(size=(40, 6)).astype(np.float32), None)]
    workspace = Workspace(write_tensorboardx_steps(tmp_path / "logdir", calls), cache_root=tmp_path / "cache")
    key = workspace.listing(".").specs[0].key
    board, slots = JobBoard(tmp_path / "board"), JobSlots(tmp_path / "slots", 2, 10)
    seen = []
    real = layout_job.tsne

    def recording(vectors, params, **inputs):
        seen.append(inputs.get("initialization"))
        return real(vectors, params, **inputs)

    monkeypatch.setattr(layout_job, "tsne", recording)

    def run(view, token):
        return run_layout_job(
            workspace=workspace,
            board=board,
            slots=slots,
            reporter=FakeReporter(),
            method="tsne",
            token=token,
            session="s1",
            view=view,
            dimension=2,
            spherized=False,
            form=FORM,
        )

    earlier = run(View(key, step=0), "t1")  # the first step has none before it: openTSNE's own start
    assert seen[-1] is None and earlier.status == "iteration 100 of 100: done"
    later = run(View(key), "t2")
    np.testing.assert_array_equal(seen[-1], workspace.results.get(earlier.done["result"]))
    assert later.status == "iteration 100 of 100: done (started from step 0's layout)"
    params, _ = layout_params("tsne", 2, 40, FORM)  # stored under its settings, found as any layout is
    assert later.done["result"] == layout_key(workspace, workspace.dataset(key), None, False, "tsne", params)
