import multiprocessing
import os
import signal
import time

import pytest

from projector import jobs
from projector.jobs import JobRefused, JobSlots, StopFlags


def test_stop_requests_are_seen_by_another_handle(tmp_path):
    web, job = StopFlags(tmp_path), StopFlags(tmp_path)
    assert not job.requested("a")
    web.request("a")
    assert job.requested("a") and not job.requested("b")


def test_a_job_nobody_asks_about_is_abandoned(tmp_path, monkeypatch):
    flags = StopFlags(tmp_path)
    assert flags.abandoned("t")  # never seen
    flags.seen("t")
    assert not flags.should_stop("t")
    now = time.time()
    monkeypatch.setattr(jobs.time, "time", lambda: now + jobs.ABANDONED_S + 1)
    assert flags.abandoned("t") and flags.should_stop("t")


def test_a_session_runs_one_job_of_a_kind_the_newest(tmp_path):
    flags = StopFlags(tmp_path)
    assert flags.claim("s1", "tsne", "a") is None
    assert flags.claim("s1", "umap", "b") is None and flags.claim("s2", "tsne", "c") is None
    assert flags.claim("s1", "tsne", "d") == "a"
    assert flags.requested("a") and not any(flags.requested(t) for t in "bcd")


def _hold_slot(directory: str, token: str, started, release) -> None:
    slots = JobSlots(directory, 1, 10)
    with slots.slot(token, lambda ahead: False) as running:
        assert running
        started.set()
        release.wait(30)


def test_slots_bound_running_jobs_across_processes_and_queue_in_order(tmp_path):
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_slot, args=(str(tmp_path), "first", started, release))
    holder.start()
    try:
        assert started.wait(10)
        slots = JobSlots(tmp_path, 1, 10)
        assert slots.running() == 1
        positions = []

        def waiting(ahead: int) -> bool:
            positions.append(ahead)
            if len(positions) == 3:
                release.set()
            return False

        with slots.slot("second", waiting) as running:
            assert running and slots.running() == 1
        assert positions[:3] == [1, 1, 1]  # one job ahead (the running one) until it finished
    finally:
        release.set()
        holder.join(10)


def test_a_dead_job_frees_its_slot(tmp_path):
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_slot, args=(str(tmp_path), "doomed", started, release))
    holder.start()
    assert started.wait(10)
    os.kill(holder.pid, signal.SIGKILL)  # as the out-of-memory killer would
    holder.join(10)
    slots = JobSlots(tmp_path, 1, 10)
    with slots.slot("next", lambda ahead: pytest.fail("waited for a dead job")) as running:
        assert running


def test_giving_up_while_queued_and_a_full_queue(tmp_path):
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_slot, args=(str(tmp_path), "first", started, release))
    holder.start()
    try:
        assert started.wait(10)
        with JobSlots(tmp_path, 1, 10).slot("quitter", lambda ahead: True) as running:
            assert not running
        assert JobSlots(tmp_path, 1, 10).waiting() == []  # its ticket is gone
        with pytest.raises(JobRefused, match="busy"):
            with JobSlots(tmp_path, 1, 0).slot("refused", lambda ahead: False):
                pass
    finally:
        release.set()
        holder.join(10)
