"""Soak: N runs of random lessons and start methods, stopped, signalled or left to end.

Prints runs, failures (a run that did not end, or ended in a state its treatment
cannot explain), processes and zombies left (read from /proc: processes carrying
this soak's mark, zombies whose parent is the server), and the server's RSS and
open fds at the start, every 50 runs and at the end. RSS must level off once the
retained-runs cap (PROCVIZ_MAX_RECORDINGS) is reached.

    python bench/soak.py [--runs 300] [--seed 1] [--max-recordings 20]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import server
from tests.proc import zombies_of

MARK = f"PROCVIZ_SOAK={uuid.uuid4().hex}"
LESSONS = {
    "ticket-race": {"buyers": 20, "speed": 20},
    "zombie": {"speed": 20, "parent_sleep": 1},
    "orphan": {"speed": 20},
    "producer-consumer": {"speed": 20, "items": 40},
    "create-process": {"speed": 20},
    "daemon": {"speed": 20},
    "process-methods": {"speed": 20},
    "queue": {"speed": 20},
}
METHODS = ("fork", "spawn", "forkserver")
SIGNALS = ("SIGTERM", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGINT")


def marked() -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                environ = Path(f"/proc/{entry.name}/environ").read_bytes()
                if MARK.encode() in environ and b"PROCVIZ_EVENTS=" in environ:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def rss_and_fds(pid: int) -> tuple[float, int]:
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def one_run(http: httpx.Client, rng: random.Random) -> str | None:
    """One run; a description of what went wrong, or None."""
    lesson = rng.choice(sorted(LESSONS))
    params = {**LESSONS[lesson], "start_method": rng.choice(METHODS)}
    r = http.post("/api/runs", json={"lesson": lesson, "params": params})
    if r.status_code != 201:
        return f"start {lesson}: {r.status_code} {r.text[:120]}"
    run_id = r.json()["id"]
    treatment = rng.choice(("end", "stop", "stop", "signal"))
    time.sleep(rng.uniform(0.0, 0.5))
    if treatment == "stop":
        http.post(f"/api/runs/{run_id}/stop")
    elif treatment == "signal":
        # The run record has no PIDs: pick one from the recording so far.
        lines = http.get(f"/api/runs/{run_id}/recording").text.splitlines()
        pids = sorted({int(p) for line in lines if '"kind": "spawn"' in line for p in [_pid(line)]})
        if pids:
            sig = rng.choice(SIGNALS)
            http.post(f"/api/runs/{run_id}/signal", json={"pid": rng.choice(pids), "signal": sig})
            if sig == "SIGSTOP":
                time.sleep(0.2)
                http.post(f"/api/runs/{run_id}/stop")
    deadline = time.monotonic() + 60
    while True:
        state = http.get(f"/api/runs/{run_id}").json()["state"]
        if state in ("finished", "stopped", "failed"):
            break
        if time.monotonic() > deadline:
            http.post(f"/api/runs/{run_id}/stop")
            return f"{lesson} ({params['start_method']}, {treatment}) still {state} after 60 s"
        time.sleep(0.05)
    if treatment == "end" and state != "finished":
        lines = http.get(f"/api/runs/{run_id}/recording").text.splitlines()
        errors = [line for line in lines if '"kind": "stderr"' in line or '"limit"' in line]
        return f"{lesson} ({params['start_method']}) left alone ended {state}: {errors[-3:]}"
    return None


def _pid(line: str) -> int:
    start = line.index('"pid": ') + 7
    return int(line[start : line.index(",", start)])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-recordings", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    key, value = MARK.split("=")
    env = {
        key: value,
        "PROCVIZ_PASS_ENV": key,
        "PROCVIZ_MAX_RECORDINGS": str(args.max_recordings),
        "PROCVIZ_STALL_SECONDS": "2",
    }
    failures: list[str] = []
    with server(**env) as (base, pid), httpx.Client(base_url=base, timeout=30) as http:
        rss0, fds0 = rss_and_fds(pid)
        print(f"start: server RSS {rss0:.1f} MiB, {fds0} fds")
        t0 = time.monotonic()
        for i in range(1, args.runs + 1):
            problem = one_run(http, rng)
            if problem:
                failures.append(problem)
            if i % 50 == 0 or i == args.runs:
                rss, fds = rss_and_fds(pid)
                print(
                    f"after {i:4} runs: RSS {rss:6.1f} MiB, {fds} fds, "
                    f"{len(failures)} failures, {len(marked())} processes, "
                    f"{len(zombies_of(pid))} zombies ({time.monotonic() - t0:.0f} s)",
                    flush=True,
                )
        time.sleep(1)
        left, zombies = marked(), zombies_of(pid)
        rss, fds = rss_and_fds(pid)
    print(
        f"runs {args.runs}, failures {len(failures)}, processes left {len(left)}, "
        f"zombies left {len(zombies)}; RSS {rss0:.1f} → {rss:.1f} MiB, fds {fds0} → {fds}"
    )
    for problem in failures[:20]:
        print("  failure:", problem)
    return 1 if failures or left or zombies else 0


if __name__ == "__main__":
    sys.exit(main())
