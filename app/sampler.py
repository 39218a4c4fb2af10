"""The run's members, sampled each period: records, deltas and lifecycle observations.

Identity is ``(pid, create_time)``: a PID the kernel reuses is a new process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.lifecycle import life_of_status
from app.procfs import Reader, Stat
from app.records import ProcessRecord

# CPU % is averaged over this window: one 50 ms tick holds 5 kernel ticks at most.
CPU_WINDOW = 0.5


@dataclass
class Member:
    pid: int
    create_time: float
    role: str
    label: str
    record: ProcessRecord | None = None
    raw: tuple[object, ...] = ()
    cpu_ref: tuple[float, float] | None = None  # (time, cpu_seconds)
    last: Stat | None = None
    cpu_percent: float = 0.0


@dataclass
class Observation:
    """What one tick saw, beyond the records themselves."""

    changed: list[ProcessRecord] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    exited: list[tuple[int, int | None]] = field(default_factory=list)  # zombies, first seen
    gone: list[Member] = field(default_factory=list)
    reparented: list[tuple[int, int, int]] = field(default_factory=list)  # pid, old, new


def _gone(st: Stat, m: Member) -> bool:
    """Replaced by a new process with its PID, or being reaped right now.

    While its parent reaps it, a task is "dead" (X) and its PPID reads 0 (the
    kernel's pid_alive() is false once it is detached); no member of a run can
    otherwise have PPID 0, since all descend from the server in its namespace.
    """
    return st.create_time != m.create_time or st.status == "dead" or st.ppid == 0


def role_of(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if "multiprocessing.forkserver" in text:
        return "forkserver"
    if "multiprocessing.resource_tracker" in text:
        return "resource_tracker"
    return "child"


def label_of(role: str) -> str:
    return {"forkserver": "forkserver", "resource_tracker": "resource tracker"}.get(role, "")


class Sampler:
    def __init__(self, reader: Reader, root_pid: int) -> None:
        self.reader = reader
        self.root_pid = root_pid
        self.members: dict[int, Member] = {}

    def add(self, pid: int, label: str = "", role: str = "", now: float = 0.0) -> Member | None:
        """Start following ``pid``: named by the harness (label, role), or found by a scan."""
        existing = self.members.get(pid)
        st = self.reader.read(pid)
        if st is None:
            return existing
        if existing is not None and existing.create_time == st.create_time:
            if (label, role) != (existing.label, existing.role) and label and pid != self.root_pid:
                # A scan found it first; the harness knows its name and role.
                existing.label, existing.role = label, role or existing.role
                existing.raw = ()  # send the record again
            return existing
        if pid == self.root_pid:
            role, label = "root", label or "MainProcess"
        else:
            # A child forked by the forkserver shares its command line: trust the harness.
            role = role or role_of(self.reader.cmdline(pid))
            label = label or label_of(role)
        member = Member(pid, st.create_time, role, label, cpu_ref=(now, st.cpu_seconds))
        self.members[pid] = member
        return member

    def scan(self, now: float) -> list[int]:
        """The slow path: every process of the run's session, to catch what no event named."""
        new = self.reader.session_members(self.root_pid, known=self.members)
        for pid in new:
            self.add(pid, now=now)
        return new

    def tick(self, now: float) -> Observation:
        obs = Observation()
        for pid, m in list(self.members.items()):
            st = self.reader.read(pid)
            if st is None or _gone(st, m):
                self._remove(m, obs)
                continue
            self._observe(m, st, now, obs)
        return obs

    def read_one(self, pid: int, now: float) -> Observation:
        """Sample one member now (a lifecycle notification), outside the tick."""
        obs = Observation()
        m = self.members.get(pid)
        if m is None:
            return obs
        st = self.reader.read(pid)
        if st is None or _gone(st, m):
            self._remove(m, obs)
        else:
            self._observe(m, st, now, obs)
        return obs

    def _remove(self, m: Member, obs: Observation) -> None:
        del self.members[m.pid]
        self.reader.forget(m.pid)
        obs.gone.append(m)
        obs.removed.append(m.pid)

    def _observe(self, m: Member, st: Stat, now: float, obs: Observation) -> None:
        if st is m.last and m.cpu_ref is not None and now - m.cpu_ref[0] < CPU_WINDOW:
            return  # the same reading as last tick: nothing can have changed
        m.last = st
        if m.cpu_ref is None:
            m.cpu_ref = (now, st.cpu_seconds)
        elif now - m.cpu_ref[0] >= CPU_WINDOW:
            t0, c0 = m.cpu_ref
            m.cpu_percent = round(100 * (st.cpu_seconds - c0) / (now - t0), 1)
            m.cpu_ref = (now, st.cpu_seconds)
        if st.status == "zombie":
            m.cpu_percent = 0.0
            if m.record is None or m.record.status != "zombie":
                obs.exited.append((m.pid, st.exitcode))
        raw = (st.ppid, st.status, m.cpu_percent, st.rss, st.threads, st.name, m.label, m.role)
        if raw == m.raw:
            return
        if m.record is not None and m.record.ppid != st.ppid:
            obs.reparented.append((m.pid, m.record.ppid, st.ppid))
        m.raw = raw
        m.record = ProcessRecord(
            pid=m.pid,
            ppid=st.ppid,
            name=st.name,
            label=m.label,
            status=st.status,
            cpu_percent=m.cpu_percent,
            rss=st.rss,
            threads=st.threads,
            create_time=m.create_time,
            role=m.role,
            life=str(life_of_status(st.status)),
            exitcode=st.exitcode,
        )
        obs.changed.append(m.record)

    def snapshot(self) -> list[ProcessRecord]:
        return [m.record for m in self.members.values() if m.record is not None]
