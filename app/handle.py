"""One handle per process identity: signals and reaps that can never hit a reused PID.

A handle holds a pidfd (Linux ≥ 5.3) opened while the identity ``(pid, create_time)``
was checked: ``pidfd_send_signal`` and ``waitid(P_PIDFD)`` then act on that process
only, even after its PID is reused. OS errors end here: the rest of the code sees
``False`` / ``None`` for a process that is gone, never an exception.
"""

from __future__ import annotations

import os
import signal

from app.procfs import Reader, exitcode_from_wait_status

HAS_PIDFD = hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


class ProcessHandle:
    def __init__(self, pid: int, create_time: float, pidfd: int | None) -> None:
        self.pid = pid
        self.create_time = create_time
        self.pidfd = pidfd

    @classmethod
    def open(cls, reader: Reader, pid: int, create_time: float) -> ProcessHandle | None:
        """A handle on ``pid`` if it is still the process born at ``create_time``."""
        pidfd = None
        if HAS_PIDFD:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:  # ESRCH: gone (a zombie still has a pidfd)
                return None
        # Checked after opening: the pidfd now names whatever had the PID, so a match
        # means it names the process we know.
        st = reader.read(pid)
        if st is None or st.create_time != create_time:
            if pidfd is not None:
                os.close(pidfd)
            return None
        return cls(pid, create_time, pidfd)

    def fileno(self) -> int:
        """Readable the moment the process exits (for a selector)."""
        if self.pidfd is None:
            raise ValueError("no pidfd on this platform")
        return self.pidfd

    def signal(self, sig: int) -> bool:
        """Send ``sig``; False if the process is gone (or exited: a zombie takes none)."""
        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            return False
        return True

    def reap(self) -> int | None:
        """Reap it if it has exited and is our child; its exit code, else None.

        Only for a process nobody else waits for (an orphan we adopted): taking its
        status from ``multiprocessing`` would leave it waiting forever.
        """
        try:
            if self.pidfd is not None and hasattr(os, "P_PIDFD"):
                result = os.waitid(os.P_PIDFD, self.pidfd, os.WEXITED | os.WNOHANG)
                if result is None:
                    return None
                if result.si_code == os.CLD_EXITED:
                    return result.si_status
                return -result.si_status
            done, status = os.waitpid(self.pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            return None
        return exitcode_from_wait_status(status) if done else None

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def reap_child(pid: int) -> int | None:
    """Reap a child of ours known to be a zombie (not a handle: it was never followed)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return exitcode_from_wait_status(status) if done else None
