"""Fan-out cost: a chatty run watched by N viewers, permessage-deflate on and off.

Server CPU (% of one core, from /proc over a window) and a probe viewer's event latency
(event ``t`` to receipt), min/median/max over repetitions, for each viewer count and
compression setting. The viewers run in a process of their own.

    python bench/fanout.py [--viewers 50 200] [--reps 3] [--window 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import psutil
import websockets
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, server

CHATTY = {
    "producers": 16,
    "consumers": 16,
    "items": 500,
    "produce_seconds": 0.25,
    "consume_seconds": 0.25,
    "maxsize": 64,
    "speed": 1,
}


def viewers(url: str, n: int, ready: multiprocessing.Event, stop: multiprocessing.Event) -> None:
    async def one() -> None:
        async with websockets.connect(url, max_size=None) as ws:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    pass

    async def main() -> None:
        tasks = [asyncio.create_task(one()) for _ in range(n)]
        await asyncio.sleep(2)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def measure(n: int, deflate: bool, window: float) -> tuple[float, float]:
    with server(PROCVIZ_WS_DEFLATE="1" if deflate else "0") as (base, pid):
        run = httpx.post(base + "/api/runs", json={"lesson": "producer-consumer", "params": CHATTY})
        run_id = run.json()["id"]
        url = base.replace("http", "ws") + f"/ws/runs/{run_id}"
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        crowd = multiprocessing.Process(target=viewers, args=(url, n, ready, stop))
        crowd.start()
        ready.wait(60)
        proc = psutil.Process(pid)
        latencies: list[float] = []
        with connect(url, max_size=None) as probe:
            t0, c0 = time.monotonic(), sum(proc.cpu_times()[:2])
            while time.monotonic() - t0 < window:
                message = json.loads(probe.recv(timeout=5))
                if message["type"] == "event" and not message.get("history"):
                    latencies.append(time.time() - message["t"])
            cpu = 100 * (sum(proc.cpu_times()[:2]) - c0) / (time.monotonic() - t0)
        stop.set()
        crowd.join(30)
        httpx.post(base + f"/api/runs/{run_id}/stop")
    return cpu, 1000 * percentile(latencies, 0.95) if latencies else float("nan")


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window", type=float, default=6.0)
    args = parser.parse_args()
    print("viewers | deflate | server CPU % (min/median/max) | probe p95 ms (min/median/max)")
    for n in args.viewers:
        for deflate in (True, False):
            got = [measure(n, deflate, args.window) for _ in range(args.reps)]
            cpu, p95 = [g[0] for g in got], [g[1] for g in got]
            print(f"{n:7} | {'on ' if deflate else 'off'}     | {spread(cpu):29} | {spread(p95)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
