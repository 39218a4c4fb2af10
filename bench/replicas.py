"""Beyond one server: the presenter's CPU with 0 viewers on its replicas vs N on each.

A redis-server of its own, a presenter publishing to it, two viewer replicas reading from
it, one chatty run (bench/fanout.py's, ~64 events/s). Alternately, for each repetition:
presenter CPU (% of one core, /proc, over a window) with no viewer on the replicas but a
probe, then with N viewers on each replica (each crowd in a process of its own, batched as
the page asks). Also the replicas' CPU, the probe's event latency on a replica (event ``t``
→ receipt: presenter → Redis → replica → viewer) and how many viewers were still connected
at the end.

    python bench/replicas.py [--viewers 500] [--reps 3] [--window 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, server
from bench.fanout import CHATTY, unpack
from tests.redis_server import RedisServer


def crowd(url: str, n: int, ready: Any, stop: Any, counts: Any) -> None:
    """``n`` viewers reading everything; counts[0] connected now, counts[1] closed early."""

    async def one() -> None:
        try:
            # No keepalive pings: a crowd process this busy would time its own pings out.
            async with websockets.connect(
                url, max_size=None, open_timeout=120, ping_interval=None
            ) as ws:
                with counts.get_lock():
                    counts[0] += 1
                try:
                    while not stop.is_set():
                        try:
                            await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            pass
                finally:
                    with counts.get_lock():
                        counts[0] -= 1
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            with counts.get_lock():
                counts[1] += 1
            if counts[1] <= 3:
                print(f"bench: a viewer ended early: {exc!r}", file=sys.stderr)

    async def main() -> None:
        tasks = []
        for _ in range(n):  # a few at a time: a hall does not arrive in one millisecond
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(0.005)
        while counts[0] + counts[1] < n and not stop.is_set():
            await asyncio.sleep(0.1)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def cpu_seconds(pids: list[int]) -> float:
    return sum(sum(psutil.Process(p).cpu_times()[:2]) for p in pids)


def window(presenter: int, replicas: list[int], probe_url: str, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    with connect(probe_url, max_size=None, open_timeout=60, ping_interval=None) as probe:
        # Past the history, and two seconds of live events to catch up: then the window.
        deadline = time.monotonic() + 180  # a loaded machine: the hall's history goes first
        while not any(m["type"] == "event" for m in unpack(json.loads(probe.recv(timeout=60)))):
            assert time.monotonic() < deadline, "the probe never went live"
        caught_up = time.monotonic() + 2
        while time.monotonic() < caught_up:
            probe.recv(timeout=10)
        t0, p0, r0 = time.monotonic(), cpu_seconds([presenter]), cpu_seconds(replicas)
        while time.monotonic() - t0 < seconds:
            received = time.time()
            for message in unpack(json.loads(probe.recv(timeout=10))):
                if message["type"] == "event":
                    latencies.append(received - message["t"])
        elapsed = time.monotonic() - t0
        return {
            "presenter": 100 * (cpu_seconds([presenter]) - p0) / elapsed,
            "replicas": 100 * (cpu_seconds(replicas) - r0) / elapsed / len(replicas),
            "p95": 1000 * percentile(latencies, 0.95) if latencies else float("nan"),
            "events": len(latencies) / elapsed,
        }


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


class Crowds:
    """``n`` viewers on each replica, each crowd in a process of its own."""

    def __init__(self, urls: list[str], n: int) -> None:
        self.stop = multiprocessing.Event()
        self.counts = [multiprocessing.Array("i", 2) for _ in urls]
        ready = [multiprocessing.Event() for _ in urls]
        self.procs = [
            multiprocessing.Process(target=crowd, args=(u, n, r, self.stop, c))
            for u, r, c in zip(urls, ready, self.counts, strict=True)
        ]
        for proc in self.procs:
            proc.start()
        for r in ready:
            r.wait(180)

    @property
    def connected(self) -> int:
        return sum(c[0] for c in self.counts)

    def close(self) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.join(60)
            if proc.is_alive():
                proc.kill()
                proc.join()


def one_run(
    base: str,
    presenter: int,
    replicas: list[tuple[str, int]],
    n: int,
    seconds: float,
    rep: int,
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """A fresh run: a window without the crowds and one with them (in turn first), stopped."""
    run = httpx.post(base + "/api/runs", json={"lesson": "producer-consumer", "params": params})
    run_id = run.json()["id"]
    try:
        # Batched, as the page asks (?batch=1): one frame per batch, shared by the crowd.
        urls = [b.replace("http", "ws") + f"/ws/runs/{run_id}?batch=1" for b, _ in replicas]
        deadline = time.monotonic() + 30
        while any(httpx.get(b + f"/api/runs/{run_id}").status_code != 200 for b, _ in replicas):
            assert time.monotonic() < deadline, "a replica never saw the run"
            time.sleep(0.1)
        pids = [pid for _, pid in replicas]
        measured: dict[int, dict[str, Any]] = {}
        order = [0, n] if rep % 2 == 0 else [n, 0]  # neither always in the run's early phase
        connected = 0
        for viewers in order:
            if viewers:
                crowds = Crowds(urls, n)
                time.sleep(3)  # their history sent: live traffic only
                measured[n] = window(presenter, pids, urls[0], seconds)
                connected = crowds.connected
                crowds.close()
                time.sleep(1)
            else:
                measured[0] = window(presenter, pids, urls[0], seconds)
        state = httpx.get(base + f"/api/runs/{run_id}").json()["state"]
        assert state == "running", f"the run ended ({state}) before its windows did"
        return measured[0], measured[n], connected
    finally:
        httpx.post(base + f"/api/runs/{run_id}/stop")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=500, help="per replica")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window", type=float, default=6.0)
    parser.add_argument(
        "--producers", type=int, default=16, help="and as many consumers (16: the chatty run)"
    )
    args = parser.parse_args()
    params = {**CHATTY, "producers": args.producers, "consumers": args.producers}
    results: dict[int, list[dict[str, Any]]] = {0: [], args.viewers: []}
    connected: list[int] = []
    with ExitStack() as stack:
        redis = RedisServer(Path(tempfile.mkdtemp(prefix="procviz-bench-redis-")))
        stack.callback(redis.stop)
        base, presenter = stack.enter_context(server(PROCVIZ_REDIS_URL=redis.url))
        replicas = [
            stack.enter_context(server(PROCVIZ_REDIS_URL=redis.url, PROCVIZ_ROLE="replica"))
            for _ in range(2)
        ]
        for rep in range(args.reps):
            idle, loaded, count = one_run(
                base, presenter, replicas, args.viewers, args.window, rep, params
            )
            results[0].append(idle)
            results[args.viewers].append(loaded)
            connected.append(count)
            time.sleep(2)
    print(
        f"2 replicas; viewers per replica: 0 (a probe) vs {args.viewers}; {args.reps} runs; "
        f"producer-consumer {args.producers} + {args.producers}"
    )
    print("viewers/replica | presenter CPU % | replica CPU % each | probe p95 ms | events/s")
    for n, got in results.items():
        cols = [spread([g[k] for g in got]) for k in ("presenter", "replicas", "p95", "events")]
        print(f"{n:15} | {cols[0]:15} | {cols[1]:18} | {cols[2]:12} | {cols[3]}")
    still = ", ".join(str(c) for c in connected)
    print(f"viewers connected at the end of each loaded window (of {2 * args.viewers}): {still}")
    diffs = [b["presenter"] - a["presenter"] for a, b in zip(*results.values(), strict=True)]
    print(f"presenter CPU, with viewers minus without, per run: {spread(diffs)} % of a core")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
