from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from app.procfs import ProcReader
from app.records import Event, ProcessRecord
from app.watcher import Limits, RunWatcher

NO_SUCH_PID = 4_000_000  # above the kernel's pid_max limit: never a live process


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.frames: list[tuple[list[ProcessRecord], list[int]]] = []

    def frame(self, changed: list[ProcessRecord], removed: list[int]) -> None:
        self.frames.append((changed, removed))

    def event(self, event: Event) -> None:
        self.events.append(event)

    def ended(self, returncode: int | None) -> None:
        pass

    def flush(self) -> None:
        pass


def test_watcher_reports_a_child_that_vanished_before_it_could_be_read(tmp_path: Path) -> None:
    root = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "s"))
    sink = ListSink()
    watcher = RunWatcher(root, sock, ProcReader(), sink, Limits())
    try:
        spawn = Event(NO_SUCH_PID, "spawn", {"ppid": root.pid, "label": "Process-1"}, 1.0)
        watcher._on_spawn(spawn)
        watcher._on_reaped(NO_SUCH_PID, -15, 2.0)
        watcher._on_reaped(NO_SUCH_PID, -15, 2.5)  # reported once only
        got = [(e.kind, e.t, e.data.get("exitcode")) for e in sink.events]
        assert got == [("spawn", 1.0, None), ("exit", 2.0, -15), ("reap", 2.0, -15)]
        assert sink.events[0].data["label"] == "Process-1"
    finally:
        root.wait()
        watcher._cleanup()  # closes the socket, the pipes and the selector
