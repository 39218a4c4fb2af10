"""A daemon thread per process: the line it is at, its variables, overdue waits, late events."""

from __future__ import annotations

import os
import sys
import threading
import time

from workers.trace import blocking, events, userfiles, values

TICK = 0.025  # blocked waits and coalesced events
LINE_EVERY = 2  # ticks between looks at the line and the variables (50 ms)

_thread: threading.Thread | None = None
_last_line: tuple[int, str, str] | None = None
_sleep = time.sleep  # the real one: the program's is scaled


def _line() -> None:
    global _last_line
    main = threading.main_thread().ident
    frame = userfiles.innermost(sys._current_frames().get(main or 0))
    if frame is None:
        return
    code = frame.f_code
    here = (frame.f_lineno, code.co_filename, code.co_name)
    if here != _last_line:
        _last_line = here
        events.send_now(
            "line",
            {
                "lineno": here[0],
                "filename": userfiles.relative(here[1]),
                "function": here[2],
            },
        )


def _run() -> None:
    me = os.getpid()
    n = 0
    while os.getpid() == me:
        _sleep(TICK)
        try:
            blocking.report_overdue()
            events.coalescer.flush()
            n += 1
            if n % LINE_EVERY == 0:
                values.check(force=True)
                _line()
        except Exception:  # never let the program's own thread die of ours
            pass


def start() -> None:
    global _thread, _last_line
    _last_line = None
    # daemon: never holds up the interpreter's exit; the exit path reports what is left.
    _thread = threading.Thread(target=_run, name="procviz-sampler", daemon=True)
    _thread.start()
