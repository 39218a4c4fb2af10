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
import signal
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


HANG = 120.0  # seconds: a run this long has hung (VizTracer's Pool.map does, now and then)


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float | None:
    """Wall time of one run; None if it hung (then it and its children are killed)."""
    start = time.perf_counter()
    # The lecture's search() reads data.json unlocked and may catch a buyer mid-write:
    # that child fails as it would without the tracer; its traceback is not the figure.
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if proc.wait(timeout=HANG) != 0:
            raise subprocess.CalledProcessError(proc.returncode, argv)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    return time.perf_counter() - start


def environments(sock_path: str) -> tuple[dict[str, str], dict[str, str]]:
    """A plain interpreter's environment (no procviz), and a traced one's sending to sock_path."""
    plain = {k: v for k, v in os.environ.items() if not k.startswith("PROCVIZ_")}
    plain.pop("PYTHONPATH", None)
    traced = {
        **plain,
        "PROCVIZ_EVENTS": sock_path,
        "PYTHONPATH": os.pathsep.join([str(BOOT), str(ROOT)]),
    }
    return plain, traced


def measure(program: str, runs: int, viztracer: bool) -> dict[str, list[float | None]]:
    work = Path(tempfile.mkdtemp(prefix="pv-bench-"))
    shutil.copy(PROGRAMS / program, work)
    sock_path = str(work / "events.sock")
    drain = Drain(sock_path)
    plain_env, traced_env = environments(sock_path)
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
    times: dict[str, list[float | None]] = {name: [] for name in commands}
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
    if not values:
        return "     -      -      -"
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def ratios(plain: list[float | None], other: list[float | None]) -> list[float]:
    return [b / a for a, b in zip(plain, other, strict=True) if a is not None and b is not None]


def line(name: str, t: list[float | None]) -> str:
    hung = sum(x is None for x in t)
    done = [x for x in t if x is not None]
    return f"  {name:<10} {spread(done)} s" + (
        f"  ({hung} of {len(t)} hung, killed at {HANG:.0f} s)" if hung else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--viztracer", action="store_true", help="also time VizTracer")
    opts = parser.parse_args()
    print(f"{opts.runs} runs each, min / median / max; ratio pair by pair")
    for case, program in CASES.items():
        t = measure(program, opts.runs, opts.viztracer)
        print(f"\n{case}  ({t['events'][0]:.0f} events a traced run)")
        print(line("plain", t["plain"]))
        print(line("traced", t["traced"]))
        print(f"  ratio      {spread(ratios(t['plain'], t['traced']))} ×  (target ≤ 1.30)")
        if "viztracer" in t:
            print(line("viztracer", t["viztracer"]))
            print(f"  ratio      {spread(ratios(t['plain'], t['viztracer']))} ×  (VizTracer)")


if __name__ == "__main__":
    main()
