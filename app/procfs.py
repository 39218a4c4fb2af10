"""Reading processes from the OS. OS errors end here: a vanished process is ``None``.

Linux: one read of ``/proc/PID/stat`` per process holds state, ppid, session,
CPU times, threads, RSS, start time and (for a zombie) its exit status, which is
the floor of what sampling can cost. Elsewhere psutil is the portable path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Container
from dataclasses import dataclass
from typing import Protocol

import psutil

# psutil's status words for the kernel's state letters (fs/proc/array.c).
STATUS_WORDS = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "T": "stopped",
    "t": "tracing-stop",
    "Z": "zombie",
    "X": "dead",
    "x": "dead",
    "I": "idle",
    "K": "wake-kill",
    "W": "waking",
    "P": "parked",
}


@dataclass(frozen=True, slots=True)
class Stat:
    """One reading of one process."""

    pid: int
    name: str
    status: str
    ppid: int
    session: int
    cpu_seconds: float  # user + system
    threads: int
    create_time: float
    rss: int
    exitcode: int | None  # a zombie's exit status, multiprocessing-style (-N for signal N)


def exitcode_from_wait_status(status: int) -> int:
    """Turn a wait() status into multiprocessing's convention: code, or -signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class Reader(Protocol):
    def read(self, pid: int) -> Stat | None: ...

    def read_once(self, pid: int) -> Stat | None:
        """A process not followed: read without keeping anything open."""

    def forget(self, pid: int) -> None: ...

    def session_members(self, sid: int, known: Container[int] = ()) -> list[int]:
        """The PIDs of session ``sid``; those in ``known`` are not read, nor returned."""

    def cmdline(self, pid: int) -> list[str]: ...

    def close(self) -> None: ...


class ProcReader:
    """Linux: parse ``/proc/PID/stat`` directly.

    A followed process's stat file stays open and is re-read with ``pread`` (a
    third of the cost of open+read+close). The open file belongs to that one
    process: once it is reaped, reading fails with ESRCH even if its PID is
    reused, so identity holds by construction. One reader per watcher thread.
    """

    def __init__(self, max_open: int = 1024) -> None:
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.boot_time = psutil.boot_time()
        self.max_open = max_open
        self._fds: dict[int, int] = {}
        # The last bytes and reading per followed process: a sleeping process's
        # stat line rarely changes, and then parsing it again is wasted.
        self._last: dict[int, tuple[bytes, Stat]] = {}

    def read(self, pid: int) -> Stat | None:
        fd = self._fds.get(pid)
        if fd is None:
            if len(self._fds) >= self.max_open:
                return self.read_once(pid)
            try:
                fd = self._fds[pid] = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return None
        try:
            raw = os.pread(fd, 1024, 0)
        except OSError:  # ESRCH: reaped
            self.forget(pid)
            return None
        last = self._last.get(pid)
        if last is not None and last[0] == raw:
            return last[1]
        st = self.parse(pid, raw)
        if st is not None:
            self._last[pid] = (raw, st)
        return st

    def read_once(self, pid: int) -> Stat | None:
        """Open, read, close: for a process we are not following."""
        try:
            fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            raw = os.read(fd, 1024)
        except OSError:  # ESRCH: it went away between open and read
            return None
        finally:
            os.close(fd)
        return self.parse(pid, raw)

    def forget(self, pid: int) -> None:
        self._last.pop(pid, None)
        fd = self._fds.pop(pid, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for pid in list(self._fds):
            self.forget(pid)

    def parse(self, pid: int, raw: bytes) -> Stat | None:
        # The name (field 2) may hold spaces and parentheses: split at the last ')'.
        close = raw.rfind(b")")
        if close < 0:
            return None
        name = raw[raw.find(b"(") + 1 : close].decode(errors="replace")
        f = raw[close + 2 :].split()
        state = f[0].decode()
        exit_status = int(f[49]) if len(f) > 49 and state == "Z" else None
        return Stat(
            pid=pid,
            name=name,
            status=STATUS_WORDS.get(state, state),
            ppid=int(f[1]),
            session=int(f[3]),
            cpu_seconds=(int(f[11]) + int(f[12])) / self.ticks,
            threads=int(f[17]),
            create_time=round(self.boot_time + int(f[19]) / self.ticks, 2),
            rss=int(f[21]) * self.page,
            exitcode=None if exit_status is None else exitcode_from_wait_status(exit_status),
        )

    def session_members(self, sid: int, known: Container[int] = ()) -> list[int]:
        # Once a second over every process of the machine: only the session field is
        # parsed, and the run's known members are not read at all.
        found = []
        for entry in os.scandir("/proc"):
            name = entry.name
            if not name.isdigit() or int(name) in known:
                continue
            try:
                fd = os.open(f"/proc/{name}/stat", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                raw = os.read(fd, 1024)
            except OSError:
                continue
            finally:
                os.close(fd)
            fields = raw[raw.rfind(b")") + 2 :].split(None, 4)
            if len(fields) > 3 and fields[3] == str(sid).encode():
                found.append(int(name))
        return found

    def cmdline(self, pid: int) -> list[str]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            return []


class PsutilReader:
    """The portable path (macOS, BSD): six attributes through ``oneshot()``."""

    def read_once(self, pid: int) -> Stat | None:
        return self.read(pid)

    def forget(self, pid: int) -> None:
        pass

    def close(self) -> None:
        pass

    def read(self, pid: int) -> Stat | None:
        try:
            p = psutil.Process(pid)
            with p.oneshot():
                times = p.cpu_times()
                return Stat(
                    pid=pid,
                    name=p.name(),
                    status=p.status(),
                    ppid=p.ppid(),
                    session=_session(pid),
                    cpu_seconds=times.user + times.system,
                    threads=p.num_threads(),
                    create_time=round(p.create_time(), 2),
                    rss=p.memory_info().rss,
                    exitcode=None,
                )
        except (
            psutil.NoSuchProcess,
            psutil.AccessDenied,
            psutil.ZombieProcess,
            ProcessLookupError,
        ):
            return None

    def session_members(self, sid: int, known: Container[int] = ()) -> list[int]:
        return [
            p.pid for p in psutil.process_iter() if p.pid not in known and _session(p.pid) == sid
        ]

    def cmdline(self, pid: int) -> list[str]:
        try:
            return list(psutil.Process(pid).cmdline())
        except (psutil.Error, ProcessLookupError):
            return []


def _session(pid: int) -> int:
    try:
        return os.getsid(pid)
    except OSError:
        return -1


def default_reader() -> Reader:
    if sys.platform.startswith("linux") and os.path.exists("/proc/self/stat"):
        return ProcReader()
    return PsutilReader()
