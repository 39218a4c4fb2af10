from __future__ import annotations

from collections.abc import Container
from dataclasses import replace

from app.procfs import Stat
from app.sampler import Sampler, role_of


class FakeReader:
    """The OS as a dict: tests change it between ticks."""

    def __init__(self) -> None:
        self.table: dict[int, Stat] = {}

    def read(self, pid: int) -> Stat | None:
        return self.table.get(pid)

    def session_members(self, sid: int, known: Container[int] = ()) -> list[int]:
        return [p.pid for p in self.table.values() if p.session == sid and p.pid not in known]

    def forget(self, pid: int) -> None:
        pass

    def close(self) -> None:
        pass

    def cmdline(self, pid: int) -> list[str]:
        return ["python", "-c", "from multiprocessing.forkserver import main"] if pid == 30 else []


def stat(pid: int, ppid: int, **kw: object) -> Stat:
    base = Stat(pid, "python", "sleeping", ppid, 10, 0.0, 1, 1000.0 + pid, 1 << 20, None)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_sampler_reports_only_what_changed() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1), 11: stat(11, 10)}
    s = Sampler(os_, root_pid=10)
    s.add(10)
    s.add(11, label="Process-1", role="child")
    first = s.tick(0.0)
    assert {p.pid for p in first.changed} == {10, 11}
    assert s.tick(0.05).changed == []
    os_.table[11] = stat(11, 10, status="running")
    again = s.tick(0.1)
    assert [(p.pid, p.status, p.label) for p in again.changed] == [(11, "running", "Process-1")]


def test_sampler_identity_is_pid_and_create_time() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1), 11: stat(11, 10)}
    s = Sampler(os_, root_pid=10)
    s.add(10)
    s.add(11)
    s.tick(0.0)
    os_.table[11] = stat(11, 10, create_time=5000.0)  # the PID was reused
    obs = s.tick(0.05)
    assert obs.removed == [11]
    assert [m.pid for m in obs.gone] == [11]


def test_sampler_sees_exit_once_and_reparenting() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1), 11: stat(11, 10), 12: stat(12, 11)}
    s = Sampler(os_, root_pid=10)
    for pid in (10, 11, 12):
        s.add(pid)
    s.tick(0.0)
    os_.table[11] = stat(11, 10, status="zombie", exitcode=0)
    os_.table[12] = stat(12, 999)
    obs = s.tick(0.05)
    assert obs.exited == [(11, 0)]
    assert obs.reparented == [(12, 11, 999)]
    assert s.tick(0.1).exited == []


def test_sampler_scan_finds_session_members_and_their_roles() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1), 30: stat(30, 10), 99: stat(99, 1, session=99)}
    s = Sampler(os_, root_pid=10)
    s.add(10)
    assert s.scan(0.0) == [30]
    assert s.members[30].role == "forkserver" and s.members[30].label == "forkserver"
    assert s.members[10].role == "root" and s.members[10].label == "MainProcess"


def test_sampler_cpu_percent_is_averaged_over_the_window() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1, cpu_seconds=1.0)}
    s = Sampler(os_, root_pid=10)
    s.add(10, now=0.0)
    os_.table[10] = stat(10, 1, cpu_seconds=1.25)
    s.tick(0.25)
    assert s.members[10].cpu_percent == 0.0  # the window has not passed yet
    os_.table[10] = stat(10, 1, cpu_seconds=1.5)
    s.tick(0.5)
    assert s.members[10].cpu_percent == 100.0


def test_role_of_knows_the_start_methods_helpers() -> None:
    assert (
        role_of(["python", "-c", "from multiprocessing.resource_tracker import main;main(5)"])
        == "resource_tracker"
    )
    assert role_of(["python", "-m", "workers.trace.script", "--", "main.py"]) == "child"


def test_sampler_counts_a_task_being_reaped_as_gone() -> None:
    os_ = FakeReader()
    os_.table = {10: stat(10, 1), 11: stat(11, 10), 12: stat(12, 10)}
    s = Sampler(os_, root_pid=10)
    for pid in (10, 11, 12):
        s.add(pid)
    s.tick(0.0)
    os_.table[11] = stat(11, 0, status="zombie")  # detached while its parent reaps it
    os_.table[12] = stat(12, 10, status="dead")
    obs = s.tick(0.05)
    assert sorted(obs.removed) == [11, 12]
    assert obs.reparented == [] and obs.changed == []
