"""The keeper: a small process whose one job is to end the server's runs if it dies.

The run manager starts it once, in a session of its own (a signal to the server's
group does not reach it), and writes to its stdin a line per run: ``+ SID [CGROUP]``
when the run starts, ``- SID`` when it has ended. When stdin reaches end-of-file —
the server exited, however it exited, SIGKILL included — the keeper kills every
process of every run it still knows (their sessions and their cgroups) with
SIGKILL, again and again until none is left, then exits.

Why not the run's root itself (as before): a root stopped with SIGSTOP, busy in C
code, or running the user's program cannot be trusted to act; a process that only
waits on a pipe can (``PR_SET_PDEATHSIG`` would kill only the root, not its
children, which would run on under PID 1).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from app.procfs import ProcReader

KILL_WAIT = 2.0


class Keeper:
    """The server's end: start the keeper, tell it about runs, close it at shutdown."""

    def __init__(self) -> None:
        self.popen: subprocess.Popen[bytes] | None = None

    def _pipe(self) -> IO[bytes]:
        if self.popen is None or self.popen.poll() is not None:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "app.keeper"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
        assert self.popen.stdin is not None
        return self.popen.stdin

    def track(self, sid: int, cgroup: Path | None) -> None:
        self._say(f"+ {sid} {cgroup or ''}".rstrip())

    def forget(self, sid: int) -> None:
        self._say(f"- {sid}")

    def _say(self, line: str) -> None:
        try:
            pipe = self._pipe()
            pipe.write(line.encode() + b"\n")
            pipe.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: the next run starts a new one

    def close(self) -> None:
        if self.popen is None:
            return
        if self.popen.stdin is not None:
            self.popen.stdin.close()
        try:
            self.popen.wait(timeout=KILL_WAIT + 3)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.popen = None


def _members(reader: ProcReader, runs: dict[int, str]) -> set[int]:
    pids: set[int] = set()
    for sid in runs:
        pids.update(reader.session_members(sid))
    for cgroup in filter(None, runs.values()):
        try:
            pids.update(int(p) for p in Path(cgroup, "cgroup.procs").read_text().split())
        except OSError:
            pass
    return {pid for pid in pids if (st := reader.read_once(pid)) and st.status != "zombie"}


def kill_all(runs: dict[int, str], wait: float = KILL_WAIT) -> int:
    """SIGKILL every live process of the runs until none is left; how many were left."""
    reader = ProcReader()
    deadline = time.monotonic() + wait
    while alive := _members(reader, runs):
        for sid in runs:
            try:
                os.killpg(sid, signal.SIGKILL)
            except OSError:
                pass
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if time.monotonic() >= deadline:
            return len(_members(reader, runs))
        time.sleep(0.005)
    return 0


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)  # only the end of the pipe ends a keeper
    runs: dict[int, str] = {}
    for raw in sys.stdin.buffer:
        op, _, rest = raw.decode(errors="replace").strip().partition(" ")
        sid, _, cgroup = rest.partition(" ")
        if not sid.isdigit():
            continue
        if op == "+":
            runs[int(sid)] = cgroup
        elif op == "-":
            runs.pop(int(sid), None)
    return 1 if kill_all(runs) else 0


if __name__ == "__main__":
    sys.exit(main())
