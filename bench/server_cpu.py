"""Server CPU while a 100-process run is sampled at 20 Hz with one viewer.

Run: .venv/bin/python bench/server_cpu.py   (target: ≤ 3 % of one core)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import httpx
import psutil
from websockets.sync.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, server

WINDOW = 8.0


def measure(item_seconds: float) -> None:
    """99 producers/consumers (+ the root): each makes or uses one item per item_seconds."""
    with server(PROCVIZ_SAMPLE_PERIOD="0.05") as (base, pid):
        params = {
            "producers": 50,
            "consumers": 49,
            "items": 40,
            "produce_seconds": item_seconds,
            "consume_seconds": item_seconds,
            "maxsize": 64,
        }
        run = httpx.post(
            base + "/api/runs", json={"lesson": "producer-consumer", "params": params}
        ).json()
        counts = {"messages": 0, "processes": 0}
        with connect(f"{base.replace('http', 'ws')}/ws/runs/{run['id']}", max_size=None) as ws:
            table: dict[int, object] = {}

            def reader() -> None:
                for raw in ws:
                    m = json.loads(raw)
                    counts["messages"] += 1
                    if m["type"] == "snapshot":
                        table.clear()
                    for p in m.get("processes", []) + m.get("changed", []):
                        table[p["pid"]] = p
                    for gone in m.get("removed", []):
                        table.pop(gone, None)
                    counts["processes"] = len(table)
                    if m["type"] == "run" and m["state"] in ("finished", "stopped", "failed"):
                        return

            thread = threading.Thread(target=reader)
            thread.start()
            while counts["processes"] < 100:
                time.sleep(0.1)
            time.sleep(1.0)
            proc = psutil.Process(pid)
            samples = []
            t0, before = time.monotonic(), proc.cpu_times()
            start_messages = counts["messages"]
            while time.monotonic() - t0 < WINDOW:
                time.sleep(1.0)
                samples.append(counts["processes"])
            t1, after = time.monotonic(), proc.cpu_times()
            rate = (counts["messages"] - start_messages) / (t1 - t0)
            httpx.post(f"{base}/api/runs/{run['id']}/stop")
            thread.join(timeout=60)
        user = 100 * (after.user - before.user) / (t1 - t0)
        system = 100 * (after.system - before.system) / (t1 - t0)
        cpu = user + system
        print(
            f"one item per {item_seconds:g} s per process; processes in the run: median {percentile([float(s) for s in samples], 0.5):.0f}"
        )
        print(
            f"server CPU at 20 Hz, one viewer: {cpu:.1f} % of one core "
            f"(user {user:.1f} %, system {system:.1f} %; {rate:.0f} messages/s to the viewer)"
        )


if __name__ == "__main__":
    measure(5.0)  # quiet: the processes mostly sleep, as in a lecture
    time.sleep(3)  # let the first run's 100 processes finish dying
    measure(1.0)  # chatty: ~200 console and queue events a second
