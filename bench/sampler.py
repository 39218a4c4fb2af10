"""Sampler cost per process per tick, next to a bare /proc/PID/stat read and psutil oneshot().

Run: .venv/bin/python bench/sampler.py   (target: sampler ≤ 2× the bare read)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.procfs import ProcReader
from app.sampler import Sampler

ROUNDS = 200


def start_tree(n: int) -> subprocess.Popen[bytes]:
    """A session of n sleeping processes (one root that forks n-1)."""
    code = f"import os,time\nfor _ in range({n - 1}):\n    if os.fork() == 0:\n        time.sleep(600); os._exit(0)\ntime.sleep(600)"
    root = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    reader = ProcReader()
    while len(reader.session_members(root.pid)) < n:
        time.sleep(0.05)
    return root


def bare(pids: list[int]) -> None:
    for pid in pids:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        os.read(fd, 1024)
        os.close(fd)


def bare_pread(fds: list[int]) -> None:
    for fd in fds:
        os.pread(fd, 1024, 0)


def oneshot(procs: list[psutil.Process]) -> None:
    for p in procs:
        with p.oneshot():
            p.status(), p.ppid(), p.cpu_times(), p.memory_info(), p.num_threads(), p.create_time()


def per_process_us(fn: object, arg: object, n: int) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(ROUNDS):
            fn(arg)  # type: ignore[operator]
        best = min(best, (time.perf_counter() - t0) / ROUNDS / n)
    return best * 1e6


def main() -> None:
    print(
        "µs per process per tick; bare = open+read+close of /proc/PID/stat, pread = re-read of a held fd"
    )
    print(
        f"{'processes':>10} {'bare':>7} {'pread':>7} {'sampler':>8} {'oneshot':>8} {'sampler/bare':>13} {'oneshot/bare':>13}"
    )
    for n in (10, 100, 500):
        root = start_tree(n)
        try:
            reader = ProcReader()
            pids = reader.session_members(root.pid)
            sampler = Sampler(reader, root.pid)
            for pid in pids:
                sampler.add(pid)
            clock = iter(range(10**9))
            b = per_process_us(bare, pids, n)
            fds = [os.open(f"/proc/{pid}/stat", os.O_RDONLY) for pid in pids]
            pr = per_process_us(bare_pread, fds, n)
            for fd in fds:
                os.close(fd)
            s = per_process_us(lambda _, sm=sampler, c=clock: sm.tick(next(c) * 0.05), None, n)
            o = per_process_us(oneshot, [psutil.Process(p) for p in pids], n)
            print(
                f"{n:>10} {b:>7.2f} {pr:>7.2f} {s:>8.2f} {o:>8.2f} {s / b:>12.2f}× {o / b:>12.2f}×"
            )
            reader.close()
        finally:
            os.killpg(root.pid, signal.SIGKILL)
            root.wait()


if __name__ == "__main__":
    main()
