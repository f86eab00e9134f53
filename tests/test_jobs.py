import contextlib
import fcntl
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import numpy as np
import pytest
import redis

from projector import jobs
from projector.cache import ResultCache
from projector.jobs import JobBoard, JobQueueDown, JobRefused, JobSlots, pack_layout, unpack_layout


def test_stop_requests_are_seen_by_another_handle(tmp_path):
    web, job = JobBoard(tmp_path), JobBoard(tmp_path)
    assert not job.requested("a")
    web.request("a")
    assert job.requested("a") and not job.requested("b")


def test_a_job_nobody_asks_about_is_abandoned(tmp_path, monkeypatch):
    flags = JobBoard(tmp_path)
    assert flags.abandoned("t")  # never seen
    flags.seen("t")
    assert not flags.should_stop("t")
    now = time.time()
    monkeypatch.setattr(jobs.time, "time", lambda: now + jobs.ABANDONED_S + 1)
    assert flags.abandoned("t") and flags.should_stop("t")
    patient = JobBoard(tmp_path, abandon_s=jobs.ABANDONED_S + 10)  # the server's --job-abandon-after
    assert not patient.abandoned("t")


def test_a_session_runs_one_job_of_a_kind_the_newest(tmp_path):
    flags = JobBoard(tmp_path)
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


@contextlib.contextmanager
def slot_held_elsewhere(directory):
    """Another process holds the one slot of ``directory`` until the block ends (or ``release`` is set)."""
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_slot, args=(str(directory), "first", started, release))
    holder.start()
    try:
        assert started.wait(10)
        yield release
    finally:
        release.set()
        holder.join(10)


def test_slots_bound_running_jobs_across_processes_and_queue_in_order(tmp_path):
    with slot_held_elsewhere(tmp_path) as release:
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


def test_requests_at_the_same_moment_never_queue_more_than_the_queue_holds(tmp_path):
    slots = JobSlots(tmp_path, 1, 3)
    release, barrier = threading.Event(), threading.Barrier(12)
    outcomes: list[str] = []
    most_tickets = [0]

    def waiting(ahead: int) -> bool:
        most_tickets[0] = max(most_tickets[0], len(list((tmp_path / "queue").glob("*.ticket"))))
        return False

    def job(i: int) -> None:
        barrier.wait()
        try:
            with slots.slot(f"t{i}", waiting):
                outcomes.append("ran")
                release.wait(10)
        except JobRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=job, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    assert most_tickets[0] <= 3 and outcomes.count("refused") >= 8, (most_tickets, outcomes)
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 12 and 1 <= outcomes.count("ran") <= 4, outcomes


def test_a_waiting_job_locks_only_the_ticket_ahead_of_it(tmp_path, monkeypatch):
    with slot_held_elsewhere(tmp_path):
        queue = tmp_path / "queue"
        for i in range(50):  # jobs ahead, waiting (their tickets are held)
            fd = os.open(queue / f"{i:020d}-1-x.ticket", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        looks = []
        real = jobs._held
        monkeypatch.setattr(jobs, "_held", lambda path: looks.append(path.name) or real(path))
        polls = []

        def waiting(ahead: int) -> bool:
            polls.append(ahead)
            return len(polls) >= 3

        with JobSlots(tmp_path, 1, 100).slot("last", waiting) as running:
            assert not running
        assert polls == [50, 50, 50]
        per_poll = (len(looks) - 51) / 3  # the queue's count when the ticket was taken, then the polls
        assert per_poll <= 1, looks


def test_giving_up_while_queued_and_a_full_queue(tmp_path):
    with slot_held_elsewhere(tmp_path):
        with JobSlots(tmp_path, 1, 10).slot("quitter", lambda ahead: True) as running:
            assert not running
        assert JobSlots(tmp_path, 1, 10).waiting() == []  # its ticket is gone
        with pytest.raises(JobRefused, match="busy"):
            with JobSlots(tmp_path, 1, 0).slot("refused", lambda ahead: False):
                pass


def test_a_job_tells_it_started_beats_and_finished(tmp_path):
    board = JobBoard(tmp_path)
    assert board.state("t") == {"started": None, "finished": None, "silent_s": None}
    with board.heartbeat("t", every_s=0.05):
        board.started("t", "run::tensor|all")
        time.sleep(0.3)
        assert board.state("t")["silent_s"] < 0.2
    time.sleep(0.3)
    state = board.state("t")
    assert state["started"]["view"] == "run::tensor|all" and state["silent_s"] >= 0.25 and not state["finished"]
    board.finished("t", "done")
    assert board.state("t")["finished"] == "done"


def test_a_layout_survives_packing():
    layout = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    assert np.array_equal(unpack_layout(pack_layout(layout)), layout)


@pytest.fixture(scope="module")
def redis_url():
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (make test installs Debian's redis-server)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


def test_boards_on_two_machines_share_stops_and_claims_through_redis(tmp_path, redis_url):
    web, worker = JobBoard(tmp_path / "web", redis_url), JobBoard(tmp_path / "worker", redis_url)
    web.request("a")
    assert worker.requested("a") and not worker.requested("b")
    worker.started("b", "v")
    worker.finished("b", "stopped")
    assert web.state("b")["finished"] == "stopped" and web.state("b")["started"]["view"] == "v"
    assert web.claim("s", "tsne", "c") is None and worker.claim("s", "tsne", "d") == "c" and web.requested("c")


def test_a_board_without_redis_says_so():
    board = JobBoard("/nonexistent", "redis://127.0.0.1:1/0")
    with pytest.raises(JobQueueDown, match="cannot be reached"):
        board.requested("a")


def test_layouts_reach_a_machine_with_another_cache_through_redis(tmp_path, redis_url):
    web, worker = ResultCache(tmp_path / "web"), ResultCache(tmp_path / "worker")
    web.remote = worker.remote = redis.Redis.from_url(redis_url)
    layout = np.arange(12, dtype=np.float32).reshape(6, 2)
    worker.set("tsne-1", layout, meta={"status": "done"})
    assert np.array_equal(web.get("tsne-1"), layout) and web.get_meta("tsne-1") == {"status": "done"}
    web.remote = None  # now kept on the web machine's own disk
    assert np.array_equal(web.get("tsne-1"), layout)


def test_a_layout_no_disk_takes_is_held_in_memory(tmp_path):
    results = ResultCache(tmp_path / "results")
    shutil.rmtree(tmp_path / "results")
    (tmp_path / "results").write_text("not a directory")  # as a cache that can no longer be written
    layout = np.ones((4, 2), dtype=np.float32)
    with pytest.raises((OSError, sqlite3.Error)):  # another process opening the broken directory
        ResultCache(tmp_path / "results").set("k", layout)
    results.hold("k", layout, {"status": "done"})
    assert np.array_equal(results.get("k"), layout) and results.get_meta("k") == {"status": "done"}


def test_a_dead_job_says_what_it_died_of(tmp_path, monkeypatch):
    fork = "fork() called from a process already using GNU OpenMP, this is unsafe."
    assert jobs.death_cause(-signal.SIGABRT, fork).text == f"aborted: {fork}"
    assert jobs.death_cause(-signal.SIGABRT).text == "aborted (SIGABRT)"
    assert jobs.death_cause(-signal.SIGTERM, "Terminating: x").text == "was ended by SIGTERM: Terminating: x"
    assert jobs.death_cause(3, "ValueError: bad").text == "exited with status 3: ValueError: bad"
    assert jobs.death_cause(None).text == "ended, and how is not known on this server"
    events = tmp_path / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n")
    assert jobs.oom_kills(events) == 1 and jobs.oom_kills(tmp_path / "missing") is None
    killed = jobs.death_cause(-signal.SIGKILL, "", oom_before=1)  # no OOM kill since the job started
    assert killed == jobs.Death("was killed (SIGKILL)", out_of_memory=False)
    monkeypatch.setattr(jobs, "oom_kills", lambda: 2)
    oom = jobs.death_cause(-signal.SIGKILL, "", oom_before=1)
    assert oom.out_of_memory and "out-of-memory killer" in oom.text


def _abort_after_writing(logs: jobs.JobLogs) -> None:
    logs.capture("job-token")
    os.write(2, b"first line\nTerminating: the last words\n")
    os.abort()


def test_a_job_logs_last_line_survives_an_abort(tmp_path):
    logs = jobs.JobLogs(tmp_path / "logs")
    child = multiprocessing.get_context("fork").Process(target=_abort_after_writing, args=(logs,))
    child.start()
    child.join(20)
    assert child.exitcode == -signal.SIGABRT
    deadline = time.monotonic() + 5  # tee copies the last bytes as the pipe closes
    while time.monotonic() < deadline and not logs.last_line("job-token"):
        time.sleep(0.05)
    assert logs.last_line("job-token") == "Terminating: the last words"
    assert logs.path("../../etc/passwd").parent == tmp_path / "logs"  # a token names no path
    logs.discard("job-token")
    assert logs.last_line("job-token") == "" and not logs.path("job-token").exists()


def test_admission_counts_every_process_and_each_sessions():
    admission = jobs.JobAdmission(limit=3, per_session=2)
    assert admission.refusal(0, 0) is None and admission.refusal(2, 1) is None
    assert "server is busy: 3 layouts" in admission.refusal(3, 0)
    assert "This browser already has 2 layouts" in admission.refusal(1, 2)


def test_a_job_refused_before_its_fork_answers_in_the_request(tmp_path):
    import diskcache
    from flask import Flask

    from callbacks.jobs import TrackedDiskcacheManager, refusal

    manager = TrackedDiskcacheManager(diskcache.Cache(str(tmp_path)), admission=jobs.JobAdmission(limit=0))
    seen = []

    def job_fn(key, progress_key, args, context):
        seen.append((refusal(), os.getpid()))

    with Flask(__name__).test_request_context("/"):
        job = manager.call_job_fn("key", job_fn, [], {})
    assert job == manager.REFUSED
    assert len(seen) == 1 and "server is busy" in seen[0][0] and seen[0][1] == os.getpid()  # no process forked
    assert refusal() is None  # the next job of this thread is not refused by it
    assert not manager.job_running(str(job))
    manager.terminate_job(str(job))  # kills nothing (Dash passes the id back as text)
