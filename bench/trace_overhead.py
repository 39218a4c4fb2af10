"""Tracing overhead: wall time of the same program plain and under the tracer, as a ratio.

Run: .venv/bin/python bench/trace_overhead.py [--runs N] [--viztracer]   (target ≤ 1.3×)

Plain is ``python PROGRAM``; traced is ``python -m workers.trace.script PROGRAM`` with
the bootstrap on PYTHONPATH and an event socket drained as the server would. Runs
alternate (plain, traced, plain, …) and the ratio is taken pair by pair, so a machine
whose speed drifts still gives a meaningful ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "bench" / "programs"
BOOT = ROOT / "workers" / "trace" / "boot"
CASES = {
    "pool.map, 1,000,000 items": "pool_million.py",
    "ticket race, 64 buyers": "race64.py",
}


class Drain:
    """The server's end of the event socket: read and count, nothing more."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.settimeout(0.2)
        self.count = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                self.sock.recv(65536)
                self.count += 1
            except TimeoutError:
                pass

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    # The lecture's search() reads data.json unlocked and may catch a buyer mid-write:
    # that child fails as it would without the tracer; its traceback is not the figure.
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(program: str, runs: int, viztracer: bool) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="pv-bench-"))
    shutil.copy(PROGRAMS / program, work)
    sock_path = str(work / "events.sock")
    drain = Drain(sock_path)
    plain_env = {k: v for k, v in os.environ.items() if not k.startswith("PROCVIZ_")}
    plain_env.pop("PYTHONPATH", None)
    traced_env = {
        **plain_env,
        "PROCVIZ_EVENTS": sock_path,
        "PYTHONPATH": os.pathsep.join([str(BOOT), str(ROOT)]),
    }
    commands = {
        "plain": ([sys.executable, program], plain_env),
        "traced": ([sys.executable, "-m", "workers.trace.script", program], traced_env),
    }
    if viztracer:
        out = str(work / "viz.json")
        commands["viztracer"] = (
            [sys.executable, "-m", "viztracer", "--quiet", "-o", out, program],
            plain_env,
        )
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for _ in range(runs + 1):  # the first round warms the caches and is dropped
            for name, (argv, env) in commands.items():
                (work / "data.json").write_text(json.dumps({"ticket_num": 1}))
                times[name].append(timed(argv, work, env))
    finally:
        drain.close()
        shutil.rmtree(work, ignore_errors=True)
    result = {name: t[1:] for name, t in times.items()}
    result["events"] = [drain.count / (runs + 1)]
    return result


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--viztracer", action="store_true", help="also time VizTracer")
    opts = parser.parse_args()
    print(f"{opts.runs} runs each, min / median / max; ratio pair by pair")
    for case, program in CASES.items():
        t = measure(program, opts.runs, opts.viztracer)
        print(f"\n{case}  ({t['events'][0]:.0f} events a traced run)")
        print(f"  plain      {spread(t['plain'])} s")
        print(f"  traced     {spread(t['traced'])} s")
        ratio = [b / a for a, b in zip(t["plain"], t["traced"], strict=True)]
        print(f"  ratio      {spread(ratio)} ×  (target ≤ 1.30)")
        if "viztracer" in t:
            viz = [b / a for a, b in zip(t["plain"], t["viztracer"], strict=True)]
            print(f"  viztracer  {spread(t['viztracer'])} s, ratio {spread(viz)} ×")


if __name__ == "__main__":
    main()
