"""One thread per run: the event channel, exit notifications, the sampler and stopping.

Everything about a run's members happens on this thread, so the member table
needs no lock. It waits on a selector holding the channel socket, the root's
stdout/stderr pipes and a pidfd per member (readable the instant that process
exits), with a timeout that lands on the next sampling tick.

The channel is read as soon as it is readable, everything waiting at once: a datagram
socket's queue is short (``net.unix.max_dgram_qlen``, 10 by default, and then the run's
processes block in ``sendto``), so reads are never put off. What is handed to the
event loop is: channel events alone wait up to ``handoff_period`` after the last
hand-off and go together, one hop and one batch for viewers instead of one per
datagram; a tick, an exit or anything else goes at once and takes them along.
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
from dataclasses import dataclass
from typing import IO, Protocol

from app import channel
from app.handle import ProcessHandle, reap_child
from app.lifecycle import Life, LifeTable, ProcessLife, life_of_status
from app.procfs import Reader, Stat
from app.records import Event, ProcessRecord
from app.sampler import Member, Observation, Sampler

# A process its parent reaped before we read its exit status: how long to wait for
# the parent's harness to report the code (its waitpid() returned first).
SETTLE_WAIT = 0.25
# CPU seconds (all processes) that count as progress when watching for a stalled run.
STALL_CPU = 0.1
# The final check: how long killing and reaping what is left of a run may take.
SWEEP_WAIT = 2.0


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
    # After the presenter killed a process: this long without any progress in the
    # run (no event, no CPU time) and the others are waiting for it forever.
    stall_seconds: float = 5.0
    # Channel events alone are handed to the event loop at most this often (see the module).
    handoff_period: float = 0.02


@dataclass
class _Stop:
    reason: str
    kill_at: float
    killed: bool = False


class RunWatcher:
    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        sock: socket.socket,
        reader: Reader,
        sink: Sink,
        limits: Limits,
        server_pid: int | None = None,
        extra_members: Callable[[], list[int]] | None = None,
    ) -> None:
        self.popen = popen
        self.sock = sock
        self.sink = sink
        self.limits = limits
        self.server_pid = os.getpid() if server_pid is None else server_pid
        self.root_pid = popen.pid
        self.sampler = Sampler(reader, popen.pid)
        self.selector = selectors.DefaultSelector()
        self.handles: dict[int, ProcessHandle] = {}
        self.life = LifeTable()
        self.returncode: int | None = None
        self.max_seen = 0
        # Processes of the run outside its session (a cgroup's tasks), for the final check.
        self._extra_members = extra_members or (lambda: [])
        self._root_create_time: float | None = None
        self._stop: _Stop | None = None
        self._stop_requested: str | None = None
        self._capped = False
        # PIDs the presenter signalled (appended from the event loop's thread).
        self._signalled: dict[int, str] = {}  # pid → the signal's name
        self._stalled_by: str | None = None
        # Freeze: wanted (set from the event loop's thread) and in effect (this thread).
        self._freeze_wanted = False
        self.frozen_since: float | None = None
        self.frozen_seconds = 0.0
        self._last_progress = time.monotonic()
        self._cpu_total = 0.0
        self._wake_r, self._wake_w = os.pipe()
        self._handoff_at = 0.0  # channel events alone wait until then (monotonic)
        self._holding = False  # events read from the channel are waiting for it
        self.thread = threading.Thread(target=self._loop, name=f"watch-{popen.pid}", daemon=True)

    # -- control, from any thread ------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def request_stop(self, reason: str) -> None:
        if self._stop_requested is None:
            self._stop_requested = reason
        self._wake()

    def request_freeze(self, frozen: bool) -> None:
        """Freeze (SIGSTOP every process of the run) or thaw it (SIGCONT), on this thread."""
        self._freeze_wanted = frozen
        self._wake()

    def frozen_total(self, now: float | None = None) -> float:
        """Seconds the run has been frozen so far (the current freeze included)."""
        now = time.monotonic() if now is None else now
        current = now - self.frozen_since if self.frozen_since is not None else 0.0
        return self.frozen_seconds + current

    def note_signal(self, pid: int, sig: str) -> None:
        """The presenter signalled ``pid``: from now on, watch for a stalled run.

        Also when it does not die of it: a child interrupted while its queue's feeder
        thread still holds items never exits, and its parent waits for it for ever.
        """
        self._signalled[pid] = sig
        if sig in ("SIGINT", "SIGTERM", "SIGKILL"):
            self._stalled_by = self._stalled_by or f"process {pid} was sent {sig}"
            self._last_progress = time.monotonic()

    def _wake(self) -> None:
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
        root = self.sampler.members.get(self.root_pid)
        self._root_create_time = root.create_time if root else None
        next_tick = now
        next_scan = now + self.limits.scan_period
        try:
            while not self._finished():
                until = min(next_tick, self._handoff_at) if self._holding else next_tick
                urgent = False  # anything but channel events: hand over at once
                for key, _ in sel.select(max(0.0, until - time.monotonic())):
                    key.data()
                    urgent = urgent or key.fileobj is not self.sock
                now = time.monotonic()
                if self._stop_requested and self._stop is None:
                    self._begin_stop(self._stop_requested)
                elif self._freeze_wanted != (self.frozen_since is not None):
                    self._apply_freeze(self._freeze_wanted, now)
                if now >= next_scan:
                    for pid in self.sampler.scan(time.time()):
                        self._on_found(pid)
                    next_scan = now + self.limits.scan_period
                if now >= next_tick:
                    self._on_channel()  # exit codes sent just before a process vanished
                    self._apply(self.sampler.tick(now))
                    self._settle_overdue(now)
                    self._check_limits()
                    self._check_stall(now)
                    self._advance_stop(now)
                    next_tick += self.limits.sample_period
                    if next_tick < now:  # fell behind: skip ticks, never burst
                        next_tick = now + self.limits.sample_period
                    urgent = True
                self._hand_off(now, urgent)
            self._on_channel()  # what the last processes sent before they exited
        finally:
            self._cleanup()
        self.sink.ended(self.returncode)
        self.sink.flush()

    def _hand_off(self, now: float, urgent: bool) -> None:
        """Deliver to the sink, unless only channel events came within a hand-off period."""
        if not urgent and now < self._handoff_at:
            self._holding = True
            return
        self.sink.flush()
        self._holding = False
        self._handoff_at = now + self.limits.handoff_period

    def _finished(self) -> bool:
        return (
            self.returncode is not None and not self.sampler.members and not self.life.unsettled()
        )

    # -- inputs --------------------------------------------------------------------

    def _on_wake(self) -> None:
        os.read(self._wake_r, 64)

    def _on_channel(self) -> None:
        # The harness's lifecycle notes (spawn, exiting, reap) become facts checked here;
        # everything else (output, values, queues, the result) goes out as it came.
        events = channel.drain(self.sock)
        if events:
            self._last_progress = time.monotonic()
        for event in events:
            if event.kind == "spawn":
                self._on_spawn(event)
            elif event.kind == "exiting":
                code = event.data.get("exitcode", 0)
                self.life.codes[event.pid] = code if isinstance(code, int) else 1
            elif event.kind == "reap":
                code = event.data.get("exitcode")
                self._on_reaped(event.pid, code if isinstance(code, int) else None, event.t)
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
        if event.pid not in self.sampler.members and self.life.get(event.pid) is None:
            # Gone before we could read it (lived < a ms or two under load): its
            # parent's word is all there is, and its exit comes from the harness too.
            self.life.begin(event.pid, None)
            self.sink.event(event)
        self._check_limits()

    def _on_found(self, pid: int) -> None:
        m = self.sampler.members.get(pid)
        if m is not None:
            self._announce(m, None, found_by="scan")
        self._check_limits()

    def _announce(self, m: Member, t: float | None, **extra: object) -> None:
        """The spawn event, once per identity, and a handle to see its exit."""
        if self.life.begin(m.pid, m.create_time) is None:
            return
        st = self.sampler.reader.read(m.pid)
        self._emit(
            m.pid,
            "spawn",
            t,
            ppid=st.ppid if st else None,
            label=m.label,
            role=m.role,
            create_time=m.create_time,
            **extra,
        )
        self._watch(m)
        # Its first record now, not at the next tick: a process that lives a few
        # milliseconds still appears in a frame with its state and parent.
        self._apply(self.sampler.read_one(m.pid, time.monotonic()))

    def _on_reaped(self, pid: int, exitcode: int | None, t: float) -> None:
        life = self.life.get(pid)
        if life is not None:
            self._reap(life, exitcode, t)

    def _exit(self, life: ProcessLife, code: int | None, t: float | None = None) -> None:
        """The exit event, on the one transition into ``exited``."""
        if life.state.ended:
            return
        life.exitcode = code if code is not None else self.life.code(life.pid)
        life.to(Life.EXITED)
        self._emit(life.pid, "exit", t, exitcode=life.exitcode)
        sent = self._signalled.get(life.pid)
        # Ended by the presenter's signal (killed, or a KeyboardInterrupt exiting 1): the
        # others may now wait for it forever.
        if sent is not None and life.exitcode not in (None, 0):
            self._stalled_by = f"process {life.pid} was ended by {sent}"
            self._last_progress = time.monotonic()

    def _reap(self, life: ProcessLife, code: int | None, t: float | None = None) -> None:
        """The reap event (after the exit, if that was not seen), exactly once."""
        if life.state == Life.REAPED:
            return
        life.settle_by = None
        self._exit(life, code, t)
        if code is not None:
            life.exitcode = code  # its parent's waitpid() is the last word
        life.to(Life.REAPED)
        self._emit(life.pid, "reap", t, exitcode=life.exitcode)

    def _root_exited(self) -> None:
        code = self.popen.poll()  # our own child: we reap it
        if code is None:
            return
        self.returncode = code
        self._on_reaped(self.root_pid, code, time.time())

    def _life_of(self, m: Member) -> ProcessLife | None:
        life = self.life.get(m.pid)
        return life if life is not None and life.create_time == m.create_time else None

    def _apply(self, obs: Observation) -> None:
        for pid, code in obs.exited:
            life = self.life.get(pid)
            if life is not None:
                self._exit(life, code)
        for record in obs.changed:
            life = self.life.get(record.pid)
            state = life_of_status(record.status)
            if life is not None and not life.state.ended and not state.ended:
                life.to(state)
        for pid, old, new in obs.reparented:
            adopter = "procviz server (subreaper)" if new == self.server_pid else ""
            self._emit(pid, "adopt", old_ppid=old, new_ppid=new, adopter=adopter)
        for m in obs.gone:
            self._unwatch(m.pid)
            life = self._life_of(m)
            if life is None or life.state == Life.REAPED:
                continue
            if life.state == Life.EXITED or not self._parent_will_report(m):
                self._reap(life, None)
            else:
                life.settle_by = time.monotonic() + SETTLE_WAIT
        if obs.changed or obs.removed:
            self.sink.frame(obs.changed, obs.removed)
        self._reap_adopted()

    def _parent_will_report(self, m: Member) -> bool:
        """Its exit code is unknown but its parent's harness may report it in a moment.

        A multiprocessing parent reports its waitpid() with the code; under forkserver
        the parent reports the code the forkserver sends it when it polls.
        """
        if self.life.code(m.pid) is not None or m.record is None:
            return False
        return m.record.ppid in self.sampler.members

    def _settle_overdue(self, now: float) -> None:
        for life in self.life.unsettled():
            if life.settle_by is not None and now >= life.settle_by:
                self._reap(life, None)

    def _reap_adopted(self) -> None:
        for m in list(self.sampler.members.values()):
            if m.pid == self.root_pid or m.record is None or m.record.status != "zombie":
                continue
            if m.record.ppid != self.server_pid:
                continue
            handle = self.handles.get(m.pid)
            code = handle.reap() if handle is not None else reap_child(m.pid)
            if code is not None:
                self._on_reaped(m.pid, code, time.time())
                self._apply(self.sampler.read_one(m.pid, time.monotonic()))

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

    def _watch(self, m: Member) -> None:
        if m.pid in self.handles:
            return
        handle = ProcessHandle.open(self.sampler.reader, m.pid, m.create_time)
        if handle is None:
            return  # already gone: the next tick reports it
        self.handles[m.pid] = handle
        if handle.pidfd is not None:
            self.selector.register(handle, selectors.EVENT_READ, self._on_pidfd(m.pid))

    def _unwatch(self, pid: int) -> None:
        handle = self.handles.pop(pid, None)
        if handle is not None:
            if handle.pidfd is not None:
                self.selector.unregister(handle)
            handle.close()

    # -- limits and stopping -------------------------------------------------------

    def _check_limits(self) -> None:
        count = len(self.sampler.members)
        self.max_seen = max(self.max_seen, count)
        if self._capped or count <= self.limits.max_processes:
            return
        self._capped = True
        reason = f"the run has {count} processes, more than the cap of {self.limits.max_processes}"
        self._emit(self.root_pid, "limit", reason=reason, cap="max_processes")
        self._stop_requested = self._stop_requested or "max_processes"
        # No grace: a run that forks past its cap would fork on during one. A group
        # signal reaches a process forked concurrently too (the kernel restarts the fork).
        self._stop = _Stop(self._stop_requested, kill_at=time.monotonic(), killed=True)
        self._signal_all(signal.SIGKILL)

    def _apply_freeze(self, frozen: bool, now: float) -> None:
        if frozen:
            # The group signal also reaches a process being forked; a new one cannot
            # start while every process that could start it is stopped.
            self._signal_all(signal.SIGSTOP)
            self.frozen_since = now
            self._emit(self.root_pid, "freeze", frozen=True)
        else:
            self.frozen_seconds = self.frozen_total(now)
            self.frozen_since = None
            self._signal_all(signal.SIGCONT)
            self._emit(self.root_pid, "freeze", frozen=False, seconds=round(self.frozen_seconds, 3))

    def _check_stall(self, now: float) -> None:
        cpu = sum(m.last.cpu_seconds for m in self.sampler.members.values() if m.last)
        # Work, not housekeeping: the tracer's sampler threads cost a clock tick now and
        # then; a process that computes costs a core. A frozen run is not stalled.
        if cpu - self._cpu_total > STALL_CPU or cpu < self._cpu_total or self.frozen_since:
            self._cpu_total, self._last_progress = cpu, now
        if self._stalled_by is None or self._stop is not None:
            return
        if now - self._last_progress < self.limits.stall_seconds:
            return
        reason = (
            f"{self._stalled_by}, and nothing has happened in the run for "
            f"{self.limits.stall_seconds:g} s: the others are waiting for it forever"
        )
        self._emit(self.root_pid, "limit", reason=reason, cap="stalled")
        self._stop_requested = self._stop_requested or "stalled"
        self._begin_stop(self._stop_requested)

    def _begin_stop(self, reason: str) -> None:
        if self.frozen_since is not None:
            self._apply_freeze(False, time.monotonic())  # a stop thaws: TERM needs a CONT
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

    def _group_is_ours(self) -> bool:
        """The run's group and session ID still name the run's processes.

        The kernel keeps a PID reserved while it names a live process, group or session:
        our unreaped root, or any process left in the run's session. Once both are gone
        the number may be reused (another run's root, in a session of its own).
        """
        return self.popen.returncode is None or bool(self._session())

    def _session(self) -> list[int]:
        """The processes of the run's session, or none if its ID now names another's."""
        reader = self.sampler.reader
        if self.popen.returncode is not None:
            leader = reader.read_once(self.root_pid)
            if leader is not None and leader.create_time != self._root_create_time:
                return []  # the number now names someone else's session
        return reader.session_members(self.root_pid)

    def _signal_group(self, sig: signal.Signals) -> None:
        if not self._group_is_ours():
            return
        try:
            os.killpg(self.root_pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _signal_all(self, sig: signal.Signals) -> None:
        """The run's process group, then every member still seen (through its handle)."""
        self._signal_group(sig)
        for handle in list(self.handles.values()):
            handle.signal(sig)

    # -- the final check -------------------------------------------------------------

    def _leftovers(self) -> list[Stat]:
        """What is left of the run: its session (minus the root) and its extra members."""
        reader = self.sampler.reader
        pids = set(self._extra_members()) | set(self._session())  # one /proc scan
        pids.discard(self.root_pid)
        return [st for pid in sorted(pids) if (st := reader.read_once(pid)) is not None]

    def _sweep(self) -> None:
        """Kill and reap whatever of the run is left; a zombie that stays is reported.

        A child born in the instant a stop began was never announced: it is killed
        with the group, adopted by the server once its parent dies, and reaped here.
        """
        deadline = time.monotonic() + SWEEP_WAIT
        while left := self._leftovers():
            for st in left:
                if st.status == "zombie" and st.ppid == self.server_pid:
                    self._reap_stray(st)
                elif st.status != "zombie":
                    handle = ProcessHandle.open(self.sampler.reader, st.pid, st.create_time)
                    if handle is not None:
                        handle.signal(signal.SIGKILL)
                        handle.close()
            if time.monotonic() >= deadline:
                for st in self._leftovers():
                    word = "a zombie" if st.status == "zombie" else f"alive ({st.status})"
                    reason = f"process {st.pid} is still {word} after the run ended"
                    self._emit(st.pid, "limit", reason=reason, cap="left_behind")
                return
            time.sleep(0.005)

    def _reap_stray(self, st: Stat) -> None:
        code = reap_child(st.pid)
        if code is None:
            return
        life = self.life.get(st.pid)
        if life is None or life.create_time not in (st.create_time, None):
            life = self.life.begin(st.pid, st.create_time)
            if life is None:
                return
            label = "fork" if st.name.startswith("python") else st.name
            self._emit(st.pid, "spawn", ppid=st.ppid, label=label, role="child", found_by="sweep")
        self._reap(life, code)

    def _cleanup(self) -> None:
        # Nothing may remain of the group: a last KILL covers a member we never saw.
        self._signal_group(signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        for pid in list(self.handles):
            self._unwatch(pid)
        self._sweep()
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
            if self.returncode is not None:
                self._on_reaped(self.root_pid, self.returncode, time.time())
