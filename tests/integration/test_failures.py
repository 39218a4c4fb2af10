"""A lesson that crashes: its traceback reaches the console, the run fails, nothing remains."""

from __future__ import annotations

import pytest

from tests.client import Server, api, collect, start_run

pytestmark = pytest.mark.integration


def test_a_lesson_interrupted_by_sigint_fails_with_its_traceback(server: Server) -> None:
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    first = collect(server, run["id"], until=lambda m: len(m.lines()) >= 3)
    root = first.root_pid()
    r = api(server, "POST", f"/api/runs/{run['id']}/signal", json={"pid": root, "signal": "SIGINT"})
    assert r.status_code == 200
    got = collect(server, run["id"])
    assert got.states()[-1] == "failed"
    errors = "\n".join(e["data"]["line"] for e in got.events("stderr", root))
    assert "Traceback (most recent call last)" in errors
    assert "KeyboardInterrupt" in errors
    public = api(server, "GET", f"/api/runs/{run['id']}").json()
    assert public["state"] == "failed" and public["returncode"] != 0
    assert public["result"] is None
    # Every process the run had has been reaped (the fixture also checks the machine).
    spawned = {e["pid"] for e in got.events("spawn")}
    reaped = {e["pid"] for e in got.events("reap")}
    assert spawned <= reaped
