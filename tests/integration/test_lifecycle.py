"""One lifecycle per process, nothing lost: checked from /proc, not from the server's word.

Early stops leave no zombie; a killed server leaves nothing alive whatever state the
root is in; the process cap holds; a run stalled by a killed producer ends; runs of a
root server execute as an unprivileged user without the server's secrets.
"""

from __future__ import annotations

import json
import os
import pwd
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import (
    Server,
    api,
    collect,
    log_of,
    presenter_token,
    start_program,
    start_run,
    wait_state,
)
from tests.conftest import run_processes
from tests.proc import status_field, zombies_of

pytestmark = pytest.mark.integration

START_METHODS = ["fork", "spawn", "forkserver"]


def test_early_stops_leave_no_zombie_and_nothing_alive(make_server: Callable[..., Server]) -> None:
    server = make_server(PROCVIZ_MAX_RUNS="8")
    rng = random.Random(7)
    limits = []
    for i in range(45):
        method = START_METHODS[i % 3]
        params = {"buyers": 20, "speed": 20, "start_method": method}
        run = start_run(server, "ticket-race", params)
        time.sleep(rng.uniform(0.02, 0.4))
        r = api(server, "POST", f"/api/runs/{run['id']}/stop")
        assert r.status_code in (200, 409), r.text  # 409: it had already ended
        wait_state(server, run["id"], {"stopped", "finished"}, timeout=30)
        recording = api(server, "GET", f"/api/runs/{run['id']}/recording").text
        limits += [line for line in recording.splitlines() if '"left_behind"' in line]
        assert zombies_of(server.pid) == [], f"run {i} ({method}) left a zombie"
        assert run_processes() == [], f"run {i} ({method}) left a process"
    assert limits == []


def test_a_killed_server_leaves_nothing_alive_even_with_its_root_stopped(
    make_server: Callable[..., Server],
) -> None:
    doomed = make_server()
    run = start_run(doomed, "orphan", {"child_seconds": 30, "speed": 0.5})
    got = collect(doomed, run["id"], until=lambda m: len(m.events("spawn")) >= 2)
    root = got.root_pid()
    r = api(
        doomed, "POST", f"/api/runs/{run['id']}/signal", json={"pid": root, "signal": "SIGSTOP"}
    )
    assert r.status_code == 200
    deadline = time.monotonic() + 5
    while status_field(root, "State")[0] != "T":
        assert time.monotonic() < deadline, "the root never stopped"
        time.sleep(0.02)
    assert run_processes(), "the run should be alive before the server is killed"
    os.kill(doomed.pid, signal.SIGKILL)
    killed = time.monotonic()
    while run_processes():
        # The issue asks for 2 s; a loaded CI machine gets one more before this fails.
        assert time.monotonic() - killed < 3, f"still alive: {run_processes()}"
        time.sleep(0.02)


def test_the_process_cap_holds_for_a_run_that_forks_past_it(
    make_server: Callable[..., Server],
) -> None:
    small = make_server(PROCVIZ_MAX_PROCESSES="8")
    for method in ("fork", "forkserver"):
        run = start_run(small, "ticket-race", {"buyers": 40, "speed": 5, "start_method": method})
        got = collect(small, run["id"], timeout=60)
        assert got.states()[-1] == "stopped"
        limit = got.events("limit")
        assert limit and limit[0]["data"]["cap"] == "max_processes"
        most = max(len(table) for table in got.frames())
        spawned = {e["pid"] for e in got.events("spawn")}
        # The kill is sent the moment the count passes the cap; a few forks already
        # under way when it lands still show up.
        assert most <= 8 + 6, f"{method}: {most} processes seen at once under a cap of 8"
        assert len(spawned) <= 8 + 6, f"{method}: {len(spawned)} processes started"
        assert wait_state(small, run["id"], {"stopped"})["stop_reason"] == "max_processes"


WAITS_FOR_TEN = """\
import time
from multiprocessing import Process, Queue

def producer(q):
    for i in range(10):
        time.sleep(0.3)
        q.put(i)
        print('生产了', i, flush=True)

def consumer(q):
    for _ in range(10):
        print('吃了', q.get(), flush=True)

if __name__ == '__main__':
    q = Queue()
    p = Process(target=producer, args=(q,), name='producer')
    c = Process(target=consumer, args=(q,), name='consumer')
    p.start()
    c.start()
    p.join()
    c.join()
"""


def test_a_killed_producer_ends_the_run_promptly_and_says_why(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(PROCVIZ_STALL_SECONDS="1")
    token = presenter_token(server, log_of(server))
    run = start_program(server, {"main.py": WAITS_FOR_TEN}, token).json()
    got = collect(server, run["id"], until=lambda m: any("生产了" in x for x in m.lines()))
    producer = next(pid for pid, name in got.labels().items() if name == "producer")
    r = api(
        server,
        "POST",
        f"/api/runs/{run['id']}/signal",
        json={"pid": producer, "signal": "SIGKILL"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    got = collect(server, run["id"], timeout=30)  # the consumer would wait for ever
    assert got.states()[-1] == "stopped"
    stalled = [e for e in got.events("limit") if e["data"]["cap"] == "stalled"]
    assert stalled and f"process {producer} was ended by SIGKILL" in stalled[0]["data"]["reason"]
    assert wait_state(server, run["id"], {"stopped"})["stop_reason"] == "stalled"


@pytest.mark.skipif(os.geteuid() != 0, reason="runs switch user only when the server is root")
def test_a_root_server_runs_lessons_as_nobody_without_its_token(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(PROCVIZ_TOKEN="t0ps3cret-token", PROCVIZ_PASS_ENV="PROCVIZ_TEST_SESSION")
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    got = collect(server, run["id"], until=lambda m: len(m.events("spawn")) >= 2)
    nobody = pwd.getpwnam("nobody")
    checked = 0
    for pid in {e["pid"] for e in got.events("spawn")}:
        if status_field(pid, "State").startswith("Z"):
            continue  # a zombie has no environment or directory left to read
        checked += 1
        assert status_field(pid, "Uid").split()[:2] == [str(nobody.pw_uid)] * 2
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"t0ps3cret-token" not in environ
        assert b"PROCVIZ_TOKEN" not in environ
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        assert cwd.stat().st_uid == nobody.pw_uid  # its own directory, not the server's
    assert checked >= 1  # the root sleeps 30 s: it at least was read
    data = Path(server.data_dir)
    assert os.stat(data).st_uid == 0
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, run["id"], {"stopped"})


def test_a_recording_survives_a_server_kill_and_is_marked_interrupted(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    data = str(tmp_path / "kept")
    doomed = make_server(PROCVIZ_DATA_DIR=data)
    run = start_run(doomed, "producer-consumer", {"items": 400, "produce_seconds": 0.2})
    collect(doomed, run["id"], until=lambda m: len(m.lines()) >= 5)
    time.sleep(1.5)  # past one flush period: what was seen is on disk
    os.kill(doomed.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while run_processes():
        assert time.monotonic() < deadline, "the run outlived its killed server"
        time.sleep(0.05)
    again = make_server(PROCVIZ_DATA_DIR=data)
    public = api(again, "GET", f"/api/runs/{run['id']}").json()
    assert public["state"] == "interrupted"
    listed = {r["id"]: r["state"] for r in api(again, "GET", "/api/recordings").json()}
    assert listed[run["id"]] == "interrupted"
    lines = api(again, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()
    messages = [json.loads(line) for line in lines]  # every line whole: none cut
    consumed = [m for m in messages if m["type"] == "event" and m["kind"] == "stdout"]
    assert len(consumed) >= 5  # what the viewer had seen a second before the kill
    assert messages[-1]["type"] == "run" and messages[-1]["state"] == "interrupted"


def test_pruning_spares_an_active_run_and_its_download_is_a_growing_prefix(
    make_server: Callable[..., Server],
) -> None:
    small = make_server(PROCVIZ_MAX_RECORDINGS="1")
    params = {"producers": 2, "consumers": 2, "items": 300, "produce_seconds": 0.05}
    long = start_run(small, "producer-consumer", {**params, "consume_seconds": 0.05})
    for _ in range(2):  # each ends while the long run is active: pruning runs
        short = start_run(small, "zombie", {"speed": 20, "parent_sleep": 0.5})
        collect(small, short["id"])
    previous = b""
    for _ in range(50):
        r = api(small, "GET", f"/api/runs/{long['id']}/recording")
        assert r.status_code == 200
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.content.startswith(previous)  # the file only grows, and we see a prefix
        assert r.content.endswith(b"\n")
        for line in r.content.splitlines():
            json.loads(line)
        previous = r.content
        time.sleep(0.02)
    api(small, "POST", f"/api/runs/{long['id']}/stop")
    ended = wait_state(small, long["id"], {"stopped", "finished"})
    assert ended["id"] == long["id"]
    final = api(small, "GET", f"/api/runs/{long['id']}/recording")
    assert final.status_code == 200 and final.content.startswith(previous)
