"""A job process forked while another server thread writes to a disk cache can still use that cache."""

from __future__ import annotations

import os
import threading
import time

import diskcache

from projector import forksafe
from projector.cache import LRUCache


def fork_and_run(child) -> tuple[int, float]:
    """Fork; the child runs ``child()`` and exits 0 when it returns True within 10 s. (exit status, fork time)."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            signal_alarm()
            code = 0 if child() else 1
        finally:
            os._exit(code)
    forked = time.monotonic() - started
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), forked


def signal_alarm() -> None:
    import signal

    signal.alarm(10)  # a child that hangs is killed: exit -14


def writer(cache: diskcache.Cache, inside: threading.Event, seconds: float) -> threading.Thread:
    def run() -> None:
        with cache.transact():
            cache.set("busy", 1)
            inside.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def child_writes(cache: diskcache.Cache):
    def run() -> bool:
        cache.set("from-child", 2)
        return cache.get("from-child") == 2

    return run


def test_a_fork_waits_for_an_operation_under_way_and_the_child_can_write(tmp_path):
    cache = forksafe.Cache(str(tmp_path / "c"), timeout=2)
    inside = threading.Event()
    thread = writer(cache, inside, 0.6)
    inside.wait(5)
    code, forked = fork_and_run(child_writes(cache))
    thread.join()
    assert code == 0
    assert forked >= 0.3  # the fork waited for the transaction to end
    assert cache.get("from-child") == 2 and cache.get("busy") == 1
    assert forksafe.GATE.holders == 0


def test_a_plain_diskcache_forked_mid_transaction_is_stuck_in_the_child(tmp_path):
    """What the gate prevents: the child inherits a lock no thread of it will release."""
    cache = diskcache.Cache(str(tmp_path / "c"), timeout=2)
    inside = threading.Event()
    thread = writer(cache, inside, 1.0)
    inside.wait(5)
    code, _ = fork_and_run(child_writes(cache))
    thread.join()
    assert code != 0


def test_the_gate_is_reentrant_and_a_thread_holding_it_may_fork(tmp_path):
    cache = forksafe.Cache(str(tmp_path / "c"))
    with cache.transact():
        cache.set("a", 1)
        assert forksafe.GATE.holders == 1
        code, _ = fork_and_run(lambda: True)
    assert code == 0
    assert forksafe.GATE.holders == 0
    assert list(cache) == ["a"]


def test_threads_blocked_by_a_fork_go_on_afterwards(tmp_path):
    cache = forksafe.Cache(str(tmp_path / "c"))
    done = []

    def busy() -> None:
        for i in range(200):
            cache.set(i, i)
        done.append(True)

    threads = [threading.Thread(target=busy) for _ in range(3)]
    for thread in threads:
        thread.start()
    codes = [fork_and_run(lambda: cache.get(0) in (0, None))[0] for _ in range(5)]
    for thread in threads:
        thread.join(30)
    assert codes == [0] * 5 and len(done) == 3
    assert len(cache) == 200


def test_a_value_being_computed_at_the_fork_is_computed_again_in_the_child():
    kind = "dataset"
    cache = LRUCache({kind: 4})
    computing, release = threading.Event(), threading.Event()

    def slow() -> str:
        computing.set()
        release.wait(5)
        return "parent"

    thread = threading.Thread(target=lambda: cache.get_or_compute(kind, "k", slow))
    thread.start()
    computing.wait(5)
    code, _ = fork_and_run(lambda: cache.get_or_compute(kind, "k", lambda: "child") == "child")
    release.set()
    thread.join()
    assert code == 0
    assert cache.get_or_compute(kind, "k", lambda: "again") == "parent"


def test_a_thread_that_ends_closes_its_connection_under_the_gate(tmp_path):
    """An ending thread's SQLite close is held back while a fork is under way, like any operation."""
    cache = forksafe.Cache(str(tmp_path / "c"))
    used, leave = threading.Event(), threading.Event()

    def user() -> None:
        cache.set("a", 1)
        used.set()
        leave.wait(5)

    thread = threading.Thread(target=user)
    thread.start()
    used.wait(5)
    forksafe.GATE.before_fork()
    try:
        leave.set()
        thread.join(0.5)
        closing_waited = thread.is_alive()
    finally:
        forksafe.GATE.after_fork_in_parent()
    thread.join(5)
    assert closing_waited and not thread.is_alive()
    assert cache.get("a") == 1


def test_a_connection_closed_inside_an_operation_does_not_wait_for_a_pending_fork(tmp_path):
    """A cache freed while this thread holds the gate closes its connection at once: the fork it would
    wait for is itself waiting for this thread."""
    import gc
    import sqlite3

    forking = threading.Thread(target=lambda: (forksafe.GATE.before_fork(), forksafe.GATE.after_fork_in_parent()))
    seen = []

    def work() -> None:
        a, b = forksafe.Cache(str(tmp_path / "a")), forksafe.Cache(str(tmp_path / "b"))
        b.set("x", 1)
        connection = b._con
        with a.transact():
            forking.start()
            time.sleep(0.3)
            seen.append(forksafe.GATE._forking)  # the fork waits for this thread's operation
            del b
            gc.collect()
            try:
                connection.execute("SELECT 1")
            except sqlite3.ProgrammingError as error:
                seen.append(str(error))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(10)
    forking.join(10)
    assert not worker.is_alive() and not forking.is_alive()
    assert seen == [True, "Cannot operate on a closed database."]
