"""Latency to a WebSocket viewer: lesson events, exits, and OS state changes, p50/p95.

Run: .venv/bin/python bench/latency.py
Targets: events p95 ≤ 20 ms; sampled states p95 ≤ one period (50 ms) + 20 ms.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import httpx
from websockets.sync.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, server

STATE_TRIALS = 60
KILL_TRIALS = 30


def main() -> None:
    with server() as (base, _pid):
        ws_base = base.replace("http", "ws")
        run = httpx.post(
            base + "/api/runs",
            json={
                "lesson": "producer-consumer",
                "params": {
                    "producers": 2,
                    "consumers": 40,
                    "items": 200,
                    "produce_seconds": 0.05,
                    "consume_seconds": 0.05,
                    "maxsize": 5,
                },
            },
        ).json()
        event_lat: list[float] = []
        state_lat: list[float] = []
        expect: dict[str, object] = {}
        killed: dict[int, float] = {}
        exit_lat: list[float] = []
        lock = threading.Lock()
        members: dict[int, dict[str, object]] = {}
        with connect(f"{ws_base}/ws/runs/{run['id']}") as ws:

            def reader() -> None:
                for raw in ws:
                    now = time.time()
                    m = json.loads(raw)
                    if (
                        m["type"] == "event"
                        and not m.get("history")
                        and m["kind"] in ("stdout", "queue", "value", "spawn")
                    ):
                        event_lat.append(now - m["t"])  # t: when the lesson process emitted it
                    if m["type"] == "event" and m["kind"] == "exit" and m["pid"] in killed:
                        exit_lat.append(now - killed.pop(m["pid"]))
                    for p in m.get("changed", []) + m.get("processes", []):
                        members[p["pid"]] = p
                        with lock:
                            if (
                                expect
                                and p["pid"] == expect["pid"]
                                and p["status"] == expect["status"]
                            ):
                                state_lat.append(now - float(expect["t0"]))  # type: ignore[arg-type]
                                expect.clear()
                    if m["type"] == "run" and m["state"] in ("finished", "stopped", "failed"):
                        return

            thread = threading.Thread(target=reader)
            thread.start()
            time.sleep(1.0)
            consumers = [p for p in members.values() if p["role"] == "child"]
            target = int(consumers[0]["pid"])  # type: ignore[call-overload]
            for i in range(STATE_TRIALS):
                sig, status = (signal.SIGSTOP, "stopped") if i % 2 == 0 else (signal.SIGCONT, "!")
                with lock:
                    expect.update(pid=target, status=status, t0=time.time())
                os.kill(target, sig)
                if sig == signal.SIGCONT:
                    with lock:
                        expect.clear()  # after CONT the state may be R or S: not timed
                time.sleep(0.2)
            # Lifecycle: SIGKILL a consumer at a known moment, time its exit event.
            victims = [int(p["pid"]) for p in consumers[1:]]  # type: ignore[call-overload]
            for pid in victims[:KILL_TRIALS]:
                killed[pid] = time.time()
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.1)
            httpx.post(f"{base}/api/runs/{run['id']}/stop")
            thread.join(timeout=60)
        ms = [x * 1000 for x in event_lat]
        st = [x * 1000 for x in state_lat]
        print(
            f"lesson events → viewer: n={len(ms)} p50={percentile(ms, 0.5):.1f} ms p95={percentile(ms, 0.95):.1f} ms"
        )
        ex = [x * 1000 for x in exit_lat]
        print(
            f"process killed → its exit event at the viewer: n={len(ex)} "
            f"p50={percentile(ex, 0.5):.1f} ms p95={percentile(ex, 0.95):.1f} ms"
        )
        print(
            f"OS state change → viewer: n={len(st)} p50={percentile(st, 0.5):.1f} ms p95={percentile(st, 0.95):.1f} ms"
        )


if __name__ == "__main__":
    main()
