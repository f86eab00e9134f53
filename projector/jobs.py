"""Layout jobs between the web process and job processes (local or Celery workers): stop requests, who still
waits for a job, whether it is alive and how it ended, one job per browser session and kind, and a bounded
number of jobs running at once on a machine."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import fcntl
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

from projector import forksafe
from projector.errors import InputError, ProjectorError
from projector.tensors import parse_tensor_npy

log = logging.getLogger(__name__)

STOP_TTL_S = 3600
ABANDONED_S = 30.0  # a job nobody has asked about for this long is stopped (its page is gone)
MIN_ABANDONED_S = 10.0  # an open page says so every 2.5 s (callbacks.jobs.PING_MS): leave room for a slow one
POLL_S = 0.5  # how often a queued job looks for a free slot
HEARTBEAT_S = 1.0  # how often a job says it is alive
LOST_S = 5.0  # a job silent for this long is dead (its process killed, its worker or Redis gone)
PER_SESSION = 4  # job processes of one browser session at once: a t-SNE and a UMAP, each with one stopping


class JobRefused(ProjectorError):
    """The server has as many jobs waiting as it will queue."""


class JobQueueDown(ProjectorError):
    """Redis, through which Celery jobs are run and followed, does not answer."""


def pack_layout(layout: np.ndarray) -> str:
    """A layout as text for the browser to hand back (when no cache could keep it)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(layout, dtype=np.float32), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def unpack_layout(text: str) -> np.ndarray:
    """A layout packed by :func:`pack_layout`; its header's shape is checked against its bytes before any
    allocation (the text comes back from a page). InputError when it is not such a layout."""
    try:
        return parse_tensor_npy(base64.b64decode(text, validate=True), name="layout")
    except (ValueError, TypeError, ProjectorError):
        raise InputError("The layout sent back by the page cannot be read; press Run again.") from None


class _DiskStore:
    """The board's storage on one machine: a diskcache directory shared by the server and its job processes."""

    def __init__(self, directory: str | Path) -> None:
        self._cache = forksafe.Cache(str(directory))

    def get(self, key: str) -> Any:
        return self._cache.get(key)

    def set(self, key: str, value: Any) -> None:
        self._cache.set(key, value, expire=STOP_TTL_S)

    def swap(self, key: str, value: Any) -> Any:
        cache = self._cache
        with cache.transact():
            previous = cache.get(key)
            cache.set(key, value, expire=STOP_TTL_S)
        return previous


class _RedisStore:
    """The board's storage in Redis, for Celery workers on other machines."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._down = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._where = url.split("@")[-1]  # no password in messages

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except self._down as error:
            raise JobQueueDown(
                f"The job queue (Redis at {self._where}) cannot be reached ({error}); layout jobs cannot run or "
                "report. Ask whoever runs the server to start Redis again."
            ) from None

    def get(self, key: str) -> Any:
        with self._reaching():
            value = self._redis.get(f"projector:{key}")
        return None if value is None else json.loads(value)

    def set(self, key: str, value: Any) -> None:
        with self._reaching():
            self._redis.set(f"projector:{key}", json.dumps(value), ex=STOP_TTL_S)

    def swap(self, key: str, value: Any) -> Any:
        with self._reaching():
            previous = self._redis.set(f"projector:{key}", json.dumps(value), ex=STOP_TTL_S, get=True)
        return json.loads(previous) if isinstance(previous, (str, bytes)) else None


class JobBoard:
    """What the web process and the job processes tell each other about layout jobs, by job token: stop
    requests, when the job's page last asked about it, the job's own heartbeat, how it ended, and which
    job each browser session runs of each kind.

    On disk (a directory) for local job processes; in Redis (``redis_url``) when jobs run on Celery workers,
    which may be on other machines.
    """

    def __init__(self, directory: str | Path, redis_url: str | None = None, abandon_s: float = ABANDONED_S) -> None:
        self._store: _DiskStore | _RedisStore = _RedisStore(redis_url) if redis_url else _DiskStore(directory)
        self.abandon_s = abandon_s

    def request(self, token: str) -> None:
        self._store.set(f"stop:{token}", True)

    def requested(self, token: str) -> bool:
        return bool(self._store.get(f"stop:{token}"))

    def nudge(self, token: str) -> None:
        """Ask a running t-SNE job to perturb its layout at its next frame."""
        self._store.set(f"nudge:{token}", True)

    def nudged(self, token: str) -> bool:
        """Whether a perturbation was asked for since the last call (which takes it)."""
        return bool(self._store.swap(f"nudge:{token}", False))

    def seen(self, token: str) -> None:
        """The job's page is still open (it says so every few seconds while the job runs)."""
        self._store.set(f"seen:{token}", time.time())

    def abandoned(self, token: str) -> bool:
        """Whether the job's page has not said it is open for :attr:`abandon_s` seconds."""
        last = self._store.get(f"seen:{token}")
        return last is None or time.time() - float(last) > self.abandon_s

    def should_stop(self, token: str) -> bool:
        """A stop was requested, or nobody waits for the job any more."""
        return self.requested(token) or self.abandoned(token)

    def claim(self, session: str, kind: str, token: str) -> str | None:
        """Make ``token`` the one ``kind`` job of ``session``; the job it replaces (asked to stop) or None."""
        previous = self._store.swap(f"running:{session}:{kind}", token)
        if previous and previous != token:
            self.request(str(previous))
            return str(previous)
        return None

    def started(self, token: str, view: str) -> None:
        """The job began (on the view named ``view``), in this process."""
        record = {"view": view, "at": time.time(), "pid": os.getpid(), "oom_kills": oom_kills()}
        self._store.set(f"started:{token}", record)
        self.beat(token)

    def beat(self, token: str) -> None:
        self._store.set(f"alive:{token}", time.time())

    def finished(self, token: str, outcome: str) -> None:
        """The job ended and said how (``done``, ``stopped``, ``failed``)."""
        self._store.set(f"finished:{token}", outcome)

    def waiting_since(self, token: str) -> float:
        """When the page first asked about a job (recorded by this first call)."""
        first = self._store.get(f"asked:{token}")
        if first is None:
            first = time.time()
            self._store.set(f"asked:{token}", first)
        return float(first)

    def state(self, token: str) -> dict[str, Any]:
        """What is known of a job: ``started`` (its record or None), ``finished`` (its outcome or None) and
        ``silent_s``, the seconds since its last heartbeat (None before it started)."""
        alive = self._store.get(f"alive:{token}")
        return {
            "started": self._store.get(f"started:{token}"),
            "finished": self._store.get(f"finished:{token}"),
            "silent_s": None if alive is None else time.time() - float(alive),
        }

    @contextlib.contextmanager
    def heartbeat(self, token: str, every_s: float = HEARTBEAT_S) -> Iterator[None]:
        """Beat for ``token`` every ``every_s`` seconds from a thread while the ``with`` block runs."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(every_s):
                try:
                    self.beat(token)
                except Exception as error:  # noqa: BLE001 - the job goes on; its page will say it was lost
                    log.warning("heartbeat of job %s failed: %s", token, error)

        thread = threading.Thread(target=beat, name=f"heartbeat-{token[:8]}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()


class JobAdmission:
    """Whether a server may start one more local job process, decided before it forks: never more processes
    than run and wait (``limit``: the slots and the queue), nor more than ``per_session`` for one browser
    session (a page pressing Run again and again, or a script replaying its request)."""

    def __init__(self, limit: int, per_session: int = PER_SESSION) -> None:
        self.limit = limit
        self.per_session = per_session

    def refusal(self, live: int, live_of_session: int) -> str | None:
        """Why a new job may not start (live processes in all and of the requesting session), or None."""
        if live_of_session >= self.per_session:
            return (
                f"This browser already has {live_of_session} layouts starting or running: wait for one to end "
                "(or press Stop), then press Run again."
            )
        if live >= self.limit:
            return (
                f"The server is busy: {live} layouts are running or waiting, as many as it takes. "
                "Try again in a few minutes."
            )
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
        for ticket in self._tickets():
            if _held(ticket):
                alive.append(ticket)
            else:
                ticket.unlink(missing_ok=True)
        return alive

    def _tickets(self) -> list[Path]:
        return sorted((self.directory / "queue").glob("*.ticket"))

    def running(self) -> int:
        """How many slots are taken."""
        return sum(_held(self.directory / f"slot-{i}") for i in range(self.slots))

    @contextlib.contextmanager
    def slot(self, token: str, on_wait: Callable[[int], bool]) -> Iterator[bool]:
        """Wait for a free slot and hold it for the ``with`` block; yields False when ``on_wait(position)``
        (called every ``POLL_S`` while waiting, with the number of jobs ahead) asks to give up.

        JobRefused when ``max_waiting`` jobs wait already. The count and the new ticket are one step under
        the queue's lock, so requests at the same moment cannot all pass. While waiting, a job locks only the
        ticket just ahead of its own (removing it when its process died, so the line closes up); the others
        are only counted, so a long queue costs no lock per pair of jobs.
        """
        taken, ticket = self._ticket(token)
        ticket_fd: int | None = taken
        slot_fd = None
        try:
            while True:
                ahead = [t for t in self._tickets() if t.name < ticket.name]
                if ahead and not _held(ahead[-1]):
                    ahead[-1].unlink(missing_ok=True)  # its job died: the next poll counts one fewer
                    ahead.pop()
                if not ahead:
                    slot_fd = self._take()
                    if slot_fd is not None:
                        break
                if on_wait(len(ahead) + (0 if ahead else self.running())):
                    yield False
                    return
                time.sleep(POLL_S)
            _release(taken, ticket)
            ticket_fd = None
            yield True
        finally:
            if ticket_fd is not None:
                _release(ticket_fd, ticket)
            if slot_fd is not None:
                os.close(slot_fd)

    def _ticket(self, token: str) -> tuple[int, Path]:
        """A place in the queue, taken with the queue's lock held; JobRefused when the queue is full."""
        queue_fd = _lock(self.directory / "queue.lock", blocking=True)
        assert queue_fd is not None  # a blocking lock waits, it does not give up
        try:
            waiting = self.waiting()
            if len(waiting) >= self.max_waiting:
                raise JobRefused(
                    f"The server is busy: {self.running()} layouts are running and {len(waiting)} are waiting, "
                    "as many as it queues. Try again in a few minutes."
                )
            name = hashlib.sha256(token.encode()).hexdigest()[:16]  # the token comes from the page
            ticket = self.directory / "queue" / f"{time.time_ns():020d}-{os.getpid()}-{name}.ticket"
            ticket_fd = _lock(ticket, blocking=True)
            assert ticket_fd is not None
            return ticket_fd, ticket
        finally:
            os.close(queue_fd)

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


MEMORY_EVENTS = Path("/sys/fs/cgroup/memory.events")  # cgroup v2: counts the OOM killer's kills in this group
TAIL_BYTES = 4096  # of a job's stderr, read for its last line


def oom_kills(events: Path = MEMORY_EVENTS) -> int | None:
    """How many processes the kernel's out-of-memory killer has killed in this cgroup (None: not known)."""
    try:
        for line in events.read_text().splitlines():
            name, _, count = line.partition(" ")
            if name == "oom_kill":
                return int(count)
    except (OSError, ValueError):
        pass
    return None


class Death(NamedTuple):
    """What a job process that ended without a result died of: ``text`` ends "its process …";
    ``out_of_memory`` when the kernel's OOM killer ended it (fewer points may then succeed)."""

    text: str
    out_of_memory: bool = False


def death_cause(exitcode: int | None, last_line: str = "", oom_before: int | None = None) -> Death:
    """What a job process that ended without a result died of.

    ``exitcode`` is the process's (negative: the signal that ended it; None: not known here, as for a
    Celery worker's); ``last_line`` the last line it wrote to stderr; ``oom_before`` :func:`oom_kills`
    when it started, so that a SIGKILL is blamed on memory only when the OOM killer did kill since.
    """
    said = f": {last_line}" if last_line else ""
    if exitcode is None:
        return Death(f"ended{said}" if said else "ended, and how is not known on this server")
    if exitcode >= 0:
        return Death(f"exited with status {exitcode}{said}")
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    if exitcode == -signal.SIGKILL:
        now = oom_kills()
        if oom_before is not None and now is not None and now > oom_before:
            return Death(
                "was killed by the kernel's out-of-memory killer (SIGKILL): the layout needed more memory", True
            )
        return Death(f"was killed (SIGKILL){said}")
    if exitcode == -signal.SIGABRT:
        return Death(f"aborted{said}" if said else "aborted (SIGABRT)")
    return Death(f"was ended by {name}{said}")


class JobLogs:
    """What each local job process writes to stderr, copied to a file per job, so that the server can say what
    a job that died wrote last (a C library's abort message, a Python traceback's last line)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, token: str) -> Path:
        # The token comes from the page: hashed, it names a file without naming a path.
        return self.directory / f"{hashlib.sha256(token.encode()).hexdigest()[:32]}.stderr"

    def capture(self, token: str) -> None:
        """In a job process: copy file descriptor 2 into this job's file, still writing it where it went.

        ``tee`` does the copying from outside the process, so even what is written just before an abort or a
        signal reaches the file.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._prune()
        path = self.path(token)
        try:
            tee = subprocess.Popen(["tee", "-a", str(path)], stdin=subprocess.PIPE, stdout=2, close_fds=True)
        except OSError:  # no tee: the file alone
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            sys.stderr.flush()
            os.dup2(fd, 2)
            os.close(fd)
            return
        assert tee.stdin is not None
        sys.stderr.flush()
        os.dup2(tee.stdin.fileno(), 2)
        tee.stdin.close()

    def last_line(self, token: str) -> str:
        """The last non-empty line the job wrote to stderr ("" if none), at most 300 characters."""
        try:
            with open(self.path(token), "rb") as file:
                file.seek(0, os.SEEK_END)
                file.seek(max(0, file.tell() - TAIL_BYTES))
                tail = file.read().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line.strip() for line in tail.splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""

    def discard(self, token: str) -> None:
        self.path(token).unlink(missing_ok=True)

    def _prune(self, older_than_s: float = STOP_TTL_S) -> None:
        """Forget the files of jobs nobody asked about (their page closed before they ended)."""
        cutoff = time.time() - older_than_s
        for path in self.directory.glob("*.stderr"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
