"""Step mode: the presenter is the scheduler. The ticket race oversells on demand without
the lock and sells one with it; a held process waits in our gate, a blocked one in acquire().
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.client import (
    Messages,
    Server,
    api,
    collect,
    log_of,
    presenter_token,
    start_program,
    wait_state,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

RACE = (ROOT / "tests" / "programs" / "ticket_race.py").read_text()
NO_LOCK = RACE.replace("    mutex.acquire()\n", "").replace("    mutex.release()\n", "")
DATA = '{"ticket_num": 1}'


def line_of(source: str, text: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line that contains ``text``."""
    found = [i for i, line in enumerate(source.splitlines(), 1) if text in line]
    return found[nth - 1]


LESSON = (ROOT / "workers" / "lessons" / "ticket_race" / "main.py").read_text()


class Stepper:
    """A run in step mode: a program of the user's own (``source``), or a built-in lesson."""

    def __init__(self, server: Server, source: str, lesson: dict[str, Any] | None = None) -> None:
        token = presenter_token(server, log_of(server))
        self.server, self.headers = server, {"Authorization": f"Bearer {token}"}
        if lesson is None:
            files = {"main.py": source, "data.json": DATA}
            r = start_program(server, files, token, speed=20, step=True)
        else:
            body = {"lesson": lesson["id"], "params": {**lesson["params"], "step": True}}
            r = api(server, "POST", "/api/runs", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        self.run = r.json()["id"]
        self.got = Messages()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = api(self.server, "POST", f"/api/runs/{self.run}{path}", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, until: Any, timeout: float = 30) -> None:
        self.got = collect(self.server, self.run, timeout=timeout, until=until)

    def held(self) -> dict[int, int]:
        """Each process's last hold: pid → line (only those still held)."""
        last: dict[int, int] = {}
        for e in self.got.events():
            if e["kind"] == "step":
                last[e["pid"]] = e["data"]["lineno"]
            elif e["kind"] in ("reap", "exit"):
                last.pop(e["pid"], None)
        return last

    def run_out(self, timeout: float = 60) -> Messages:
        """Let every held process go on until the run ends (a `with` line is met twice:
        once entering, once leaving, so a process may hold at a breakpoint again)."""
        deadline = time.monotonic() + timeout
        while api(self.server, "GET", f"/api/runs/{self.run}").json()["state"] == "running":
            assert time.monotonic() < deadline, "the run did not end"
            self.post("/step", {"pid": None, "mode": "run"})
            time.sleep(0.2)
        return collect_recording(self.server, self.run)

    def stop(self) -> None:
        api(self.server, "POST", f"/api/runs/{self.run}/stop", headers=self.headers)

    def step_to(self, pid: int, line: int) -> None:
        """Run ``pid`` line by line until it holds before ``line``."""
        for _ in range(50):
            holds = len([e for e in self.got.events("step", pid)])
            self.post("/step", {"pid": pid, "mode": "line"})
            self.wait(lambda m, n=holds: len(m.events("step", pid)) > n)
            if self.held().get(pid) == line:
                return
        raise AssertionError(f"process {pid} never reached line {line}: {self.held()}")


def collect_recording(server: Server, run_id: str) -> Messages:
    lines = api(server, "GET", f"/api/runs/{run_id}/recording").text.splitlines()
    return Messages([json.loads(line) for line in lines])


def buyers_held_at(stepper: Stepper, line: int, n: int) -> list[int]:
    stepper.wait(lambda m: sum(1 for v in _holds(m).values() if v == line) >= n)
    return sorted(pid for pid, at in stepper.held().items() if at == line)


def _holds(m: Messages) -> dict[int, int]:
    last: dict[int, int] = {}
    for e in m.events("step"):
        last[e["pid"]] = e["data"]["lineno"]
    return last


def sold(got: Messages) -> int:
    return sum(line.endswith("买票成功") for line in got.lines())


def test_step_mode_oversells_the_ticket_on_demand_without_the_lock(server: Server) -> None:
    stepper = Stepper(server, NO_LOCK)
    try:
        got = oversell(stepper, server, NO_LOCK)
        assert sum(x.endswith("买票失败") for x in got.lines()) == 8
    finally:
        stepper.stop()


def test_step_mode_oversells_in_the_built_in_ticket_race_lesson(server: Server) -> None:
    """The lesson itself (not a copy of its code) takes step mode; its result says 2 sold."""
    lesson = {"id": "ticket-race", "params": {"speed": 20, "lock": False}}
    stepper = Stepper(server, LESSON, lesson)
    try:
        got = oversell(stepper, server, LESSON)
        (result,) = got.events("result")
        # Both wrote 1 - 1: two tickets sold, the file says none left, not -1.
        data = result["data"]
        assert (data["tickets_at_start"], data["sold"], data["tickets_left"]) == (1, 2, 0)
    finally:
        stepper.stop()


def oversell(stepper: Stepper, server: Server, source: str) -> Messages:
    """Two buyers read the one ticket before either writes: both buy it."""
    read = line_of(source, "with open('data.json', 'r', encoding='utf8') as f:", nth=2)
    sleep = line_of(source, "time.sleep(random.randint(1, 3))")
    r = api(
        server,
        "PUT",
        f"/api/runs/{stepper.run}/breakpoints",
        json={"lines": [{"file": "main.py", "line": read}]},
        headers=stepper.headers,
    )
    assert r.status_code == 200 and r.json()["breakpoints"] == [{"file": "main.py", "line": read}]
    stepper.wait(lambda m: bool(m.events("step")))  # the root, held before its first line
    stepper.post("/step", {"pid": None, "mode": "run"})
    buyers = buyers_held_at(stepper, read, 10)  # every buyer, before it reads the file
    first, second = buyers[:2]
    stepper.step_to(first, sleep)  # it has read 1 and waits for the network
    stepper.step_to(second, sleep)  # so has the second: nobody has written yet
    stepper.post("/step", {"pid": first, "mode": "run"})
    stepper.post("/step", {"pid": second, "mode": "run"})
    stepper.wait(lambda m: sold(m) == 2)
    got = stepper.run_out()  # the rest read 0
    assert wait_state(server, stepper.run, {"finished"})["state"] == "finished"
    assert sold(got) == 2
    return got


def test_step_mode_with_the_lock_sells_one_and_the_others_wait_in_acquire(
    server: Server,
) -> None:
    stepper = Stepper(server, RACE)
    try:
        inside = line_of(RACE, "with open('data.json', 'r', encoding='utf8') as f:", nth=2)
        r = api(
            server,
            "PUT",
            f"/api/runs/{stepper.run}/breakpoints",
            json={"lines": [{"file": "main.py", "line": inside}]},
            headers=stepper.headers,
        )
        assert r.status_code == 200
        stepper.wait(lambda m: bool(m.events("step")))
        stepper.post("/step", {"pid": None, "mode": "run"})
        # One buyer holds the lock and is held by us inside it; the other nine wait for it
        # in acquire(), blocked by the OS, not by us.
        stepper.wait(lambda m: inside in _holds(m).values() and len(_acquiring(m)) >= 9)
        holder = next(p for p, at in stepper.held().items() if at == inside)
        assert holder not in _acquiring(stepper.got)
        got = stepper.run_out()
        assert wait_state(server, stepper.run, {"finished"})["state"] == "finished"
        assert sold(got) == 1 and sum(x.endswith("买票失败") for x in got.lines()) == 9
    finally:
        stepper.stop()


def _acquiring(m: Messages) -> set[int]:
    """Processes blocked in acquire() right now (a blocked event not yet followed by unblocked)."""
    waiting: set[int] = set()
    for e in m.events():
        if e["kind"] == "blocked" and e["data"].get("op") == "acquire":
            waiting.add(e["pid"])
        elif e["kind"] == "unblocked":
            waiting.discard(e["pid"])
    return waiting


def test_step_needs_a_run_in_step_mode(server: Server) -> None:
    token = presenter_token(server, log_of(server))
    run = start_program(server, {"main.py": "import time\ntime.sleep(30)\n"}, token).json()
    r = api(
        server,
        "POST",
        f"/api/runs/{run['id']}/step",
        json={"pid": None, "mode": "line"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 409 and r.json()["detail"]["field"] == "params.step"
    api(server, "POST", f"/api/runs/{run['id']}/stop")
