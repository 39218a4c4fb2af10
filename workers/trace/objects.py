"""Queues, locks and pipes the program makes: depth, holders, who is blocked, traffic.

Only objects the user's code creates are traced (multiprocessing's own queues and
locks, inside a Pool or a Queue, stay untouched): a context's factory method
returns the object, and the tracer switches its class to a traced subclass. The
subclasses pickle their name along, so a child reports under the same name.
"""

from __future__ import annotations

import itertools
import linecache
import multiprocessing
import multiprocessing.connection as mpc
import multiprocessing.context
import multiprocessing.queues as mpq
import multiprocessing.reduction
import multiprocessing.synchronize as mps
import queue
import re
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from workers.trace import blocking, events, userfiles

_TARGET = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*(?::[^=]*)?=(?!=)")
_counter = itertools.count(1)
_names: set[str] = set()


def names_at(frame: FrameType) -> list[str]:
    """The variables the line at ``frame`` assigns to (``q = Queue(3)`` → ``["q"]``)."""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    m = _TARGET.match(line)
    if not m:
        return []
    return [name.strip().rsplit(".", 1)[-1] for name in m.group(1).split(",")]


def _name(kind: str, frame: FrameType, index: int = 0) -> str:
    found = names_at(frame)
    name = found[index] if index < len(found) else f"{kind}-{next(_counter)}"
    if name in _names:  # two objects from one line (a loop): tell them apart
        name = f"{name}-{next(_counter)}"
    _names.add(name)
    return name


# -- queues ------------------------------------------------------------------------


class _QueueMixin:
    """put()/get() report the depth (``qsize()``) and waits longer than a moment."""

    _pv_name: str

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        try:
            super().put(obj, False)  # type: ignore[misc]
        except queue.Full:
            if not block:
                raise
            with blocking.waiting(self._pv_name, "put", "queue"):
                super().put(obj, True, timeout)  # type: ignore[misc]
        self._pv_report()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            item = super().get(False)  # type: ignore[misc]
        except queue.Empty:
            if not block:
                raise
            with blocking.waiting(self._pv_name, "get", "queue"):
                item = super().get(True, timeout)  # type: ignore[misc]
        self._pv_report()
        return item

    def _pv_report(self) -> None:
        try:
            depth = self.qsize()  # type: ignore[attr-defined]
        except NotImplementedError:  # macOS has no sem_getvalue()
            return
        # Reported at every change, ours or not (another process may have moved it since).
        maxsize = self._maxsize  # type: ignore[attr-defined]
        events.coalescer.offer(
            id(self), "queue", {"name": self._pv_name, "depth": depth, "maxsize": maxsize}
        )

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self._pv_name)

    def __setstate__(self, state: Any) -> None:
        inner, self._pv_name = state
        super().__setstate__(inner)  # type: ignore[misc]


class TracedQueue(_QueueMixin, mpq.Queue):
    pass


class TracedJoinableQueue(_QueueMixin, mpq.JoinableQueue):
    pass


class TracedSimpleQueue(mpq.SimpleQueue):
    """No qsize(): the depth is counted in shared memory by every process that uses it."""

    _pv_name: str
    _pv_count: Any

    def put(self, obj: Any) -> None:
        super().put(obj)
        self._pv_add(1)

    def get(self) -> Any:
        if not self._poll():  # type: ignore[attr-defined]
            with blocking.waiting(self._pv_name, "get", "queue"):
                item = super().get()
        else:
            item = super().get()
        self._pv_add(-1)
        return item

    def _pv_add(self, n: int) -> None:
        with self._pv_count.get_lock():
            self._pv_count.value += n
            depth = self._pv_count.value
        events.coalescer.offer(
            id(self), "queue", {"name": self._pv_name, "depth": depth, "maxsize": 0}
        )

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self._pv_name, self._pv_count)

    def __setstate__(self, state: Any) -> None:
        inner, self._pv_name, self._pv_count = state
        super().__setstate__(inner)


# -- locks and semaphores ----------------------------------------------------------


class _SemMixin:
    """acquire()/release() as ``sync`` events; a wait longer than a moment as ``blocked``."""

    _semlock: Any
    _pv_name: str
    _pv_kind: str
    _pv_initial: int

    def _make_methods(self) -> None:
        pass  # the class's acquire/release, not the C methods set on the instance

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        sem = self._semlock
        if sem.acquire(False):
            got = True
        elif not block:
            got = False
        else:
            with blocking.waiting(self._pv_name, "acquire", self._pv_kind):
                got = sem.acquire(True, timeout)
        if got:
            self._pv_report("acquire")
        return bool(got)

    def release(self) -> None:
        # Said before it happens: the next holder's acquire must not arrive first.
        self._pv_report("release", -1)
        self._semlock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *args: object) -> None:
        self.release()

    def _pv_report(self, op: str, leaving: int = 0) -> None:
        data: dict[str, Any] = {"name": self._pv_name, "kind": self._pv_kind, "op": op}
        try:
            holders = self._pv_initial - self._semlock._get_value() + leaving
            data["holders"] = max(holders, 0)
        except (NotImplementedError, OSError):
            pass
        events.coalescer.offer(id(self), "sync", data)

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self._pv_name, self._pv_kind, self._pv_initial)

    def __setstate__(self, state: Any) -> None:
        inner, self._pv_name, self._pv_kind, self._pv_initial = state
        super().__setstate__(inner)  # type: ignore[misc]


class TracedLock(_SemMixin, mps.Lock):
    pass


class TracedRLock(_SemMixin, mps.RLock):
    pass


class TracedSemaphore(_SemMixin, mps.Semaphore):
    pass


class TracedBoundedSemaphore(_SemMixin, mps.BoundedSemaphore):
    pass


class TracedCondition(mps.Condition):
    _pv_name: str

    def wait(self, timeout: float | None = None) -> bool:
        _sync(self._pv_name, "condition", "wait")
        with blocking.waiting(self._pv_name, "wait", "condition"):
            return bool(super().wait(timeout))

    def notify(self, n: int = 1) -> None:
        super().notify(n)
        _sync(self._pv_name, "condition", "notify")

    def notify_all(self) -> None:
        super().notify_all()
        _sync(self._pv_name, "condition", "notify_all")

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self._pv_name)

    def __setstate__(self, state: Any) -> None:
        inner, self._pv_name = state
        super().__setstate__(inner)  # type: ignore[misc]


class TracedEvent(mps.Event):
    _pv_name: str

    def set(self) -> None:
        super().set()
        _sync(self._pv_name, "event", "set")

    def clear(self) -> None:
        super().clear()
        _sync(self._pv_name, "event", "clear")

    def wait(self, timeout: float | None = None) -> bool:
        if super().is_set():
            return True
        with blocking.waiting(self._pv_name, "wait", "event"):
            return bool(super().wait(timeout))


class TracedBarrier(mps.Barrier):
    _pv_name: str

    def wait(self, timeout: float | None = None) -> int:
        _sync(self._pv_name, "barrier", "wait", waiters=self.n_waiting + 1, parties=self.parties)
        with blocking.waiting(self._pv_name, "wait", "barrier"):
            return int(super().wait(timeout))

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self._pv_name)

    def __setstate__(self, state: Any) -> None:
        inner, self._pv_name = state
        super().__setstate__(inner)  # type: ignore[misc]


def _sync(name: str, kind: str, op: str, **extra: Any) -> None:
    events.coalescer.offer((name, kind), "sync", {"name": name, "kind": kind, "op": op, **extra})


# -- pipes -------------------------------------------------------------------------


class TracedConnection(mpc.Connection):
    """send()/recv() counted as ``pipe`` events; a recv() that waits as ``blocked``."""

    _pv_name: str
    _pv_sends: int
    _pv_recvs: int

    def send(self, obj: Any) -> None:
        super().send(obj)
        self._pv_sends += 1
        self._pv_report("send")

    def recv(self) -> Any:
        if not self.poll():
            with blocking.waiting(self._pv_name, "recv", "pipe"):
                item = super().recv()
        else:
            item = super().recv()
        self._pv_recvs += 1
        self._pv_report("recv")
        return item

    def _pv_report(self, op: str) -> None:
        data = {"name": self._pv_name, "op": op, "sends": self._pv_sends, "recvs": self._pv_recvs}
        events.coalescer.offer(id(self), "pipe", data)


def _reduce_connection(conn: TracedConnection) -> tuple[Any, ...]:
    rebuild, args = mpc.reduce_connection(conn)  # type: ignore[attr-defined]
    return _rebuild_connection, (rebuild, args, conn._pv_name)


def _rebuild_connection(rebuild: Callable[..., Any], args: Any, name: str) -> Any:
    conn = rebuild(*args)
    _as(conn, TracedConnection, _pv_name=name, _pv_sends=0, _pv_recvs=0)
    return conn


# -- the factories -----------------------------------------------------------------


def _as(obj: Any, cls: type, **attrs: Any) -> None:
    obj.__class__ = cls
    for key, val in attrs.items():
        setattr(obj, key, val)


def _trace_sem(obj: Any, cls: type, kind: str, name: str) -> None:
    initial = obj._semlock._get_value()
    _as(obj, cls, _pv_name=name, _pv_kind=kind, _pv_initial=initial)
    for attr in ("acquire", "release"):  # set on the instance by _make_methods()
        obj.__dict__.pop(attr, None)


Tracer = Callable[[Any, FrameType, Any], Any]  # (the object, the creating frame, the context)


def _tracer(kind: str) -> Tracer:
    def queue_(obj: Any, frame: FrameType, ctx: Any) -> Any:
        cls = TracedJoinableQueue if isinstance(obj, mpq.JoinableQueue) else TracedQueue
        _as(obj, cls, _pv_name=_name("queue", frame))
        return obj

    def simple(obj: Any, frame: FrameType, ctx: Any) -> Any:
        count = ctx.Value("i", 0)
        _as(obj, TracedSimpleQueue, _pv_name=_name("queue", frame), _pv_count=count)
        return obj

    def sem(cls: type) -> Tracer:
        def trace(obj: Any, frame: FrameType, ctx: Any) -> Any:
            _trace_sem(obj, cls, kind, _name(kind, frame))
            return obj

        return trace

    def plain(cls: type) -> Tracer:
        def trace(obj: Any, frame: FrameType, ctx: Any) -> Any:
            _as(obj, cls, _pv_name=_name(kind, frame))
            return obj

        return trace

    def pipe(pair: Any, frame: FrameType, ctx: Any) -> Any:
        for i, conn in enumerate(pair):
            _as(conn, TracedConnection, _pv_name=_name("pipe", frame, i), _pv_sends=0, _pv_recvs=0)
        return pair

    def value(obj: Any, frame: FrameType, ctx: Any) -> Any:
        lock = getattr(obj, "get_lock", lambda: None)()
        if isinstance(lock, mps.RLock):  # Value(lock=True): the lock it made
            _trace_sem(lock, TracedRLock, "lock", _name("value", frame) + ".lock")
        return obj

    return {
        "queue": queue_,
        "simplequeue": simple,
        "lock": sem(TracedLock),
        "rlock": sem(TracedRLock),
        "semaphore": sem(TracedSemaphore),
        "boundedsemaphore": sem(TracedBoundedSemaphore),
        "condition": plain(TracedCondition),
        "event": plain(TracedEvent),
        "barrier": plain(TracedBarrier),
        "pipe": pipe,
        "value": value,
    }[kind]


_FACTORIES = {
    "Queue": "queue",
    "JoinableQueue": "queue",
    "SimpleQueue": "simplequeue",
    "Lock": "lock",
    "RLock": "rlock",
    "Semaphore": "semaphore",
    "BoundedSemaphore": "boundedsemaphore",
    "Condition": "condition",
    "Event": "event",
    "Barrier": "barrier",
    "Pipe": "pipe",
    "Value": "value",
}


def _wrap(original: Callable[..., Any], trace: Tracer) -> Any:
    def factory(self: Any, *args: Any, **kwargs: Any) -> Any:
        obj = original(self, *args, **kwargs)
        frame = sys._getframe(1)
        if userfiles.is_user(frame.f_code.co_filename):
            try:
                trace(obj, frame, self)
            except Exception:  # an object we cannot trace still works untraced
                pass
        return obj

    factory.__name__ = original.__name__
    factory.__doc__ = original.__doc__
    return factory


def install() -> None:
    base = multiprocessing.context.BaseContext
    for method, kind in _FACTORIES.items():
        setattr(base, method, _wrap(getattr(base, method), _tracer(kind)))
    # ``from multiprocessing import Queue`` binds the default context's methods.
    default = multiprocessing.context._default_context
    for method in _FACTORIES:
        setattr(multiprocessing, method, getattr(default, method))
    multiprocessing.reduction.register(TracedConnection, _reduce_connection)
