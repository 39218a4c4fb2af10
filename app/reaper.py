"""Making the server a child subreaper: orphans of its runs are adopted by it, not PID 1.

The watcher reaps only the orphans the server adopted (``app.handle``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphans of our runs are re-parented to this process instead of PID 1 (Linux ≥ 3.4)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
