"""Making the server a child subreaper, and reaping only the orphans it adopted."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from app.procfs import exitcode_from_wait_status

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphans of our runs are re-parented to this process instead of PID 1 (Linux ≥ 3.4)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def reap_adopted(pid: int) -> int | None:
    """Reap one adopted orphan if it has exited; its exit code, else None.

    Only call this for a process whose original parent is gone: nobody else is
    waiting for its status, so taking it steals nothing from multiprocessing.
    """
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    return exitcode_from_wait_status(status)
