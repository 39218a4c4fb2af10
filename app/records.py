"""The typed records that go on the wire, serialised in one place (``to_wire``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProcessRecord:
    """One process of a run, as sampled from the OS."""

    pid: int
    ppid: int
    name: str
    label: str
    status: str  # psutil's word: running, sleeping, disk-sleep, stopped, zombie, ...
    cpu_percent: float
    rss: int
    threads: int
    create_time: float
    role: str  # root | child | forkserver | resource_tracker
    life: str = "running"  # app.lifecycle.Life: running | stopped | exited (a zombie)
    exitcode: int | None = None  # a zombie's exit code (-N: killed by signal N)

    @property
    def identity(self) -> tuple[int, float]:
        return (self.pid, self.create_time)


@dataclass(frozen=True)
class Event:
    """Something that happened to one process: a lifecycle step or a lesson's report."""

    pid: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    t: float = field(default_factory=time.time)


def to_wire(run_id: str, type_: str, t: float | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "run": run_id, "t": time.time() if t is None else t, **fields}


def process_wire(p: ProcessRecord) -> dict[str, Any]:
    # Its fields are plain values: a copy of them is what ``asdict`` would build, in a
    # fortieth of the time (once per changed process per tick).
    return dict(vars(p))


def event_wire(run_id: str, e: Event) -> dict[str, Any]:
    return to_wire(run_id, "event", e.t, pid=e.pid, kind=e.kind, data=e.data)
