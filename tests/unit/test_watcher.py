from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from app import channel
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


class FlushSink(ListSink):
    """Counts the deliveries (flushes) that carried events: one hop to the loop each."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[int] = []  # events per delivery
        self._since = 0

    def flush(self) -> None:
        if len(self.events) > self._since:
            self.delivered.append(len(self.events) - self._since)
            self._since = len(self.events)


def test_watcher_hands_channel_events_to_the_loop_in_bulk_not_one_hop_per_datagram(
    tmp_path: Path,
) -> None:
    # A root that lives while datagrams come one by one, 2 ms apart (a chatty run).
    root = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    path = tmp_path / "events.sock"
    sock = channel.open_channel(path)
    sink = FlushSink()
    watcher = RunWatcher(root, sock, ProcReader(), sink, Limits(handoff_period=0.02))
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        watcher.start()
        for i in range(200):
            datagram = {"pid": root.pid, "kind": "stdout", "t": time.time(), "data": {"n": i}}
            sender.sendto(json.dumps(datagram).encode(), str(path))
            time.sleep(0.002)
        watcher.thread.join(timeout=30)
        assert not watcher.thread.is_alive()
    finally:
        sender.close()
        if watcher.thread.is_alive():
            watcher.request_stop("test")
            watcher.thread.join(timeout=10)
        root.wait()
    got = [e.data["n"] for e in sink.events if e.kind == "stdout"]
    assert got == list(range(200))  # every one, in order
    # Handed over in bulk: far fewer hops than datagrams (about one per hand-off period).
    assert len(sink.delivered) < 200 / 3, sink.delivered
