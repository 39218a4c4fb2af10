"""Processes: starts, exits and reaps (multiprocessing, ``os.fork``, ``subprocess``), and errors.

The parent announces a ``multiprocessing`` child the moment ``start()`` returns;
a child of a plain ``os.fork()`` announces itself right after the fork; every
process says ``exiting`` with its code once, just before it ends.
"""

from __future__ import annotations

import atexit
import multiprocessing.popen_fork
import multiprocessing.popen_forkserver
import multiprocessing.process
import multiprocessing.util
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, NoReturn

from workers.trace import events, streams, userfiles, values

_original_start = multiprocessing.process.BaseProcess.start
_original_bootstrap = multiprocessing.process.BaseProcess._bootstrap  # type: ignore[attr-defined]
_original_poll = multiprocessing.popen_fork.Popen.poll
_original_forkserver_poll = multiprocessing.popen_forkserver.Popen.poll
_original_spawnv = multiprocessing.util.spawnv_passfds
_original_fork = os.fork
_original_exit = os._exit
_original_waitpid = os.waitpid
_original_wait = os.wait
_original_sys_exit = sys.exit
_original_popen_init = subprocess.Popen.__init__
_original_excepthook = sys.excepthook
_original_print_exc = traceback.print_exc
_original_thread_excepthook = threading.excepthook

# Filled in by the pools module: targets whose processes are pool workers.
pool_targets: set[Callable[..., Any]] = set()

_exiting_sent = False
_exit_code: int | None = None  # what sys.exit() or an uncaught exception will make it


def _from_multiprocessing(depth: int) -> bool:
    """Whether the caller ``depth`` frames up is multiprocessing's own code."""
    name = str(sys._getframe(depth).f_globals.get("__name__", ""))
    return name.startswith(("multiprocessing", "concurrent.futures"))


# -- multiprocessing ---------------------------------------------------------------


def _start(self: multiprocessing.process.BaseProcess) -> None:
    target = getattr(self, "_target", None)  # start() deletes it
    _original_start(self)
    role = "pool-worker" if target in pool_targets else "child"
    # The parent knows the child's PID the moment start() returns.
    events.emit(
        "spawn", pid=self.pid, ppid=os.getpid(), label=self.name, role=role, daemon=self.daemon
    )


def _spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
    pid: int = _original_spawnv(path, args, passfds)
    # The helpers a start method brings. (spawn starts every child this way too:
    # those are announced by Process.start(), with their names.)
    text = " ".join(map(str, args))
    for role in ("forkserver", "resource_tracker"):
        if f"multiprocessing.{role}" in text:
            events.emit("spawn", pid=pid, ppid=os.getpid(), label=role.replace("_", " "), role=role)
    return pid


def _bootstrap(self: multiprocessing.process.BaseProcess, parent_sentinel: Any = None) -> int:
    code: int = _original_bootstrap(self, parent_sentinel)
    # The process is about to os._exit(code); the server confirms the exit itself.
    final(code)
    return code


def _print_exc(limit: int | None = None, file: Any = None, chain: bool = True) -> None:
    exc = sys.exc_info()[1]
    # A process's run() failed: _bootstrap prints it (tagged as stderr) and exits 1.
    if exc is not None and sys._getframe(1).f_globals.get("__name__") == "multiprocessing.process":
        report_error(exc)
    _original_print_exc(limit=limit, file=file, chain=chain)


def _poll(self: Any, flag: int = os.WNOHANG) -> int | None:
    before = self.returncode
    code: int | None = _original_poll(self, flag)
    if before is None and code is not None:
        # multiprocessing's waitpid() returned: the parent has reaped its child.
        events.emit("reap", pid=self.pid, exitcode=code, by=os.getpid())
    return code


def _forkserver_poll(self: Any, flag: int = os.WNOHANG) -> int | None:
    before = self.returncode
    code: int | None = _original_forkserver_poll(self, flag)
    if before is None and code is not None:
        # The forkserver reaped the child and sent its exit code to this parent.
        events.emit("reap", pid=self.pid, exitcode=code, by="forkserver")
    return code


# -- os and subprocess -------------------------------------------------------------


def _fork() -> int:
    pid = _original_fork()
    if pid == 0 and not _from_multiprocessing(2):
        # multiprocessing announces its own children (with their names) from the parent;
        # this child says itself that it exists, at once (the server counts processes).
        events.emit("spawn", ppid=os.getppid(), label="fork", role="child")
    return pid


def _exit(status: int) -> NoReturn:
    final(status)
    _original_exit(status)


def _reaped(pid: int, status: int) -> None:
    if pid > 0 and (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
        events.emit("reap", pid=pid, exitcode=os.waitstatus_to_exitcode(status), by=os.getpid())


def _waitpid(pid: int, options: int) -> tuple[int, int]:
    got, status = _original_waitpid(pid, options)
    if not _from_multiprocessing(2):  # multiprocessing's are reported by poll()
        _reaped(got, status)
    return got, status


def _wait() -> tuple[int, int]:
    got, status = _original_wait()
    _reaped(got, status)
    return got, status


def _popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    _original_popen_init(self, *args, **kwargs)
    argv = args[0] if args else kwargs.get("args", "")
    first = argv.split()[0] if isinstance(argv, str) and argv.split() else None
    if not isinstance(argv, str | bytes) and argv:
        first = os.fsdecode(next(iter(argv)))
    label = os.path.basename(first) if first else "subprocess"
    events.emit("spawn", pid=self.pid, ppid=os.getpid(), label=label, role="subprocess")


def _sys_exit(code: Any = None) -> NoReturn:
    global _exit_code
    _exit_code = exit_status(code)
    _original_sys_exit(code)


def exit_status(code: object) -> int:
    """The status a ``SystemExit(code)`` ends the interpreter with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


# -- errors ------------------------------------------------------------------------


def report_error(exc: BaseException) -> None:
    """One ``error`` event: the exception and the innermost line of the user's code."""
    global _exit_code
    _exit_code = 1
    data: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)[:1000]}
    tb: TracebackType | None = exc.__traceback__
    where = None
    while tb is not None:
        if userfiles.is_user(tb.tb_frame.f_code.co_filename):
            where = tb
        tb = tb.tb_next
    if where is not None:
        data["filename"] = userfiles.relative(where.tb_frame.f_code.co_filename)
        data["lineno"] = where.tb_lineno
    elif isinstance(exc, SyntaxError) and exc.lineno is not None:
        data["filename"] = userfiles.relative(exc.filename or "")
        data["lineno"] = exc.lineno
    else:
        data["lineno"] = None
    events.send_now("error", data)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    report_error(exc)
    _original_excepthook(kind, exc, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
        report_error(args.exc_value)
    _original_thread_excepthook(args)


def print_traceback(exc: BaseException) -> None:
    """The traceback as ``python script.py`` prints it: from the script's first frame."""
    tb = exc.__traceback__
    while tb is not None and not userfiles.is_user(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)


# -- the end of a process ----------------------------------------------------------


def final(code: int | None) -> None:
    """What is left to say before this process ends, and ``exiting`` once (with a code)."""
    global _exiting_sent
    streams.flush()
    values.check(force=True)
    events.coalescer.flush(everything=True)
    if not _exiting_sent and code is not None:
        _exiting_sent = True
        events.send_now("exiting", {"exitcode": code})


def _at_exit() -> None:
    final(_exit_code if _exit_code is not None else 0)


def after_fork() -> None:
    global _exiting_sent, _exit_code
    _exiting_sent = False
    _exit_code = None


def install() -> None:
    bp = multiprocessing.process.BaseProcess
    bp.start = _start  # type: ignore[method-assign]
    bp._bootstrap = _bootstrap  # type: ignore[attr-defined]
    multiprocessing.popen_fork.Popen.poll = _poll  # type: ignore[method-assign]
    multiprocessing.popen_forkserver.Popen.poll = _forkserver_poll  # type: ignore[method-assign]
    multiprocessing.util.spawnv_passfds = _spawnv_passfds
    os.fork = _fork
    os._exit = _exit
    os.waitpid = _waitpid
    os.wait = _wait
    sys.exit = _sys_exit
    subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]
    traceback.print_exc = _print_exc
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    atexit.register(_at_exit)
