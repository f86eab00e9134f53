"""Disk caches that survive the server forking job processes.

Job processes are forked from the multi-threaded web process. SQLite keeps the lock state of every open
database in process memory; a fork taken while another thread is inside an SQLite statement hands the child a
lock that no thread of the child will ever release, and the child's own use of that database then reports
"database is locked" or waits for ever. :class:`Cache` is a ``diskcache.Cache`` whose every operation holds
:data:`GATE` shared, and a fork waits until no operation is under way (and lets none start until it is done).
A thread's connection is closed under the gate too when the thread ends; left to the thread's teardown, its
close would run outside any operation and could be caught by a fork.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import Any, Callable, Iterator, TypeVar

import diskcache

F = TypeVar("F", bound=Callable[..., Any])


class ForkGate:
    """Many threads may hold the gate at once; a fork waits until none does. Holding is re-entrant per thread."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._holders = 0
        self._forking = False
        # How deep each holding thread is, by thread id: no thread-local, which a thread's teardown (where a
        # connection may be closed under the gate) would make anew and never free.
        self._depths: dict[int, int] = {}

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        me = threading.get_ident()
        depth = self._depths.get(me, 0)
        if depth == 0:
            self._enter()
        self._depths[me] = depth + 1
        try:
            yield
        finally:
            if depth == 0:
                del self._depths[me]
                self._leave()
            else:
                self._depths[me] = depth

    def _enter(self) -> None:
        with self._condition:
            while self._forking:
                self._condition.wait()
            self._holders += 1

    def _leave(self) -> None:
        with self._condition:
            self._holders -= 1
            self._condition.notify_all()

    @property
    def holders(self) -> int:
        return self._holders

    def before_fork(self) -> None:
        self._condition.acquire()
        self._forking = True
        mine = 1 if self._depths.get(threading.get_ident()) else 0  # a thread cannot wait for itself
        while self._holders > mine:
            self._condition.wait()

    def after_fork_in_parent(self) -> None:
        self._forking = False
        self._condition.notify_all()
        self._condition.release()

    def after_fork_in_child(self) -> None:
        self._reset()  # the child has one thread; the parent's holders do not exist in it


GATE = ForkGate()
os.register_at_fork(
    before=GATE.before_fork, after_in_parent=GATE.after_fork_in_parent, after_in_child=GATE.after_fork_in_child
)


def _gated(method: F) -> F:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with GATE.held():
            return method(self, *args, **kwargs)

    return call  # type: ignore[return-value]


_OPERATIONS = (
    "__init__ get set add incr decr delete pop touch read push pull peek peekitem expire evict cull clear check "
    "stats volume reset close create_tag_index drop_tag_index __getitem__ __setitem__ __delitem__ __contains__ "
    "__len__"
).split()


class _Closer:
    """Closes one thread's connection, under the gate, when that thread's locals are torn down."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pid = os.getpid()

    def __del__(self) -> None:
        try:
            if self.connection is None or os.getpid() != self.pid:
                return  # replaced after a close, or another thread's locals torn down in a forked child
            with GATE.held():  # at a thread's teardown: waits out a fork; inside an operation: holds it off
                connection, self.connection = self.connection, None
                try:
                    connection.close()
                finally:
                    del connection  # another thread's (a whole cache freed): SQLite closes it here, gated too
        except Exception:  # noqa: BLE001 - interpreter shutdown, another thread's connection, a broken one
            pass


class Cache(diskcache.Cache):  # type: ignore[misc]
    """A ``diskcache.Cache`` that a fork of the process never catches in the middle of an operation."""

    @property
    def _con(self) -> Any:
        connection = diskcache.Cache._con.fget(self)
        closer = getattr(self._local, "closer", None)
        if closer is None or closer.connection is not connection:
            if closer is not None:
                closer.connection = None  # diskcache closed that one when it made this one
            self._local.closer = _Closer(connection)
        return connection

    @contextlib.contextmanager
    def transact(self, retry: bool = False) -> Iterator[None]:
        with GATE.held(), super().transact(retry=retry):
            yield

    def iterkeys(self, reverse: bool = False) -> Iterator[Any]:
        with GATE.held():
            keys = list(super().iterkeys(reverse=reverse))
        return iter(keys)

    def __iter__(self) -> Iterator[Any]:
        return self.iterkeys()

    def __reversed__(self) -> Iterator[Any]:
        return self.iterkeys(reverse=True)


for _name in _OPERATIONS:
    setattr(Cache, _name, _gated(getattr(diskcache.Cache, _name)))
