"""Layout jobs shared between the web process and job processes: stop requests, who still waits for a
job, one job per browser session and kind, and a bounded number of jobs running at once."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import signal
import time
from pathlib import Path
from typing import Callable, Iterator

import diskcache

from projector.errors import ProjectorError

log = logging.getLogger(__name__)

STOP_TTL_S = 3600
ABANDONED_S = 30.0  # a job nobody has asked about for this long is stopped (its page is gone)
POLL_S = 0.5  # how often a queued job looks for a free slot


class JobRefused(ProjectorError):
    """The server has as many jobs waiting as it will queue."""


class StopFlags:
    """A small on-disk board of job tokens: stop requests, when each job's page last asked about it, and
    which job each browser session runs of each kind."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = diskcache.Cache(str(directory))

    def request(self, token: str) -> None:
        self._cache.set(f"stop:{token}", True, expire=STOP_TTL_S)

    def requested(self, token: str) -> bool:
        return bool(self._cache.get(f"stop:{token}", False))

    def seen(self, token: str) -> None:
        """The job's page is still open (it says so every few seconds while the job runs)."""
        self._cache.set(f"seen:{token}", time.time(), expire=STOP_TTL_S)

    def abandoned(self, token: str, after_s: float = ABANDONED_S) -> bool:
        """Whether the job's page has not said it is open for ``after_s`` seconds."""
        last = self._cache.get(f"seen:{token}")
        return last is None or time.time() - float(last) > after_s  # type: ignore[arg-type]

    def should_stop(self, token: str) -> bool:
        """A stop was requested, or nobody waits for the job any more."""
        return self.requested(token) or self.abandoned(token)

    def claim(self, session: str, kind: str, token: str) -> str | None:
        """Make ``token`` the one ``kind`` job of ``session``; the job it replaces (asked to stop) or None."""
        key = f"running:{session}:{kind}"
        with self._cache.transact():
            previous = self._cache.get(key)
            self._cache.set(key, token, expire=STOP_TTL_S)
        if previous and previous != token:
            self.request(str(previous))
            return str(previous)
        return None


class JobSlots:
    """At most ``slots`` jobs run at once across the processes of one machine; the others wait in line.

    A job holds an exclusive ``flock`` on one slot file while it runs, and one on its ticket file while it
    waits: a job process that dies (killed, out of memory) lets go of both, so nothing needs cleaning up.
    """

    def __init__(self, directory: str | Path, slots: int, max_waiting: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.directory = Path(directory)
        self.slots = slots
        self.max_waiting = max_waiting
        (self.directory / "queue").mkdir(parents=True, exist_ok=True)

    def waiting(self) -> list[Path]:
        """Tickets of the jobs waiting now, oldest first (tickets of dead processes are removed)."""
        alive = []
        for ticket in sorted((self.directory / "queue").glob("*.ticket")):
            if _held(ticket):
                alive.append(ticket)
            else:
                ticket.unlink(missing_ok=True)
        return alive

    def running(self) -> int:
        """How many slots are taken."""
        return sum(_held(self.directory / f"slot-{i}") for i in range(self.slots))

    @contextlib.contextmanager
    def slot(self, token: str, on_wait: Callable[[int], bool]) -> Iterator[bool]:
        """Wait for a free slot and hold it for the ``with`` block; yields False when ``on_wait(position)``
        (called every ``POLL_S`` while waiting, with the number of jobs ahead) asks to give up.

        JobRefused when ``max_waiting`` jobs wait already.
        """
        waiting = self.waiting()
        if len(waiting) >= self.max_waiting:
            raise JobRefused(
                f"The server is busy: {self.running()} layouts are running and {len(waiting)} are waiting, "
                "as many as it queues. Try again in a few minutes."
            )
        ticket = self.directory / "queue" / f"{time.time_ns():020d}-{os.getpid()}-{token[:40]}.ticket"
        ticket_fd = _lock(ticket, blocking=True)
        slot_fd = None
        try:
            while True:
                ahead = [t for t in self.waiting() if t.name < ticket.name]
                if not ahead:
                    slot_fd = self._take()
                    if slot_fd is not None:
                        break
                if on_wait(len(ahead) + (0 if ahead else self.running())):
                    yield False
                    return
                time.sleep(POLL_S)
            _release(ticket_fd, ticket)
            ticket_fd = None
            yield True
        finally:
            if ticket_fd is not None:
                _release(ticket_fd, ticket)
            if slot_fd is not None:
                os.close(slot_fd)

    def _take(self) -> int | None:
        for i in range(self.slots):
            fd = _lock(self.directory / f"slot-{i}", blocking=False)
            if fd is not None:
                return fd
        return None


def _lock(path: Path, blocking: bool) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(fd: int, path: Path) -> None:
    path.unlink(missing_ok=True)
    os.close(fd)


def _held(path: Path) -> bool:
    """Whether another process holds the lock on ``path``."""
    if not path.exists():
        return False
    fd = _lock(path, blocking=False)
    if fd is None:
        return True
    os.close(fd)
    return False


def die_with_parent() -> None:
    """Ask Linux to stop this (job) process when the process that started it ends, however it ends."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the server's own shutdown stops its jobs
        log.debug("prctl(PR_SET_PDEATHSIG) is not available here")
