"""A hall joins late: 200 viewers open a run with thousands of events at once.

A smaller version of bench/join.py, with the correctness the bench does not check:
every joiner's history and live events, in order, are the recording's, and its
deltas apply to its snapshot; meanwhile a viewer already watching keeps receiving.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as aconnect
from websockets.sync.client import connect

from tests.client import ENDED, Server, api, expand, start_run, wait_state

pytestmark = pytest.mark.integration

JOINERS = 200
HISTORY_EVENTS = 3000
DELTAS_AFTER_JOIN = 3
# 16 producers at 5 items/s each (speed 20): thousands of events in seconds; then all
# but one are frozen and the run goes on at ~20 events/s for 90 s while the hall joins.
PARAMS = {
    "producers": 16,
    "consumers": 4,
    "items": 500,
    "produce_seconds": 4.0,
    "consume_seconds": 0,
    "maxsize": 64,
    "speed": 20,
}


def event_key(e: dict[str, Any]) -> bytes:
    data = json.dumps(e["data"], sort_keys=True)
    return f"{e['t']!r}|{e['pid']}|{e['kind']}|{data}".encode()


def table_text(table: dict[int, dict[str, Any]]) -> str:
    return json.dumps(sorted(table.items()), sort_keys=True)


@dataclass
class Viewer:
    """What one viewer was sent, kept small: 200 of them hold thousands of events each."""

    types: list[str] = field(default_factory=list)  # the first few message types
    events: int = 0
    digest: Any = field(default_factory=hashlib.blake2b)
    live_seen: bool = False
    history_after_live: int = 0
    table: dict[int, dict[str, Any]] = field(default_factory=dict)
    seq: int | None = None
    snapshot: tuple[int, str] | None = None
    deltas: int = 0
    misfits: list[str] = field(default_factory=list)  # deltas that did not follow a frame

    def take(self, raw: str | bytes) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(raw)
        if len(self.types) < 3:
            self.types.append(message["type"])
        for m in expand(message):
            if m["type"] == "event":
                self.events += 1
                self.digest.update(event_key(m))
                if not m.get("history"):
                    self.live_seen = True
                elif self.live_seen:
                    self.history_after_live += 1
            elif m["type"] == "snapshot":
                self.table = {p["pid"]: p for p in m["processes"]}
                self.seq = m["seq"]
                if self.snapshot is None:
                    self.snapshot = (m["seq"], table_text(self.table))
            elif m["type"] == "delta":
                if self.seq is None or m["seq"] != self.seq + 1:
                    self.misfits.append(f"delta {m['seq']} after frame {self.seq}")
                for p in m["changed"]:
                    self.table[p["pid"]] = p
                for pid in m["removed"]:
                    self.table.pop(pid, None)
                self.seq = m["seq"]
                self.deltas += 1
        return message


class Probe:
    """A viewer watching since the start, and /healthz polled, both in threads."""

    def __init__(self, server: Server, run_id: str) -> None:
        self.server, self.run_id = server, run_id
        self.viewer = Viewer()
        self.arrivals: list[float] = []
        self.tables: dict[int, str] = {}  # seq -> the table after that frame
        self.health: list[tuple[float, int]] = []  # (seconds to answer, status)
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.threads = [threading.Thread(target=f) for f in (self._watch, self._health)]
        for t in self.threads:
            t.start()
        assert self.ready.wait(30)

    def _watch(self) -> None:
        with connect(f"{self.server.ws_base}/ws/runs/{self.run_id}", max_size=None) as ws:
            self.ready.set()
            while not self.stopping.is_set():
                try:
                    raw = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                self.arrivals.append(time.monotonic())
                message = self.viewer.take(raw)
                if message["type"] in ("snapshot", "delta"):
                    self.tables[message["seq"]] = table_text(self.viewer.table)
                if message["type"] == "run" and message["state"] in ENDED:
                    return

    def _health(self) -> None:
        with httpx.Client(base_url=self.server.base, timeout=30) as client:
            while not self.stopping.is_set():
                t0 = time.monotonic()
                status = client.get("/healthz").status_code
                self.health.append((time.monotonic() - t0, status))
                time.sleep(0.05)

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)

    def worst_gap(self, start: float, end: float) -> float:
        times = [start] + [t for t in self.arrivals if start <= t <= end] + [end]
        return max(b - a for a, b in itertools.pairwise(times))


async def hall(server: Server, run_id: str, n: int, timeout: float) -> list[Viewer]:
    viewers = [Viewer() for _ in range(n)]

    async def one(v: Viewer) -> None:
        url = f"{server.ws_base}/ws/runs/{run_id}"
        async with aconnect(url, max_size=None, open_timeout=timeout) as ws:
            while v.snapshot is None or v.deltas < DELTAS_AFTER_JOIN:
                v.take(await ws.recv())

    await asyncio.wait_for(asyncio.gather(*(one(v) for v in viewers)), timeout)
    return viewers


def freeze(server: Server, run_id: str, table: dict[int, dict[str, Any]], sig: str) -> None:
    # The lesson starts its producers first, then its consumers.
    children = sorted((p for p in table.values() if p["role"] == "child"), key=started)
    producers = [p["pid"] for p in children[: int(PARAMS["producers"])]]
    for pid in producers[1:]:  # one producer goes on
        r = api(server, "POST", f"/api/runs/{run_id}/signal", json={"pid": pid, "signal": sig})
        assert r.status_code == 200, r.text


def started(p: dict[str, Any]) -> tuple[float, int]:
    return (p["create_time"], p["pid"])


def recorded_events(server: Server, run_id: str) -> list[bytes]:
    lines = api(server, "GET", f"/api/runs/{run_id}/recording").text.splitlines()
    return [event_key(m) for m in map(json.loads, lines) if m["type"] == "event"]


def test_late_joiners_get_snapshot_history_then_deltas_while_a_watcher_keeps_flowing(
    make_server: Any,
) -> None:
    server = make_server(PROCVIZ_TOKEN="late-join-token")
    run = start_run(server, "producer-consumer", PARAMS)
    probe = Probe(server, run["id"])
    try:
        deadline = time.monotonic() + 60
        while probe.viewer.events < HISTORY_EVENTS:
            assert time.monotonic() < deadline, f"only {probe.viewer.events} events in 60 s"
            time.sleep(0.05)
        freeze(server, run["id"], dict(probe.viewer.table), "SIGSTOP")
        history = probe.viewer.events
        start = time.monotonic()
        # On a loop of its own: the browser tests' Playwright keeps one running in this thread.
        with ThreadPoolExecutor(1) as pool:
            viewers = pool.submit(asyncio.run, hall(server, run["id"], JOINERS, 120)).result()
        end = time.monotonic()
        gap = probe.worst_gap(start, end)
        freeze(server, run["id"], dict(probe.viewer.table), "SIGCONT")
        api(server, "POST", f"/api/runs/{run['id']}/stop")
        wait_state(server, run["id"], ENDED)
    finally:
        probe.stop()
    truth = recorded_events(server, run["id"])
    prefixes: dict[int, bytes] = {}
    compared = 0
    for i, v in enumerate(viewers):
        assert v.types[:2] == ["run", "snapshot"], f"viewer {i}: {v.types}"
        assert v.events >= history, f"viewer {i}: {v.events} events, the run had {history}"
        if v.events not in prefixes:
            prefixes[v.events] = hashlib.blake2b(b"".join(truth[: v.events])).digest()
        assert v.digest.digest() == prefixes[v.events], f"viewer {i}: not the recording's events"
        assert v.history_after_live == 0, f"viewer {i}: history after live events"
        assert v.snapshot is not None and v.seq is not None
        assert v.misfits == [], f"viewer {i}: {v.misfits[:3]}"
        assert v.deltas >= DELTAS_AFTER_JOIN
        # The same process table as the watcher had at the same frame (unless it skipped it).
        for seq, text in (v.snapshot, (v.seq, table_text(v.table))):
            if seq in probe.tables:
                assert probe.tables[seq] == text, f"viewer {i} at frame {seq}"
                compared += 1
    assert compared >= JOINERS
    assert probe.viewer.misfits == []
    assert probe.health and all(status == 200 for _, status in probe.health)
    assert max(seconds for seconds, _ in probe.health) < 5.0
    assert gap < 2.0, f"the watching viewer got nothing for {gap:.2f} s while the hall joined"
