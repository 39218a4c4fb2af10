"""The one OS boundary: a handle acts only on the identity it was opened for."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from app.handle import ProcessHandle
from app.procfs import ProcReader


def test_a_handle_is_refused_for_another_identity_and_acts_on_its_own() -> None:
    reader = ProcReader()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        st = reader.read(child.pid)
        assert st is not None
        # The PID-reuse guard: the same number, another birth, is someone else.
        assert ProcessHandle.open(reader, child.pid, st.create_time + 5) is None
        handle = ProcessHandle.open(reader, child.pid, st.create_time)
        assert handle is not None
        assert handle.reap() is None  # alive: nothing to reap
        assert handle.signal(signal.SIGKILL)
        child_code = None
        for _ in range(200):
            child_code = handle.reap()
            if child_code is not None:
                break
            time.sleep(0.01)
        assert child_code == -signal.SIGKILL
        # Reaped: the pidfd still names that process, which is gone; nothing is hit.
        assert not handle.signal(signal.SIGTERM)
        handle.close()
    finally:
        if child.poll() is None:  # (after our reap, Popen finds no child: that is None too)
            child.kill()
            child.wait()
        reader.close()
