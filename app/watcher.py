"""One thread per run: the event channel, exit notifications, the sampler and stopping.

Everything about a run's members happens on this thread, so the member table
needs no lock. It waits on a selector holding the channel socket, the root's
stdout/stderr pipes and a pidfd per member (readable the instant that process
exits), with a timeout that lands on the next sampling tick.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol

from app import channel, reaper
from app.procfs import Reader
from app.records import Event, ProcessRecord
from app.sampler import Member, Observation, Sampler

HAS_PIDFD = hasattr(os, "pidfd_open")
# A process its parent reaped before we read its exit status: how long to wait for
# the parent's harness to report the code (its waitpid() returned first).
SETTLE_WAIT = 0.25


class Sink(Protocol):
    """Where a run's frames and events go (the hub, or a terminal printer)."""

    def frame(self, changed: list[ProcessRecord], removed: list[int]) -> None: ...

    def event(self, event: Event) -> None: ...

    def ended(self, returncode: int | None) -> None: ...

    def flush(self) -> None:
        """Deliver what this loop iteration produced (one hop to the consumer)."""


@dataclass
class Limits:
    sample_period: float = 0.05
    scan_period: float = 0.5
    max_processes: int = 256
    stop_grace: float = 2.0


@dataclass
class _Stop:
    reason: str
    kill_at: float
    killed: bool = False


@dataclass
class _Lifecycle:
    """Per-identity facts already reported, so each is reported exactly once."""

    spawned: set[tuple[int, float]] = field(default_factory=set)
    exit_codes: dict[int, int] = field(default_factory=dict)  # from the harness, by pid
    reaped: set[tuple[int, float]] = field(default_factory=set)


class RunWatcher:
    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        sock: socket.socket,
        reader: Reader,
        sink: Sink,
        limits: Limits,
        server_pid: int | None = None,
    ) -> None:
        self.popen = popen
        self.sock = sock
        self.sink = sink
        self.limits = limits
        self.server_pid = os.getpid() if server_pid is None else server_pid
        self.root_pid = popen.pid
        self.sampler = Sampler(reader, popen.pid)
        self.selector = selectors.DefaultSelector()
        self.pidfds: dict[int, int] = {}
        self.life = _Lifecycle()
        self.returncode: int | None = None
        self._unsettled: dict[int, tuple[Member, float]] = {}
        # Announced by the harness but gone before we could read them (lived < a ms or
        # two under load): reported from the harness's facts alone.
        self._vanished: set[int] = set()
        self._stop: _Stop | None = None
        self._stop_requested: str | None = None
        self._wake_r, self._wake_w = os.pipe()
        self.thread = threading.Thread(target=self._loop, name=f"watch-{popen.pid}", daemon=True)

    # -- control, from any thread ------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def request_stop(self, reason: str) -> None:
        if self._stop_requested is None:
            self._stop_requested = reason
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # -- the loop ------------------------------------------------------------------

    def _loop(self) -> None:
        sel = self.selector
        sel.register(self.sock, selectors.EVENT_READ, self._on_channel)
        sel.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        for stream, kind in ((self.popen.stdout, "stdout"), (self.popen.stderr, "stderr")):
            if stream is not None:
                os.set_blocking(stream.fileno(), False)
                sel.register(stream, selectors.EVENT_READ, self._pipe_reader(stream, kind))
        now = time.monotonic()
        self._follow(self.root_pid, "MainProcess", time.time())
        next_tick = now
        next_scan = now + self.limits.scan_period
        try:
            while not self._finished():
                for key, _ in sel.select(max(0.0, next_tick - time.monotonic())):
                    key.data()
                now = time.monotonic()
                if self._stop_requested and self._stop is None:
                    self._begin_stop(self._stop_requested)
                if now >= next_scan:
                    for pid in self.sampler.scan(time.time()):
                        self._on_found(pid)
                    next_scan = now + self.limits.scan_period
                if now >= next_tick:
                    self._on_channel()  # exit codes sent just before a process vanished
                    self._apply(self.sampler.tick(now))
                    self._settle_overdue(now)
                    self._check_limits()
                    self._advance_stop(now)
                    next_tick += self.limits.sample_period
                    if next_tick < now:  # fell behind: skip ticks, never burst
                        next_tick = now + self.limits.sample_period
                self.sink.flush()
            self._on_channel()  # what the last processes sent before they exited
        finally:
            self._cleanup()
        self.sink.ended(self.returncode)
        self.sink.flush()

    def _finished(self) -> bool:
        return self.returncode is not None and not self.sampler.members and not self._unsettled

    # -- inputs --------------------------------------------------------------------

    def _on_wake(self) -> None:
        os.read(self._wake_r, 64)

    def _on_channel(self) -> None:
        # The harness's lifecycle notes (spawn, exiting, reap) become facts checked here;
        # everything else (output, values, queues, the result) goes out as it came.
        for event in channel.drain(self.sock):
            if event.kind == "spawn":
                self._on_spawn(event)
            elif event.kind == "exiting":
                self.life.exit_codes[event.pid] = event.data.get("exitcode", 0)
            elif event.kind == "reap":
                self._on_reaped(event.pid, event.data.get("exitcode"), event.t)
            else:
                self.sink.event(event)

    def _pipe_reader(self, stream: IO[bytes], kind: str) -> Callable[[], None]:
        # Output that bypassed the harness (an interpreter dying early, C code):
        # all we know is that it came through the root's pipe.
        buffer = bytearray()
        fd = stream.fileno()

        def read() -> None:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self.selector.unregister(stream)
                if buffer:
                    self._emit(self.root_pid, kind, line=buffer.decode(errors="replace"))
                return
            buffer.extend(chunk)
            *lines, rest = buffer.split(b"\n")
            buffer[:] = rest
            for line in lines:
                self._emit(self.root_pid, kind, line=line.decode(errors="replace"))

        return read

    def _on_pidfd(self, pid: int) -> Callable[[], None]:
        def exited() -> None:
            self._on_channel()  # what it sent before exiting (its exit code, its result)
            self._unwatch(pid)
            if pid == self.root_pid:
                self._root_exited()
            obs = self.sampler.read_one(pid, time.monotonic())
            # Its children were re-parented before the exit was signalled: show it now.
            for child in [m.pid for m in self.sampler.members.values() if self._ppid(m) == pid]:
                self._merge(obs, self.sampler.read_one(child, time.monotonic()))
            self._apply(obs)

        return exited

    # -- lifecycle -----------------------------------------------------------------

    def _follow(self, pid: int, label: str, t: float, role: str = "") -> None:
        m = self.sampler.add(pid, label=label, role=role, now=time.monotonic())
        if m is not None:
            self._announce(m, t)

    def _on_spawn(self, event: Event) -> None:
        data = event.data
        self._follow(event.pid, str(data.get("label", "")), event.t, str(data.get("role", "")))
        announced = any(pid == event.pid for pid, _ in self.life.spawned)
        if event.pid not in self.sampler.members and not announced:
            self._vanished.add(event.pid)
            self.sink.event(event)  # its parent's word for it: the OS no longer has it

    def _on_found(self, pid: int) -> None:
        m = self.sampler.members.get(pid)
        if m is not None:
            self._announce(m, None, found_by="scan")

    def _announce(self, m: Member, t: float | None, **extra: object) -> None:
        """The spawn event, once per identity, and a pidfd to see its exit."""
        if (m.pid, m.create_time) in self.life.spawned:
            return
        self.life.spawned.add((m.pid, m.create_time))
        st = self.sampler.reader.read(m.pid)
        ppid = st.ppid if st else None
        self._emit(
            m.pid,
            "spawn",
            t,
            ppid=ppid,
            label=m.label,
            role=m.role,
            create_time=m.create_time,
            **extra,
        )
        self._watch(m.pid)
        # Its first record now, not at the next tick: a process that lives a few
        # milliseconds still appears in a frame with its state and parent.
        self._apply(self.sampler.read_one(m.pid, time.monotonic()))

    def _on_reaped(self, pid: int, exitcode: int | None, t: float) -> None:
        if pid in self._vanished:
            self._vanished.discard(pid)
            code = exitcode if exitcode is not None else self._code(pid)
            self._emit(pid, "exit", t, exitcode=code)
            self._emit(pid, "reap", t, exitcode=code)
            return
        pending = self._unsettled.get(pid)
        m = pending[0] if pending else self.sampler.members.get(pid)
        if m is not None:  # else: already reported
            self._settle(m, exitcode, t)

    def _root_exited(self) -> None:
        code = self.popen.poll()  # our own child: we reap it
        if code is None:
            return
        self.returncode = code
        self._on_reaped(self.root_pid, code, time.time())

    def _apply(self, obs: Observation) -> None:
        for pid, code in obs.exited:
            self._emit(pid, "exit", exitcode=code if code is not None else self._code(pid))
        for pid, old, new in obs.reparented:
            adopter = "procviz server (subreaper)" if new == self.server_pid else ""
            self._emit(pid, "adopt", old_ppid=old, new_ppid=new, adopter=adopter)
        for m in obs.gone:
            self._unwatch(m.pid)
            if m.exited or not self._parent_will_report(m):
                self._settle(m, None)
            else:
                self._unsettled[m.pid] = (m, time.monotonic() + SETTLE_WAIT)
        if obs.changed or obs.removed:
            self.sink.frame(obs.changed, obs.removed)
        self._reap_adopted()

    def _settle(self, m: Member, exitcode: int | None, t: float | None = None) -> None:
        """Report a vanished process's exit (if not yet) and its reap, exactly once."""
        self._unsettled.pop(m.pid, None)
        if not m.exited:
            m.exited = True
            m.exitcode = exitcode if exitcode is not None else self._code(m.pid)
            self._emit(m.pid, "exit", t, exitcode=m.exitcode)
        if (m.pid, m.create_time) not in self.life.reaped:
            self.life.reaped.add((m.pid, m.create_time))
            self._emit(m.pid, "reap", t, exitcode=m.exitcode if exitcode is None else exitcode)

    def _parent_will_report(self, m: Member) -> bool:
        """Its exit code is unknown but its parent's harness may report it in a moment.

        A multiprocessing parent reports its waitpid() with the code; under forkserver
        the parent reports the code the forkserver sends it when it polls.
        """
        if self._code(m.pid) is not None or m.record is None:
            return False
        return m.record.ppid in self.sampler.members

    def _settle_overdue(self, now: float) -> None:
        for m, deadline in list(self._unsettled.values()):
            if now >= deadline:
                self._settle(m, None)

    def _reap_adopted(self) -> None:
        for m in list(self.sampler.members.values()):
            if m.pid == self.root_pid or m.record is None or m.record.status != "zombie":
                continue
            if m.record.ppid != self.server_pid:
                continue
            code = reaper.reap_adopted(m.pid)
            if code is not None:
                self._on_reaped(m.pid, code, time.time())
                self._apply(self.sampler.read_one(m.pid, time.monotonic()))

    def _code(self, pid: int) -> int | None:
        return self.life.exit_codes.get(pid)

    def _ppid(self, m: Member) -> int | None:
        return m.record.ppid if m.record else None

    @staticmethod
    def _merge(into: Observation, other: Observation) -> None:
        into.changed += other.changed
        into.removed += other.removed
        into.exited += other.exited
        into.gone += other.gone
        into.reparented += other.reparented

    def _emit(self, pid: int, kind: str, t: float | None = None, **data: object) -> None:
        self.sink.event(Event(pid=pid, kind=kind, data=data, t=t or time.time()))

    def _watch(self, pid: int) -> None:
        if not HAS_PIDFD or pid in self.pidfds:
            return
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return  # already gone: the next tick reports it
        self.pidfds[pid] = fd
        self.selector.register(fd, selectors.EVENT_READ, self._on_pidfd(pid))

    def _unwatch(self, pid: int) -> None:
        fd = self.pidfds.pop(pid, None)
        if fd is not None:
            self.selector.unregister(fd)
            os.close(fd)

    # -- limits and stopping -------------------------------------------------------

    def _check_limits(self) -> None:
        if self._stop is None and len(self.sampler.members) > self.limits.max_processes:
            reason = (
                f"the run has {len(self.sampler.members)} processes, "
                f"more than the cap of {self.limits.max_processes}"
            )
            self._emit(self.root_pid, "limit", reason=reason, cap="max_processes")
            self._stop_requested = self._stop_requested or "max_processes"
            self._begin_stop(self._stop_requested)

    def _begin_stop(self, reason: str) -> None:
        self._stop = _Stop(reason, kill_at=time.monotonic() + self.limits.stop_grace)
        self._signal_all(signal.SIGTERM)
        self._signal_all(signal.SIGCONT)  # a stopped process acts on TERM only once continued
        if self.popen.poll() is not None:
            self._root_exited()

    def _advance_stop(self, now: float) -> None:
        if self.returncode is None and self.popen.poll() is not None:
            self._root_exited()
        stop = self._stop
        if stop is None or stop.killed or now < stop.kill_at:
            return
        stop.killed = True
        self._signal_all(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        """Signal the run's process group, only while its ID cannot belong to anyone else.

        The kernel keeps a PID reserved while it names a live process, group or session:
        our unreaped root, or any process left in the run's session. Once both are gone
        the number may be reused (another run's root, in a session of its own).
        """
        if self.popen.returncode is not None and not self.sampler.reader.session_members(
            self.root_pid
        ):
            return
        try:
            os.killpg(self.root_pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _signal_all(self, sig: signal.Signals) -> None:
        """The run's process group, then every member still seen (identity-checked)."""
        self._signal_group(sig)
        for m in list(self.sampler.members.values()):
            st = self.sampler.reader.read(m.pid)
            if st is not None and st.create_time == m.create_time:
                try:
                    os.kill(m.pid, sig)
                except ProcessLookupError:
                    pass

    def _cleanup(self) -> None:
        # Nothing may remain of the group: a last KILL covers a member we never saw.
        self._signal_group(signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        for pid in list(self.pidfds):
            self._unwatch(pid)
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        self.selector.close()
        self.sampler.reader.close()
        self.sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self.returncode is None:
            self.returncode = self.popen.returncode
