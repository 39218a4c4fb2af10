"""Programs of the user's own through the API: the token always, checked before they run,
bounded, contained (a fork bomb, a root that ignores SIGTERM), and traced with no annotation.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.client import Server, api, collect, log_of, presenter_token, start_program, wait_state
from tests.conftest import ROOT, run_processes

pytestmark = pytest.mark.integration

PROGRAMS = ROOT / "tests" / "programs"

FORK_BOMB = """\
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""

IGNORES_TERM = """\
import signal, time
from multiprocessing import Process

def child():
    time.sleep(60)

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    p = Process(target=child)
    p.start()
    print("started", p.pid, flush=True)
    while True:
        time.sleep(0.1)
"""


def test_a_program_needs_the_token_even_on_loopback(make_server: Callable[..., Server]) -> None:
    server = make_server()
    r = start_program(server, {"main.py": "print('hi')"}, None)
    assert r.status_code == 401 and r.json()["detail"]["field"] == "token"
    assert api(server, "GET", "/api/runs").json() == []  # nothing started
    token = presenter_token(server, log_of(server))
    r = start_program(server, {"main.py": "print('hi')"}, token)
    assert r.status_code == 201, r.text
    got = collect(server, r.json()["id"])
    assert got.states()[-1] == "finished" and got.lines() == ["hi"]


def test_bad_programs_are_refused_naming_the_file_before_anything_runs(
    make_server: Callable[..., Server],
) -> None:
    server = make_server()
    token = presenter_token(server, log_of(server))
    r = start_program(server, {"main.py": "x = 1\nif x\n    print(x)\n"}, token)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["field"] == "program.files.main.py"
    assert "line 2" in detail["message"] and "column" in detail["message"]
    r = start_program(server, {"main.py": "x = 1\n" * 60_000}, token)
    assert r.status_code == 413 and r.json()["detail"]["field"] == "program.files.main.py"
    r = start_program(server, {"../evil.py": "pass"}, token)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "program.files"
    r = start_program(server, {"data.json": "{}"}, token)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "program.entry"
    assert api(server, "GET", "/api/runs").json() == []
    assert api(server, "GET", "/healthz").status_code == 200


def test_the_lectures_isolation_example_shows_each_process_its_own_money(
    server: Server,
) -> None:
    files = {"money.py": (PROGRAMS / "money.py").read_text()}
    r = start_program(server, files, presenter_token(server, log_of(server)), speed=20)
    assert r.status_code == 201, r.text
    got = collect(server, r.json()["id"])
    assert got.states()[-1] == "finished"
    root = got.root_pid()
    money = {
        e["pid"]: e["data"]["value"] for e in got.events("value") if e["data"]["name"] == "money"
    }
    children = [pid for pid in money if pid != root]
    assert money[root] == 1000 and len(children) == 1 and money[children[0]] == 99
    public = api(server, "GET", f"/api/runs/{r.json()['id']}").json()
    assert public["lesson"] is None and public["program"]["files"] == files


def test_the_lectures_ticket_race_runs_verbatim_with_its_data_file(server: Server) -> None:
    files = {
        "main.py": (PROGRAMS / "ticket_race.py").read_text(),
        "data.json": '{"ticket_num": 1}',
    }
    r = start_program(server, files, presenter_token(server, log_of(server)), speed=20)
    assert r.status_code == 201, r.text
    got = collect(server, r.json()["id"], timeout=60)
    assert got.states()[-1] == "finished"
    lines = got.lines()
    assert sum(line.endswith("买票成功") for line in lines) == 1  # the lock holds
    assert sum(line.endswith("买票失败") for line in lines) == 9
    assert sum("在查票 当前余票为:" in line for line in lines) == 10


def test_a_fork_bomb_is_stopped_near_its_cap_and_the_server_keeps_answering(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(PROCVIZ_MAX_PROCESSES="16")
    token = presenter_token(server, log_of(server))
    slow: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            t0 = time.monotonic()
            assert httpx.get(server.base + "/healthz", timeout=5).status_code == 200
            slow.append(time.monotonic() - t0)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        r = start_program(server, {"bomb.py": FORK_BOMB}, token)
        assert r.status_code == 201, r.text
        got = collect(server, r.json()["id"], timeout=60)
    finally:
        done.set()
        prober.join()
    assert got.states()[-1] == "stopped"
    assert got.events("limit")[0]["data"]["cap"] == "max_processes"
    most = max(len(table) for table in got.frames())
    assert most <= 16 + 8, f"{most} processes seen at once under a cap of 16"
    assert run_processes() == []
    assert max(slow) < 1.0, f"/healthz took {max(slow):.2f} s during the fork bomb"


def test_a_root_ignoring_sigterm_is_killed_after_the_grace(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(PROCVIZ_STOP_GRACE="0.5")
    token = presenter_token(server, log_of(server))
    r = start_program(server, {"main.py": IGNORES_TERM}, token)
    run_id = r.json()["id"]
    got = collect(server, run_id, until=lambda m: any(x.startswith("started") for x in m.lines()))
    root = got.root_pid()
    api(server, "POST", f"/api/runs/{run_id}/stop")
    got = collect(server, run_id)
    assert got.states()[-1] == "stopped"
    reaps = {e["pid"]: e["data"]["exitcode"] for e in got.events("reap")}
    assert reaps[root] == -signal.SIGKILL  # TERM was ignored; KILL came after the grace
    assert wait_state(server, run_id, {"stopped"})["returncode"] == -signal.SIGKILL


def test_a_killed_server_takes_a_root_that_ignores_sigterm_with_it(
    make_server: Callable[..., Server],
) -> None:
    doomed = make_server()
    token = presenter_token(doomed, log_of(doomed))
    run_id = start_program(doomed, {"main.py": IGNORES_TERM}, token).json()["id"]
    collect(doomed, run_id, until=lambda m: any(x.startswith("started") for x in m.lines()))
    assert len(run_processes()) >= 2
    os.kill(doomed.pid, signal.SIGKILL)
    killed = time.monotonic()
    while run_processes():
        assert time.monotonic() - killed < 3, f"still alive: {run_processes()}"
        time.sleep(0.02)
