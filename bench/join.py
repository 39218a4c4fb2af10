"""A hall joins late: N viewers open a run with ~30k events at once.

Run: .venv/bin/python bench/join.py [--viewers 500] [--events 30000] [--repeat 3]
Targets: every viewer has its snapshot within 5 s; /healthz p99 ≤ 200 ms during the
join; server RSS growth ≤ 150 MB; a fast viewer's event latency p95 ≤ 50 ms.

The history run (producer-consumer, as fast as it goes) is frozen with SIGSTOP once it
has the events, so it stays running and quiet. A second, quiet run (~20 events/s) is
watched by the fast viewer, connected before the hall joins; /healthz is asked every
20 ms (open loop: a stalled answer does not delay the next question) and the server's
VmRSS read from /proc alongside. The joiners run in a niced
process of their own (one asyncio loop) so the probes measure the server, not them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import httpx
from websockets.sync.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, server

ENDED = ("finished", "stopped", "failed")
HISTORY_RUN = {
    "producers": 16,
    "consumers": 16,
    "items": 500,
    "produce_seconds": 0,
    "consume_seconds": 0,
    "maxsize": 64,
}
QUIET_RUN = {
    "producers": 1,
    "consumers": 1,
    "items": 500,
    "produce_seconds": 0.2,
    "consume_seconds": 0.2,
    "maxsize": 4,
}
EVENT_MARK = '{"type": "event"'


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def start(self, params: dict[str, Any]) -> str:
        r = self.client.post(
            self.base + "/api/runs", json={"lesson": "producer-consumer", "params": params}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def signal(self, run_id: str, pid: int, sig: str) -> None:
        self.client.post(f"{self.base}/api/runs/{run_id}/signal", json={"pid": pid, "signal": sig})

    def stop(self, run_id: str) -> None:
        self.client.post(f"{self.base}/api/runs/{run_id}/stop")


@dataclass
class Watcher:
    """One viewer in a thread: counts the run's events, keeps its table, times live events."""

    url: str
    events: int = 0
    table: dict[int, dict[str, Any]] = field(default_factory=dict)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (received, latency)
    ended: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._read, daemon=True)
        thread.start()
        return thread

    def _read(self) -> None:
        with connect(self.url, max_size=None, open_timeout=60, ping_interval=None) as ws:
            for raw in ws:
                now = time.time()
                m = json.loads(raw)
                for e in m.get("events", [m] if m["type"] == "event" else []):
                    self.events += 1
                    if not m.get("history") and m["type"] == "event":
                        self.latencies.append((now, now - e["t"]))
                if m["type"] == "snapshot":
                    self.table = {p["pid"]: p for p in m["processes"]}
                for p in m.get("changed", []):
                    self.table[p["pid"]] = p
                for pid in m.get("removed", []):
                    self.table.pop(pid, None)
                if m["type"] == "run" and m["state"] in ENDED:
                    break
        self.ended.set()


class Probe:
    """/healthz every 20 ms and the server's VmRSS, each sample with its time."""

    def __init__(self, base: str, pid: int) -> None:
        self.base, self.pid = base, pid
        self.health: list[tuple[float, float]] = []  # (sent, seconds to answer)
        self.rss: list[tuple[float, int]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._health, self._rss)]
        for t in self.threads:
            t.start()

    def _health(self) -> None:
        asyncio.run(self._ask_every_20_ms())

    async def _ask_every_20_ms(self) -> None:
        # Open loop: a request every 20 ms whether or not the last was answered, each
        # timed from when it was due, so a stall counts for every request it held up.
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=600, limits=limits) as client:
            asking: set[asyncio.Task[None]] = set()
            while not self.stopping.is_set():
                task = asyncio.create_task(self._ask(client, time.time()))
                asking.add(task)
                task.add_done_callback(asking.discard)
                await asyncio.sleep(0.02)
            await asyncio.gather(*asking)

    async def _ask(self, client: httpx.AsyncClient, due: float) -> None:
        try:
            await client.get(self.base + "/healthz")
        except httpx.HTTPError:
            pass  # counted as the time it took to fail
        self.health.append((due, time.time() - due))

    def _rss(self) -> None:
        while not self.stopping.is_set():
            self.rss.append((time.time(), rss_kib(self.pid)))
            time.sleep(0.02)

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join()


def joiners(url: str, n: int, expected: int, hold: float, out: Connection) -> None:
    """In its own niced process: n viewers connect at once; when each has snapshot and history."""
    os.nice(10)
    out.send(asyncio.run(_join_all(url, n, expected, hold)))


async def _join_all(url: str, n: int, expected: int, hold: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect as aconnect

    t0 = time.time()
    snapshot_at: list[float | None] = [None] * n
    history_at: list[float | None] = [None] * n
    opened = [aconnect(url, max_size=None, open_timeout=None, ping_interval=None) for _ in range(n)]
    done = asyncio.Event()
    failures: list[str] = []

    async def one(i: int) -> None:
        try:
            async with opened[i] as ws:
                events = 0
                async for raw in ws:
                    text = raw if isinstance(raw, str) else raw.decode()
                    if snapshot_at[i] is None and text.startswith('{"type": "snapshot"'):
                        snapshot_at[i] = time.time() - t0
                    events += text.count(EVENT_MARK)
                    if history_at[i] is None and events >= expected:
                        history_at[i] = time.time() - t0
                    if done.is_set():
                        return
        except Exception as exc:  # a refused or dropped viewer is a result, not a crash
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    deadline = t0 + 300
    while time.time() < deadline and not all(t is not None for t in snapshot_at):
        await asyncio.sleep(0.05)
    all_in = time.time()
    while time.time() < all_in + hold and not all(t is not None for t in history_at):
        await asyncio.sleep(0.05)
    end = time.time()
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "t0": t0,
        "end": end,
        "snapshot_at": snapshot_at,
        "history_at": history_at,
        "failures": failures,
    }


def freeze(api: Api, run_id: str, table: dict[int, dict[str, Any]], sig: str) -> None:
    for pid, p in list(table.items()):
        if p["role"] == "child":
            api.signal(run_id, pid, sig)


def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    v = [x * scale for x in values]
    return f"{min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--events", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hold", type=float, default=60.0, help="max s to wait for histories")
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    with server(PROCVIZ_TOKEN=token, PROCVIZ_MAX_RUNS="8") as (base, pid):
        api = Api(base, token)
        ws_base = base.replace("http", "ws")
        big = api.start({**HISTORY_RUN, "speed": 20})
        counter = Watcher(f"{ws_base}/ws/runs/{big}")
        counter.start()
        while counter.events < args.events:
            assert not counter.ended.is_set(), "the history run ended before it had the events"
            time.sleep(0.05)
        freeze(api, big, counter.table, "SIGSTOP")
        time.sleep(2.0)
        history = counter.events
        print(f"history run {big}: {history} events, frozen; {args.viewers} viewers join")
        rows: list[dict[str, Any]] = []
        for rep in range(args.repeat):
            rows.append(repetition(api, base, ws_base, pid, big, history, args))
            print(f"  repetition {rep + 1}: " + ", ".join(f"{k} {v}" for k, v in rows[-1].items()))
        freeze(api, big, counter.table, "SIGCONT")
        api.stop(big)
        counter.ended.wait(60)
    report(rows, args.viewers)


def repetition(
    api: Api, base: str, ws_base: str, pid: int, big: str, history: int, args: Any
) -> dict[str, Any]:
    quiet = api.start(QUIET_RUN)
    fast = Watcher(f"{ws_base}/ws/runs/{quiet}")
    fast.start()
    time.sleep(2.0)
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, so the peak is this repetition's
    except OSError:
        pass
    probe = Probe(base, pid)
    time.sleep(1.0)
    rss_before = rss_kib(pid)
    receive, send = mp.get_context("spawn").Pipe(duplex=False)
    child = mp.get_context("spawn").Process(
        target=joiners,
        args=(f"{ws_base}/ws/runs/{big}", args.viewers, history, args.hold, send),
    )
    child.start()
    send.close()  # the child's end only: its death ends recv() with EOFError
    got = receive.recv()
    child.join()
    peak = max(rss_kib(pid, "VmHWM"), max(r for t, r in probe.rss if t >= got["t0"]))
    time.sleep(3.0)
    rss_after = rss_kib(pid)
    probe.stop()
    api.stop(quiet)
    fast.ended.wait(60)
    window = [h for t, h in probe.health if got["t0"] <= t <= got["end"]]
    lat = [x for t, x in fast.latencies if got["t0"] <= t <= got["end"]]
    snaps = [s for s in got["snapshot_at"] if s is not None]
    hist = [h for h in got["history_at"] if h is not None]
    return {
        "snapshots": len(snaps),
        "all_snapshots_s": round(max(snaps), 2) if len(snaps) == args.viewers else None,
        "median_snapshot_s": round(statistics.median(snaps), 2) if snaps else None,
        "histories": len(hist),
        "all_histories_s": round(max(hist), 2) if len(hist) == args.viewers else None,
        "healthz_p50_ms": round(1000 * percentile(window, 0.5), 1),
        "healthz_p99_ms": round(1000 * percentile(window, 0.99), 1),
        "healthz_max_ms": round(1000 * max(window), 1),
        "rss_before_mb": round(rss_before / 1024),
        "rss_peak_mb": round(peak / 1024),
        "rss_after_mb": round(rss_after / 1024),
        "fast_p95_ms": round(1000 * percentile(lat, 0.95), 1) if lat else None,
        "fast_events": len(lat),
        "failures": len(got["failures"]),
    }


def report(rows: list[dict[str, Any]], viewers: int) -> None:
    def col(key: str) -> list[float]:
        return [float(r[key]) for r in rows if r[key] is not None]

    def line(label: str, key: str, unit: str) -> None:
        values = col(key)
        shown = spread(values, unit) if values else "n/a"
        missing = len(rows) - len(values)
        print(f"{label:42} {shown}" + (f" ({missing} repetitions incomplete)" if missing else ""))

    print(f"== {viewers} viewers join at once; min / median / max over {len(rows)} repetitions")
    line("time until every viewer has its snapshot", "all_snapshots_s", "s")
    line("median viewer's snapshot", "median_snapshot_s", "s")
    line("time until every viewer has all history", "all_histories_s", "s")
    line("/healthz p50 during the join", "healthz_p50_ms", "ms")
    line("/healthz p99 during the join", "healthz_p99_ms", "ms")
    line("/healthz max during the join", "healthz_max_ms", "ms")
    line("server RSS before", "rss_before_mb", "MB")
    line("server RSS peak", "rss_peak_mb", "MB")
    line("server RSS after the viewers left", "rss_after_mb", "MB")
    growth = [r["rss_peak_mb"] - r["rss_before_mb"] for r in rows]
    print(f"{'server RSS growth (peak - before)':42} {spread(growth, 'MB')}")
    overall = max(r["rss_peak_mb"] for r in rows) - rows[0]["rss_before_mb"]
    print(f"{'server RSS growth over all repetitions':42} {overall} MB")
    line("fast viewer event latency p95", "fast_p95_ms", "ms")
    failures = sum(r["failures"] for r in rows)
    if failures:
        print(f"viewers refused or dropped: {failures}")


if __name__ == "__main__":
    main()
