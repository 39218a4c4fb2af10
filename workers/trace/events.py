"""Sending events: one datagram socket per process, and coalescing of what would flood.

An event is ``{"pid", "kind", "t", "data"}`` sent to the AF_UNIX datagram socket
named by ``PROCVIZ_EVENTS``. Without the variable (a program run from a plain
terminal) events are printed to stderr, except output, which stays output.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import Any

from workers.trace import userfiles

ENV_CHANNEL = "PROCVIZ_EVENTS"

# Events about one object closer together than this are merged (last value wins).
WINDOW = 0.05

_sock: socket.socket | None = None
_sock_pid = 0
# Events this process has sent but its sampled lines and step holds (step mode's "event").
sent_count = 0
QUIET_KINDS = ("line", "step")


def channel() -> str | None:
    return os.environ.get(ENV_CHANNEL) or None


def send(message: dict[str, Any]) -> None:
    global _sock, _sock_pid, sent_count
    if message["kind"] not in QUIET_KINDS:
        sent_count += 1
    path = channel()
    if path is None:
        if message["kind"] not in ("stdout", "stderr"):
            data = " ".join(f"{k}={v!r}" for k, v in message["data"].items())
            print(f"  · [{message['pid']}] {message['kind']} {data}", file=sys.__stderr__)
        return
    payload = json.dumps(message, default=repr, ensure_ascii=False).encode()
    if _sock is None or _sock_pid != os.getpid():
        # One socket per process, so one process's events arrive in order.
        _sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        _sock_pid = os.getpid()
    try:
        _sock.sendto(payload, path)
    except OSError:
        # The server is gone (or the datagram too big); the run's watchdog ends the run.
        pass


def emit(kind: str, pid: int | None = None, **data: Any) -> None:
    """Report an event about ``pid`` (default: this process).

    Events but the result (which holds exactly a lesson's keys) carry ``lineno``,
    the line of the user's code that caused them, so the page can point at it.
    """
    coalescer.flush(everything=True)  # what happened before this arrives before it
    if kind != "result" and "lineno" not in data and channel() is not None:
        frame = userfiles.innermost(sys._getframe(1))
        if frame is not None:
            data["lineno"] = frame.f_lineno
    send({"pid": pid or os.getpid(), "kind": kind, "t": time.time(), "data": data})


class Coalescer:
    """At most one event per key per window: the first at once, the last at the window's end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: dict[object, float] = {}
        self._pending: dict[object, tuple[str, dict[str, Any], float, int]] = {}

    def offer(self, key: object, kind: str, data: dict[str, Any]) -> None:
        now = time.monotonic()
        with self._lock:
            pending = self._pending.get(key)
            if pending is None and now - self._sent.get(key, -1.0) >= WINDOW:
                self._sent[key] = now
                immediate = True
            else:
                count = pending[3] + 1 if pending else 1
                self._pending[key] = (kind, data, time.time(), count)
                immediate = False
        if immediate:
            frame = userfiles.innermost(sys._getframe(2))
            if frame is not None:
                data["lineno"] = frame.f_lineno
            send({"pid": os.getpid(), "kind": kind, "t": time.time(), "data": data})

    def flush(self, everything: bool = False) -> None:
        """Send what waited out its window, or everything (before another event or an exit)."""
        if not self._pending:
            return
        now = time.monotonic()
        out = []
        with self._lock:
            for key, (kind, data, t, count) in list(self._pending.items()):
                if everything or now - self._sent.get(key, -1.0) >= WINDOW:
                    del self._pending[key]
                    self._sent[key] = now
                    out.append(
                        {
                            "pid": os.getpid(),
                            "kind": kind,
                            "t": t,
                            "data": {**data, "coalesced": count},
                        }
                    )
        for message in out:
            send(message)

    def pending(self) -> bool:
        return bool(self._pending)

    def after_fork(self) -> None:
        # Another thread of the parent may have held the lock; the child owns nothing yet.
        self._lock = threading.Lock()
        self._sent = {}
        self._pending = {}


coalescer = Coalescer()


def send_now(kind: str, data: dict[str, Any]) -> None:
    """An event from this process as it is (no ``lineno`` looked up)."""
    send({"pid": os.getpid(), "kind": kind, "t": time.time(), "data": data})
