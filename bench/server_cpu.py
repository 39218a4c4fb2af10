"""Server CPU while a 100-process run is sampled at 20 Hz with one viewer, batched or not.

Two runs of 99 producers/consumers (+ the root): quiet (one item per 5 s per process, as
in a lecture) and chatty (one per second: ~200 console and queue events a second). Per
event, the server's marginal cost: (CPU chatty − CPU quiet) / (events/s chatty − quiet).
Min/median/max over repetitions.

    .venv/bin/python bench/server_cpu.py [--reps 3] [--batch 0 1] [--window 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import psutil
from websockets.sync.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, server

QUIET, CHATTY = 5.0, 1.0


@dataclass
class Figures:
    cpu: float  # % of one core
    events: float  # live events a second, as the viewer received them
    messages: float  # WebSocket messages a second
    processes: float  # median processes in the run over the window
    load: float  # the machine's 1-minute load average at the end (2 cores, shared)


PROFILE_DIR = os.environ.get("PROCVIZ_BENCH_PROFILE")


def profile(pid: int, window: float, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy on the server over the window, when PROCVIZ_BENCH_PROFILE names a folder."""
    if not PROFILE_DIR:
        return None
    out = os.path.join(PROFILE_DIR, f"server-{name}-{os.getpid()}-{time.monotonic_ns()}.txt")
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(window)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            out,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure(item_seconds: float, batch: bool, window: float) -> Figures:
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
        counts = {"messages": 0, "events": 0, "processes": 0}
        url = f"{base.replace('http', 'ws')}/ws/runs/{run['id']}" + ("?batch=1" if batch else "")
        with connect(url, max_size=None) as ws:
            table: dict[int, object] = {}

            def apply(m: dict[str, Any]) -> bool:
                if m["type"] == "batch":
                    return any([apply(inner) for inner in m["messages"]])
                if m["type"] == "event" and not m.get("history"):
                    counts["events"] += 1
                if m["type"] == "snapshot":
                    table.clear()
                for p in m.get("processes", []) + m.get("changed", []):
                    table[p["pid"]] = p
                for gone in m.get("removed", []):
                    table.pop(gone, None)
                counts["processes"] = len(table)
                return m["type"] == "run" and m["state"] in ("finished", "stopped", "failed")

            def reader() -> None:
                for raw in ws:
                    counts["messages"] += 1
                    if apply(json.loads(raw)):
                        return

            thread = threading.Thread(target=reader)
            thread.start()
            while counts["processes"] < 100:
                time.sleep(0.1)
            time.sleep(1.0)
            proc = psutil.Process(pid)
            samples = []
            spy = profile(pid, window, f"{'chatty' if item_seconds == CHATTY else 'quiet'}")
            t0, before = time.monotonic(), proc.cpu_times()
            start = dict(counts)
            while time.monotonic() - t0 < window:
                time.sleep(1.0)
                samples.append(float(counts["processes"]))
            t1, after = time.monotonic(), proc.cpu_times()
            end = dict(counts)
            if spy is not None:
                spy.wait()
            httpx.post(f"{base}/api/runs/{run['id']}/stop")
            thread.join(timeout=60)
    cpu = 100 * (after.user - before.user + after.system - before.system) / (t1 - t0)
    return Figures(
        cpu,
        (end["events"] - start["events"]) / (t1 - t0),
        (end["messages"] - start["messages"]) / (t1 - t0),
        percentile(samples, 0.5),
        os.getloadavg()[0],
    )


def spread(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", choices=[0, 1], default=[0, 1])
    parser.add_argument("--window", type=float, default=8.0)
    args = parser.parse_args()
    print(
        "batch | run | processes | events/s | messages/s | server CPU % (min/median/max) | load avg"
    )
    for batch in args.batch:
        got: dict[float, list[Figures]] = {QUIET: [], CHATTY: []}
        for _ in range(args.reps):
            for item_seconds in (QUIET, CHATTY):
                got[item_seconds].append(measure(item_seconds, bool(batch), args.window))
                time.sleep(3)  # the run's 100 processes finish dying
        for item_seconds, name in ((QUIET, "quiet"), (CHATTY, "chatty")):
            figs = got[item_seconds]
            print(
                f"{batch:5} | {name:6} | {statistics.median(f.processes for f in figs):9.0f} | "
                f"{statistics.median(f.events for f in figs):8.0f} | "
                f"{statistics.median(f.messages for f in figs):10.0f} | {spread([f.cpu for f in figs])}"
                f" | {spread([f.load for f in figs])}"
            )
        per_event = [
            1e4 * (c.cpu - q.cpu) / (c.events - q.events)  # % of a core per event/s → µs
            for q, c in zip(got[QUIET], got[CHATTY], strict=True)
            if c.events > q.events
        ]
        if per_event:
            print(f"{batch:5} | marginal server cost per event, µs: {spread(per_event, 0)}")
        whole = [1e4 * c.cpu / c.events for c in got[CHATTY] if c.events]
        print(
            f"{batch:5} | server CPU per event (chatty, sampling included), µs: {spread(whole, 0)}"
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
