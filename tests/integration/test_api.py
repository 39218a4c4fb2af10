"""The REST API and the WebSocket on a real server: contract shapes and every bad input."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.client import Server, api, collect, start_run, wait_state

pytestmark = pytest.mark.integration


def test_lessons_lists_every_lesson_with_titles_and_schema(server: Server) -> None:
    lessons = api(server, "GET", "/api/lessons").json()
    ids = [lesson["id"] for lesson in lessons]
    for core in ("create-process", "join", "zombie", "orphan"):
        assert core in ids
    zombie = next(lesson for lesson in lessons if lesson["id"] == "zombie")
    assert zombie["title"]["zh"] == "僵尸进程"
    props = zombie["params"]["properties"]
    assert props["speed"]["minimum"] == 0.1 and props["speed"]["maximum"] == 20
    assert props["start_method"]["enum"] == ["fork", "spawn", "forkserver"]


def test_lesson_detail_has_highlighted_source(server: Server) -> None:
    detail = api(server, "GET", "/api/lessons/zombie").json()
    assert "Process(target=task" in detail["source"]
    assert 'class="highlight"' in detail["source_html"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"lesson": "teleport", "params": {}}, 404, "lesson"),
        ({"lesson": "zombie", "params": {"speed": 10000}}, 422, "params.speed"),
        ({"lesson": "zombie", "params": {"speed": "fast"}}, 422, "params.speed"),
        ({"lesson": "zombie", "params": {"start_method": "teleport"}}, 422, "params.start_method"),
        ({"lesson": "zombie", "params": {"colour": "red"}}, 422, "params.colour"),
        ({"lesson": "zombie", "params": {"parent_sleep": 0}}, 422, "params.parent_sleep"),
    ],
)
def test_create_run_rejects_bad_input_naming_the_field(
    server: Server, body: dict[str, object], status: int, field: str
) -> None:
    before = api(server, "GET", "/api/runs").json()
    r = api(server, "POST", "/api/runs", json=body)
    assert r.status_code == status, r.text
    assert r.json()["detail"]["field"] == field
    assert r.json()["detail"]["message"]
    assert api(server, "GET", "/api/runs").json() == before  # nothing changed
    assert api(server, "GET", "/healthz").status_code == 200


def test_create_run_rejects_a_malformed_body_with_422(server: Server) -> None:
    r = api(
        server,
        "POST",
        "/api/runs",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    r = api(server, "POST", "/api/runs", json={"params": {}})
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "lesson"  # the one Error shape, not a list


def test_run_lifecycle_fields_and_recording(server: Server) -> None:
    run = start_run(server, "zombie", {"speed": 10})
    assert run["ws"] == f"/ws/runs/{run['id']}"
    assert run["state"] in ("starting", "running")
    got = collect(server, run["id"])
    public = wait_state(server, run["id"], {"finished"})
    assert public["result"] == got.result()
    assert public["ended"] >= public["started"]
    lines = api(server, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()
    recorded = [json.loads(line) for line in lines]
    assert {m["type"] for m in recorded} >= {"run", "delta", "event"}
    assert [m["data"] for m in recorded if m.get("kind") == "result"] == [public["result"]]
    assert all(m["run"] == run["id"] and isinstance(m["t"], float) for m in recorded)


def test_unknown_run_is_404_everywhere(server: Server) -> None:
    for method, path in [
        ("GET", "/api/runs/nope"),
        ("POST", "/api/runs/nope/stop"),
        ("GET", "/api/runs/nope/recording"),
    ]:
        r = api(server, method, path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["detail"]["field"] == "id"


def test_websocket_for_unknown_run_closes_with_a_reason(server: Server) -> None:
    with connect(f"{server.ws_base}/ws/runs/nope") as ws, pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4404
    assert "unknown run" in info.value.rcvd.reason


def test_stop_ends_a_run_and_leaves_no_process(server: Server) -> None:
    run = start_run(server, "orphan", {"child_seconds": 30, "speed": 0.5})
    got = collect(server, run["id"], until=lambda m: len(m.events("spawn")) >= 3)
    pids = {e["pid"] for e in got.events("spawn")}
    r = api(server, "POST", f"/api/runs/{run['id']}/stop")
    assert r.status_code == 200
    public = wait_state(server, run["id"], {"stopped"}, timeout=30)
    assert public["stop_reason"] == "requested"
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _is_other(pid)
    again = api(server, "POST", f"/api/runs/{run['id']}/stop")
    assert again.status_code == 409


def _is_other(pid: int) -> bool:
    """The PID was reused by an unrelated process (not one carrying the run's channel)."""
    try:
        return b"PROCVIZ_EVENTS=" not in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return True


def test_signal_stop_and_continue_a_member_and_reject_outsiders(server: Server) -> None:
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    got = collect(
        server,
        run["id"],
        until=lambda m: any(e["data"].get("role") == "root" for e in m.events("spawn")),
    )
    root = got.root_pid()
    r = api(
        server, "POST", f"/api/runs/{run['id']}/signal", json={"pid": root, "signal": "SIGSTOP"}
    )
    assert r.status_code == 200, r.text
    stopped = collect(
        server,
        run["id"],
        until=lambda m: any(
            p["pid"] == root and p["status"] == "stopped"
            for f in [m.items[-1]]
            for p in f.get("changed", []) + f.get("processes", [])
        ),
    )
    assert stopped.items
    r = api(
        server, "POST", f"/api/runs/{run['id']}/signal", json={"pid": root, "signal": "SIGCONT"}
    )
    assert r.status_code == 200
    outsider = api(
        server,
        "POST",
        f"/api/runs/{run['id']}/signal",
        json={"pid": os.getpid(), "signal": "SIGKILL"},
    )
    assert outsider.status_code == 404
    assert outsider.json()["detail"]["field"] == "pid"
    bad = api(
        server, "POST", f"/api/runs/{run['id']}/signal", json={"pid": root, "signal": "SIGHUP"}
    )
    assert bad.status_code == 422
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, run["id"], {"stopped"}, timeout=30)


def test_too_many_runs_is_429_and_starts_nothing(make_server: Callable[..., Server]) -> None:
    small = make_server(PROCVIZ_MAX_RUNS="1")
    first = start_run(small, "orphan", {"child_seconds": 30})
    r = api(small, "POST", "/api/runs", json={"lesson": "zombie", "params": {}})
    assert r.status_code == 429
    assert "cap is 1" in r.json()["detail"]["message"]
    assert len(api(small, "GET", "/api/runs").json()) == 1
    api(small, "POST", f"/api/runs/{first['id']}/stop")
    wait_state(small, first["id"], {"stopped"}, timeout=30)


def test_process_cap_stops_the_run_with_a_limit_event(make_server: Callable[..., Server]) -> None:
    small = make_server(PROCVIZ_MAX_PROCESSES="4")
    run = start_run(small, "create-process", {"speed": 0.5, "start_method": "forkserver"})
    got = collect(small, run["id"], timeout=60)
    limit = got.events("limit")
    assert limit and "cap of 4" in limit[0]["data"]["reason"]
    assert got.states()[-1] == "stopped"


def test_max_duration_stops_the_run(make_server: Callable[..., Server]) -> None:
    small = make_server(PROCVIZ_MAX_DURATION="1")
    run = start_run(small, "zombie", {"parent_sleep": 30})
    got = collect(small, run["id"], timeout=60)
    assert got.events("limit")[0]["data"]["cap"] == "max_duration"
    assert wait_state(small, run["id"], {"stopped"})["stop_reason"] == "max_duration"


def test_control_needs_the_token_when_configured(make_server: Callable[..., Server]) -> None:
    guarded = make_server(PROCVIZ_TOKEN="s3cret")
    r = api(
        guarded,
        "POST",
        "/api/runs",
        json={"lesson": "zombie"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert r.status_code == 401
    assert r.json()["detail"]["field"] == "token"
    assert api(guarded, "GET", "/api/runs").json() == []  # viewers may still watch
    run = start_run(guarded, "zombie", {"speed": 10})  # carries the right token
    collect(guarded, run["id"])


def test_server_shutdown_kills_the_runs_it_owns(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    doomed = make_server()
    run = start_run(doomed, "orphan", {"child_seconds": 30, "speed": 0.5})
    got = collect(doomed, run["id"], until=lambda m: len(m.events("spawn")) >= 3)
    pids = [e["pid"] for e in got.events("spawn")]
    os.kill(doomed.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{p}").exists() and not _is_other(p) for p in pids):
        assert time.monotonic() < deadline, "run processes outlived the server"
        time.sleep(0.1)


def test_server_killed_hard_its_run_kills_itself(make_server: Callable[..., Server]) -> None:
    doomed = make_server()
    run = start_run(doomed, "orphan", {"child_seconds": 30, "speed": 0.5})
    got = collect(doomed, run["id"], until=lambda m: len(m.events("spawn")) >= 3)
    pids = [e["pid"] for e in got.events("spawn")]
    os.kill(doomed.pid, signal.SIGKILL)  # no shutdown hook runs: the watchdog must act
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{p}").exists() and not _is_other(p) for p in pids):
        assert time.monotonic() < deadline, "run processes outlived a killed server"
        time.sleep(0.1)


def test_process_details_include_the_command_line(server: Server) -> None:
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    try:
        got = collect(server, run["id"], until=lambda m: len(m.events("spawn")) >= 2)
        root = got.root_pid()
        detail = api(server, "GET", f"/api/runs/{run['id']}/processes/{root}").json()
        assert detail["pid"] == root and "workers.trace.script" in detail["cmdline"]
        assert detail["cmdline"][-2:] == ["--", "main.py"]  # the lesson's script, traced
        missing = api(server, "GET", f"/api/runs/{run['id']}/processes/{os.getpid()}")
        assert missing.status_code == 404 and missing.json()["detail"]["field"] == "pid"
    finally:
        api(server, "POST", f"/api/runs/{run['id']}/stop")
        wait_state(server, run["id"], {"stopped"}, timeout=30)


def test_recordings_list_past_runs_and_lobby_follows_the_presenter(
    make_server: Callable[..., Server],
) -> None:
    fresh = make_server()
    with connect(f"{fresh.ws_base}/ws/lobby") as lobby:
        assert json.loads(lobby.recv(timeout=5)) | {"t": 0} == {
            "type": "current",
            "run": None,
            "t": 0,
        }
        run = start_run(fresh, "zombie", {"speed": 10})
        current = json.loads(lobby.recv(timeout=5))
        assert current["run"] == run["id"] and current["lesson"] == "zombie"
    collect(fresh, run["id"])
    listed = api(fresh, "GET", "/api/recordings").json()
    assert [r["id"] for r in listed] == [run["id"]]
    assert listed[0]["state"] == "finished" and listed[0]["result"]["reaped_by_join"] is True
    assert current["state"] == "running"


def test_a_run_recorded_by_an_earlier_server_is_still_described(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    data = str(tmp_path / "shared-data")
    first = make_server(PROCVIZ_DATA_DIR=data)
    run = start_run(first, "zombie", {"speed": 10})
    collect(first, run["id"])
    later = make_server(PROCVIZ_DATA_DIR=data)
    public = api(later, "GET", f"/api/runs/{run['id']}").json()
    assert public["state"] == "finished" and public["lesson"] == "zombie"
    assert public["result"]["reaped_by_join"] is True
    assert api(later, "GET", "/api/runs/20990101-000000-abcdef").status_code == 404


def test_stdout_events_carry_the_lesson_line_that_printed_them(server: Server) -> None:
    got = collect(server, start_run(server, "zombie", {"speed": 10})["id"])
    source = api(server, "GET", "/api/lessons/zombie").json()["source"].splitlines()
    for event in got.events("stdout"):
        assert "print(" in source[event["data"]["lineno"] - 1]


def test_unknown_lesson_detail_is_404_naming_the_lesson(server: Server) -> None:
    r = api(server, "GET", "/api/lessons/teleport")
    assert r.status_code == 404
    assert r.json()["detail"] == {"field": "lesson", "message": "unknown lesson 'teleport'"}


def test_old_runs_leave_memory_and_disk_beyond_the_recordings_cap(
    make_server: Callable[..., Server],
) -> None:
    small = make_server(PROCVIZ_MAX_RECORDINGS="2")
    ids = []
    for _ in range(3):
        run = start_run(small, "zombie", {"speed": 20, "parent_sleep": 0.5})
        collect(small, run["id"])
        ids.append(run["id"])
    assert [r["id"] for r in api(small, "GET", "/api/runs").json()] == ids[:0:-1]
    assert [r["id"] for r in api(small, "GET", "/api/recordings").json()] == ids[:0:-1]
    assert api(small, "GET", f"/api/runs/{ids[0]}").status_code == 404
