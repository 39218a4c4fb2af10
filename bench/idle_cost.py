"""The tracer's cost in a program that does nothing: 100 processes sleeping 8 s, plain and traced.

CPU seconds of the whole program (every process, from the kernel's rusage of the waited-for
tree), min / median / max over repetitions, alternated. What is left is the tracer's start-up
in each process and its sampler threads' wake-ups (a resting sampler looks every 0.2 s).

    .venv/bin/python bench/idle_cost.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.trace_overhead import PROGRAMS, Drain, environments


def cpu_seconds(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # waited for above
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pv-idle-") as work:
        sock_path = str(Path(work) / "events.sock")
        drain = Drain(sock_path)
        plain, traced = environments(sock_path)
        program = str(PROGRAMS / "idle100.py")
        got: dict[str, list[float]] = {"plain": [], "traced": []}
        try:
            for _ in range(opts.runs):
                got["plain"].append(cpu_seconds([sys.executable, program], Path(work), plain))
                argv = [sys.executable, "-m", "workers.trace.script", program]
                got["traced"].append(cpu_seconds(argv, Path(work), traced))
        finally:
            drain.close()
    print(f"100 processes sleeping 8 s, CPU seconds of the whole program, {opts.runs} runs")
    for name, values in got.items():
        print(
            f"  {name:<7} {min(values):5.2f} / {statistics.median(values):5.2f} / {max(values):5.2f}"
        )


if __name__ == "__main__":
    main()
