"""A daemon thread per process: the line it is at, its variables, overdue waits, late events."""

from __future__ import annotations

import os
import sys
import threading
import time

from workers.trace import blocking, events, userfiles, values

TICK = 0.025  # blocked waits and coalesced events
LINE_EVERY = 2  # ticks between looks at the line and the variables (50 ms)
# A process in which nothing happened for QUIET_TICKS ticks (no event, the same line, no
# wait under way, nothing coalesced) is looked at every REST instead: each wake-up costs
# ~60 µs of CPU here, so 500 sleeping processes ticking at 40 Hz took more than a core.
# A wait that begins, or a sleep that ends, wakes it at once (``nudge``).
QUIET_TICKS = 8
REST = 0.2

_thread: threading.Thread | None = None
_last_line: tuple[int, str, str] | None = None
_sleep = time.sleep  # the real one: the program's is scaled
_wake = threading.Event()
resting = False  # read without a lock by ``nudge``: a stale read costs one late tick


def nudge() -> None:
    """Something is about to happen in this process: a resting sampler looks at once."""
    if resting:
        _wake.set()


def _line() -> bool:
    """Report the line the main thread is at if it moved; whether it did."""
    global _last_line
    main = threading.main_thread().ident
    frame = userfiles.innermost(sys._current_frames().get(main or 0))
    if frame is None:
        return False
    code = frame.f_code
    here = (frame.f_lineno, code.co_filename, code.co_name)
    if here == _last_line:
        return False
    _last_line = here
    events.send_now(
        "line",
        {
            "lineno": here[0],
            "filename": userfiles.relative(here[1]),
            "function": here[2],
        },
    )
    return True


def _rest() -> None:
    global resting
    _wake.clear()
    resting = True
    try:
        _wake.wait(REST)
    finally:
        resting = False


def _run() -> None:
    me = os.getpid()
    n = 0
    quiet = 0
    sent = events.sent_count  # the process's events so far: any since the last tick is news
    while os.getpid() == me:
        if quiet >= QUIET_TICKS:
            _rest()
            n = LINE_EVERY - 1  # the first tick after a rest looks at the line
        else:
            _sleep(TICK)
        try:
            blocking.report_overdue()
            events.coalescer.flush()
            n += 1
            moved = False
            if n % LINE_EVERY == 0:
                values.check(force=True)
                moved = _line()
            busy = moved or sent != events.sent_count or events.coalescer.pending()
            sent = events.sent_count
            quiet = 0 if busy or blocking.waiting_now() else quiet + 1
        except Exception:  # never let the program's own thread die of ours
            pass


def start() -> None:
    global _thread, _last_line, _wake, resting
    _last_line = None
    _wake, resting = threading.Event(), False  # a fork's child: the parent's may be mid-wait
    blocking.on_wait = nudge
    # daemon: never holds up the interpreter's exit; the exit path reports what is left.
    _thread = threading.Thread(target=_run, name="procviz-sampler", daemon=True)
    _thread.start()
