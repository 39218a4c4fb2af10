"""Freeze the run, not just the page: SIGSTOP to every process, seen in /proc; thaw goes on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import (
    Messages,
    Server,
    api,
    collect,
    log_of,
    presenter_token,
    start_program,
    start_run,
    wait_state,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def state_letter(pid: int) -> str:
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    return raw[raw.rfind(b")") + 2 :].split()[0].decode()


def wait_letters(pids: list[int], wanted: set[str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while {state_letter(p) for p in pids} - wanted:
        assert time.monotonic() < deadline, {p: state_letter(p) for p in pids}
        time.sleep(0.02)


SLEEPERS = (ROOT / "tests" / "programs" / "sleepers.py").read_text()


def test_freeze_stops_every_process_and_thaw_continues_them(server: Server) -> None:
    r = start_program(server, {"main.py": SLEEPERS}, presenter_token(server, log_of(server)))
    run = r.json()
    got = collect(server, run["id"], until=lambda m: len(m.events("spawn")) >= 4)
    pids = sorted({e["pid"] for e in got.events("spawn")})
    r = api(server, "POST", f"/api/runs/{run['id']}/freeze")
    assert r.status_code == 200 and r.json()["frozen"] is True
    wait_letters(pids, {"T"})  # the OS says so, not only the server
    time.sleep(1.0)

    def all_stopped(m: Messages) -> bool:
        tables = list(m.frames())
        last = tables[-1] if tables else {}
        return bool(m.events("freeze")) and all(
            last.get(p, {}).get("status") == "stopped" for p in pids
        )

    frozen = collect(server, run["id"], until=all_stopped)  # the page is told, in records too
    assert [e["data"]["frozen"] for e in frozen.events("freeze")] == [True]
    r = api(server, "POST", f"/api/runs/{run['id']}/thaw")
    assert r.status_code == 200 and r.json()["frozen"] is False
    wait_letters(pids, {"S", "R"})
    public = api(server, "GET", f"/api/runs/{run['id']}").json()
    assert public["frozen"] is False and public["frozen_seconds"] >= 1.0
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, run["id"], {"stopped"})
    lines = api(server, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()
    freezes = [m["data"] for m in map(json.loads, lines) if m.get("kind") == "freeze"]
    assert [f["frozen"] for f in freezes] == [True, False]
    assert freezes[1]["seconds"] >= 1.0
    r = api(server, "POST", f"/api/runs/{run['id']}/freeze")
    assert r.status_code == 409


def test_frozen_time_does_not_count_toward_the_maximum_duration(
    make_server: Callable[..., Server],
) -> None:
    small = make_server(PROCVIZ_MAX_DURATION="2")
    run = start_run(small, "zombie", {"parent_sleep": 30})
    collect(small, run["id"], until=lambda m: len(m.events("spawn")) >= 2)
    assert api(small, "POST", f"/api/runs/{run['id']}/freeze").status_code == 200
    time.sleep(3)  # past the maximum duration, frozen all along
    assert api(small, "GET", f"/api/runs/{run['id']}").json()["state"] == "running"
    assert api(small, "POST", f"/api/runs/{run['id']}/thaw").status_code == 200
    ended = wait_state(small, run["id"], {"stopped"}, timeout=30)
    assert ended["stop_reason"] == "max_duration"
    assert ended["ended"] - ended["started"] >= 2 + 3
