"""Who is blocked on what: a call that waits longer than ``THRESHOLD`` is reported.

The waiting thread only marks its slot on entry and clears it on return (cheap on
the fast path); the sampler thread reports a mark older than the threshold as
``blocked``, and the return then reports ``unblocked``. The slot's lock orders
the two datagrams: ``unblocked`` is sent only after its ``blocked``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from workers.trace import events, userfiles

THRESHOLD = 0.02


class _Wait:
    __slots__ = ("data", "since")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.since = time.monotonic()


class Slot:
    """One per thread: what it waits for now, and whether its ``blocked`` was sent."""

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.lock = threading.Lock()
        self.wait: _Wait | None = None
        self.sent: _Wait | None = None


_slots: dict[int, Slot] = {}


def _no_sampler() -> None:
    pass


# Set by the sampler (``sampler.nudge``): a wait that begins wakes it if it rests, so the
# wait is seen within THRESHOLD as ever.
on_wait: Callable[[], None] = _no_sampler


def waiting_now() -> bool:
    """A wait under way that is not reported yet: the sampler must keep looking."""
    return any(s.wait is not None and s.sent is not s.wait for s in list(_slots.values()))


def _slot() -> Slot:
    ident = threading.get_ident()
    slot = _slots.get(ident)
    if slot is None:
        slot = _slots[ident] = Slot(ident)
    return slot


@contextmanager
def waiting(on: str, op: str, kind: str) -> Iterator[None]:
    """Around a call that may block: ``on`` the object's name, ``op`` the call."""
    slot = _slot()
    mark = _Wait({"on": on, "op": op, "kind": kind})
    slot.wait = mark
    on_wait()
    try:
        yield
    finally:
        slot.wait = None
        if slot.sent is mark:
            with slot.lock:
                if slot.sent is mark:  # else the sampler saw the return in time
                    slot.sent = None
                    data = {**mark.data, "waited": round(time.monotonic() - mark.since, 3)}
                    frame = userfiles.innermost(sys._getframe(1))
                    if frame is not None:
                        data["lineno"] = frame.f_lineno
                    events.send_now("unblocked", data)


def report_overdue() -> None:
    """Called by the sampler: report waits older than the threshold, once each."""
    now = time.monotonic()
    frames: dict[int, Any] | None = None
    for slot in list(_slots.values()):
        mark = slot.wait
        if mark is None or slot.sent is mark or now - mark.since < THRESHOLD:
            continue
        if frames is None:
            frames = sys._current_frames()
        with slot.lock:
            slot.sent = mark  # before the check, so a return from now on looks at the lock
            if slot.wait is not mark:
                slot.sent = None  # returned meanwhile: it never waited long
                continue
            data = dict(mark.data)
            frame = userfiles.innermost(frames.get(slot.ident))
            if frame is not None:
                data["lineno"] = frame.f_lineno
            events.send_now("blocked", data)


def after_fork() -> None:
    # Only the forking thread lives on in the child; its locks are fresh.
    ident = threading.get_ident()
    _slots.clear()
    _slots[ident] = Slot(ident)
