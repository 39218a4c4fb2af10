"""Step mode: each process held before each line of the program until the presenter says go.

With ``PROCVIZ_STEP`` set, every process of the run traces the lines of the user's
files (its main thread). Before a line it may *hold*: it sends a ``step`` event
(lineno, filename, function) and waits on a datagram socket of its own,
``$PROCVIZ_RUN_DIR/gate-PID``, for the server's word ``{"mode": …, "breakpoints": …}``:

- ``line``: run this line, hold before the next one;
- ``event``: run until it has reported an event (a print, a put, a lock…), then hold;
- ``run``: run until a breakpoint line (``[file, line]`` pairs), then hold.

A message without ``mode`` only updates the breakpoints; a running process reads its
gate every 50 ms, so ``{"mode": "line"}`` also pauses one that runs. A fork inherits
its parent's mode and breakpoints (it is a copy); any other new process starts held.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from types import FrameType
from typing import Any

from workers.trace import events, userfiles

ENV_STEP = "PROCVIZ_STEP"
ENV_RUN_DIR = "PROCVIZ_RUN_DIR"
POLL_EVERY = 0.05
MODES = ("line", "event", "run")

_gate: socket.socket | None = None
_mode = "line"
_breakpoints: set[tuple[str, int]] = set()
_events_at_go = 0
_last_poll = 0.0


def gate_path(run_dir: str, pid: int) -> str:
    return os.path.join(run_dir, f"gate-{pid}")


def install() -> None:
    if not os.environ.get(ENV_STEP) or not os.environ.get(ENV_RUN_DIR):
        return
    _open_gate()
    os.register_at_fork(after_in_child=_open_gate)
    sys.settrace(_on_call)


def _open_gate() -> None:
    global _gate
    if _gate is not None:
        _gate.close()  # the parent's, inherited by a fork
    path = gate_path(os.environ[ENV_RUN_DIR], os.getpid())
    _gate = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    _gate.bind(path)


def _on_call(frame: FrameType, event: str, arg: Any) -> Any:
    code = frame.f_code
    if not userfiles.is_user(code.co_filename):
        return None
    # A spawned child re-runs the script's top level as __mp_main__ to find its target.
    if code.co_name == "<module>" and frame.f_globals.get("__name__") == "__mp_main__":
        return None
    return _on_line


def _on_line(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "line":
        _poll()
        if _should_hold(frame):
            _hold(frame)
    return _on_line


def _should_hold(frame: FrameType) -> bool:
    if _mode == "line":
        return True
    if _mode == "event":
        return events.sent_count != _events_at_go
    where = (userfiles.relative(frame.f_code.co_filename), frame.f_lineno)
    return where in _breakpoints


def _hold(frame: FrameType) -> None:
    code = frame.f_code
    events.emit(
        "step",
        lineno=frame.f_lineno,
        filename=userfiles.relative(code.co_filename),
        function=code.co_name,
    )
    assert _gate is not None
    _gate.setblocking(True)
    while not _apply(_gate.recv(65536)):
        pass


def _poll() -> None:
    """Read what arrived while running (new breakpoints, a pause), at most every 50 ms."""
    global _last_poll
    now = time.monotonic()
    if now - _last_poll < POLL_EVERY or _gate is None:
        return
    _last_poll = now
    _gate.setblocking(False)
    try:
        while True:
            _apply(_gate.recv(65536))
    except (BlockingIOError, InterruptedError):
        pass


def _apply(datagram: bytes) -> bool:
    """Take the server's word; True if it says how to go on (it has a mode)."""
    global _mode, _events_at_go
    try:
        message = json.loads(datagram)
    except ValueError:
        return False
    if not isinstance(message, dict):
        return False
    points = message.get("breakpoints")
    if isinstance(points, list):
        _breakpoints.clear()
        for point in points:
            if isinstance(point, list) and len(point) == 2 and isinstance(point[1], int):
                _breakpoints.add((str(point[0]), point[1]))
    mode = message.get("mode")
    if mode not in MODES:
        return False
    _mode = str(mode)
    _events_at_go = events.sent_count
    return True
