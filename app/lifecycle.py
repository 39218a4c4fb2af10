"""A process's life, one state machine per identity ``(pid, create_time)``.

announced → running ⇄ stopped → exited (a zombie) → reaped; adoption is noted on
the way. Each lifecycle event (spawn, exit, reap) is the side effect of exactly
one transition, so it is reported once, whatever order the facts arrive in: the
harness's word (a spawn datagram, an exit code, a parent's waitpid), a pidfd
becoming readable, or a sample.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Life(enum.StrEnum):
    ANNOUNCED = "announced"  # named by the harness; not read from the OS yet
    RUNNING = "running"
    STOPPED = "stopped"  # SIGSTOP / SIGTSTP: state T
    EXITED = "exited"  # a zombie: its exit status waits for its parent
    REAPED = "reaped"

    @property
    def ended(self) -> bool:
        return self in (Life.EXITED, Life.REAPED)


TRANSITIONS: dict[Life, frozenset[Life]] = {
    Life.ANNOUNCED: frozenset({Life.RUNNING, Life.STOPPED, Life.EXITED, Life.REAPED}),
    Life.RUNNING: frozenset({Life.STOPPED, Life.EXITED, Life.REAPED}),
    Life.STOPPED: frozenset({Life.RUNNING, Life.EXITED, Life.REAPED}),
    Life.EXITED: frozenset({Life.REAPED}),
    Life.REAPED: frozenset(),
}


class InvalidLifeTransition(RuntimeError):
    def __init__(self, pid: int, current: Life, wanted: Life) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        super().__init__(f"process {pid} cannot go from {current} to {wanted} (allowed: {allowed})")


def life_of_status(status: str) -> Life:
    """The life a sampled psutil status word implies."""
    if status == "zombie":
        return Life.EXITED
    if status in ("stopped", "tracing-stop"):
        return Life.STOPPED
    return Life.RUNNING


@dataclass
class ProcessLife:
    pid: int
    create_time: float | None  # None: the harness named it, the OS never showed it
    state: Life = Life.ANNOUNCED
    exitcode: int | None = None
    settle_by: float | None = None  # gone, code unknown: wait for its parent's report

    def to(self, wanted: Life) -> bool:
        """Move to ``wanted``; True if that is a change (the caller reports it)."""
        if wanted == self.state:
            return False
        if wanted not in TRANSITIONS[self.state]:
            raise InvalidLifeTransition(self.pid, self.state, wanted)
        self.state = wanted
        return True


class LifeTable:
    """Every identity a run has had, by PID (the latest identity holding each PID)."""

    def __init__(self) -> None:
        self.by_pid: dict[int, ProcessLife] = {}
        self.codes: dict[int, int] = {}  # exit codes the harness reported, by pid

    def get(self, pid: int) -> ProcessLife | None:
        return self.by_pid.get(pid)

    def begin(self, pid: int, create_time: float | None) -> ProcessLife | None:
        """A new identity (returned), or None if this one is already known."""
        known = self.by_pid.get(pid)
        if known is not None and known.create_time == create_time:
            return None
        life = ProcessLife(pid, create_time)
        self.by_pid[pid] = life
        return life

    def code(self, pid: int) -> int | None:
        return self.codes.get(pid)

    def unsettled(self) -> list[ProcessLife]:
        return [life for life in self.by_pid.values() if life.settle_by is not None]
