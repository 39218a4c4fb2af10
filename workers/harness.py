"""The small harness every lesson uses: report events, scaled sleep, tagged stdout.

Every process of a run reaches the server's event channel through the
environment (``PROCVIZ_EVENTS`` names an AF_UNIX datagram socket), so lessons
never pass handles around, under fork, spawn and forkserver alike. Without the
variable (a lesson run from a plain terminal) events are printed to stderr.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import multiprocessing.popen_fork
import multiprocessing.popen_forkserver
import multiprocessing.process
import multiprocessing.util
import os
import socket
import sys
import tempfile
import threading
import time
from typing import Any

ENV_CHANNEL = "PROCVIZ_EVENTS"
ENV_SPEED = "PROCVIZ_SPEED"
ENV_RUN_DIR = "PROCVIZ_RUN_DIR"

# A datagram must fit the socket's buffer; longer lines are cut, visibly.
MAX_LINE = 4000

_LESSONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lessons") + os.sep

_sock: socket.socket | None = None
_sock_pid = 0
_installed = False


def _channel() -> str | None:
    return os.environ.get(ENV_CHANNEL) or None


def _send(message: dict[str, Any]) -> None:
    global _sock, _sock_pid
    path = _channel()
    payload = json.dumps(message, default=repr, ensure_ascii=False)
    if path is None:
        if message["kind"] not in ("stdout", "stderr"):
            data = " ".join(f"{k}={v!r}" for k, v in message["data"].items())
            print(f"  · [{message['pid']}] {message['kind']} {data}", file=sys.__stderr__)
        return
    if _sock is None or _sock_pid != os.getpid():
        # One socket per process, so one process's events arrive in order.
        _sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        _sock_pid = os.getpid()
    try:
        _sock.sendto(payload.encode(), path)
    except OSError:
        # The server is gone; the lesson root's watchdog ends the run.
        pass


def _lesson_lineno() -> int | None:
    """The line of the lesson's code this process is at (the innermost lesson frame)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(_LESSONS_DIR):
            return frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


def emit(kind: str, pid: int | None = None, **data: Any) -> None:
    """Report an event about ``pid`` (default: this process) to the dashboard.

    Events (but the result, which holds exactly the lesson's keys) carry
    ``lineno``, the lesson line that caused them, so the page can point at the
    code each process is running.
    """
    if kind != "result" and "lineno" not in data and _channel() is not None:
        lineno = _lesson_lineno()
        if lineno is not None:
            data["lineno"] = lineno
    _send({"pid": pid or os.getpid(), "kind": kind, "t": time.time(), "data": data})


def value(name: str, val: Any) -> None:
    """Show this process's copy of a variable beside its node."""
    emit("value", name=name, value=val)


def queue_depth(q: Any, maxsize: int, name: str = "queue") -> int:
    """Report a queue's depth (``qsize()``) against its capacity; the depth reported."""
    depth: int = q.qsize()
    emit("queue", name=name, depth=depth, maxsize=maxsize)
    return depth


def result(**keys: Any) -> None:
    """The lesson's punch line: one event with the keys the DESIGN table lists."""
    emit("result", **keys)


def speed() -> float:
    return float(os.environ.get(ENV_SPEED, "1"))


def sleep(seconds: float) -> None:
    """``time.sleep`` scaled by the run's speed: 3 s at speed 10 takes 0.3 s."""
    time.sleep(seconds / speed())


def run_dir() -> str:
    """A temporary directory that belongs to this run (the server removes it at the end).

    Run from a terminal, the first call makes one, which the lesson's children inherit.
    """
    path = os.environ.get(ENV_RUN_DIR)
    if not path:
        path = os.environ[ENV_RUN_DIR] = tempfile.mkdtemp(prefix="procviz-lesson-")
    return path


class _TaggedStream(io.TextIOBase):
    """A text stream that sends each complete line as a ``stdout``/``stderr`` event."""

    def __init__(self, kind: str, underlying: Any) -> None:
        self.kind = kind
        self._underlying = underlying
        self._buffer = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self._underlying.fileno())

    def write(self, s: str) -> int:
        with self._lock:
            self._buffer += s
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._emit(line)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            line, self._buffer = self._buffer, ""
        if line:
            self._emit(line)

    def _emit(self, line: str) -> None:
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + " …[cut]"
        emit(self.kind, line=line)

    def _after_fork(self) -> None:
        # The parent flushed before forking; a lock held by another thread
        # of the parent would never be released in the child.
        self._lock = threading.Lock()
        self._buffer = ""


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _after_fork_in_child() -> None:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, _TaggedStream):
            stream._after_fork()


_original_start = multiprocessing.process.BaseProcess.start
_original_bootstrap = multiprocessing.process.BaseProcess._bootstrap  # type: ignore[attr-defined]
_original_poll = multiprocessing.popen_fork.Popen.poll
_original_forkserver_poll = multiprocessing.popen_forkserver.Popen.poll
_original_spawnv = multiprocessing.util.spawnv_passfds


def _start(self: multiprocessing.process.BaseProcess) -> None:
    _original_start(self)
    # The parent knows the child's PID the moment start() returns.
    emit("spawn", pid=self.pid, ppid=os.getpid(), label=self.name, role="child", daemon=self.daemon)


def _spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
    pid: int = _original_spawnv(path, args, passfds)
    # The helpers a start method brings. (spawn starts every child this way too:
    # those are announced by Process.start(), with their names.)
    text = " ".join(map(str, args))
    for role in ("forkserver", "resource_tracker"):
        if f"multiprocessing.{role}" in text:
            emit("spawn", pid=pid, ppid=os.getpid(), label=role.replace("_", " "), role=role)
    return pid


def _bootstrap(self: multiprocessing.process.BaseProcess, parent_sentinel: Any = None) -> int:
    code: int = _original_bootstrap(self, parent_sentinel)
    # The process is about to os._exit(code); the server confirms the exit itself.
    emit("exiting", exitcode=code)
    return code


def _poll(self: Any, flag: int = os.WNOHANG) -> int | None:
    before = self.returncode
    code: int | None = _original_poll(self, flag)
    if before is None and code is not None:
        # multiprocessing's waitpid() returned: the parent has reaped its child.
        emit("reap", pid=self.pid, exitcode=code, by=os.getpid())
    return code


def _forkserver_poll(self: Any, flag: int = os.WNOHANG) -> int | None:
    before = self.returncode
    code: int | None = _original_forkserver_poll(self, flag)
    if before is None and code is not None:
        # The forkserver reaped the child and sent its exit code to this parent.
        emit("reap", pid=self.pid, exitcode=code, by="forkserver")
    return code


def install() -> None:
    """Tag this process's stdout/stderr and report process starts, exits and reaps."""
    global _installed
    if _installed or _channel() is None:
        return
    _installed = True
    sys.stdout = _TaggedStream("stdout", sys.__stdout__)
    sys.stderr = _TaggedStream("stderr", sys.__stderr__)
    multiprocessing.process.BaseProcess.start = _start  # type: ignore[method-assign]
    multiprocessing.process.BaseProcess._bootstrap = _bootstrap  # type: ignore[attr-defined]
    multiprocessing.popen_fork.Popen.poll = _poll  # type: ignore[method-assign]
    multiprocessing.popen_forkserver.Popen.poll = _forkserver_poll  # type: ignore[method-assign]
    multiprocessing.util.spawnv_passfds = _spawnv_passfds
    os.register_at_fork(before=_flush_streams, after_in_child=_after_fork_in_child)


# Importing the harness is enough: a spawned child re-imports the lesson module,
# which imports this one, so it reports like its parent did.
install()
