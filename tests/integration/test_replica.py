"""Viewer replicas through Redis: a real redis-server, a presenter and replicas on loopback.

The presenter's recording is the truth: every message a replica's viewer gets (but the
snapshots and history pieces a hub makes for each viewer) is one of its lines, byte for
byte and in its order; the history a replica sends is the recording's events.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from app.table import ProcessTable
from tests.client import ENDED, Server, api, expand, start_run, wait_state
from tests.redis_server import RedisServer

pytestmark = pytest.mark.integration

# Six seconds of a producer and a consumer at 20 samples a second: deltas and events.
STEADY = {
    "producers": 2,
    "consumers": 2,
    "items": 12,
    "produce_seconds": 0.5,
    "consume_seconds": 0.25,
    "maxsize": 4,
    "speed": 1,
}
MADE_PER_VIEWER = {"snapshot", "history", "notice"}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


def watch(server: Server, run_id: str, batch: bool = False, timeout: float = 60) -> list[str]:
    """Every message of one viewer, as received (raw text), until the run ends; a batched
    viewer's (``?batch=1``, as the page asks) unpacked from its batches, each as encoded."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    url = f"{server.ws_base}/ws/runs/{run_id}" + ("?batch=1" if batch else "")
    with connect(url, open_timeout=10, max_size=None) as ws:
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"run {run_id} did not end within {timeout} s"
            text = str(ws.recv(timeout=remaining))
            message = json.loads(text)
            inner = message["messages"] if message["type"] == "batch" else [message]
            got += [json.dumps(m, ensure_ascii=False) for m in inner] if batch else [text]
            if any(m["type"] == "run" and m["state"] in ENDED for m in inner):
                return got


def watch_all(
    viewers: dict[str, tuple[Server, str] | tuple[Server, str, bool]],
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def one(name: str, server: Server, run_id: str, batch: bool = False) -> None:
        try:
            out[name] = watch(server, run_id, batch)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n, *v)) for n, v in viewers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def known(replica: Server, run_id: str) -> bool:
    return api(replica, "GET", f"/api/runs/{run_id}").status_code == 200


def recording(presenter: Server, run_id: str) -> list[str]:
    r = api(presenter, "GET", f"/api/runs/{run_id}/recording")
    assert r.status_code == 200, r.text
    return r.text.splitlines()


def events(texts: list[str]) -> list[dict[str, Any]]:
    """The event messages among these, history pieces opened, without the history mark."""
    out = []
    for text in texts:
        for m in expand(json.loads(text)):
            if m["type"] == "event":
                m.pop("history", None)
                out.append(m)
    return out


def assert_in_recordings_order(got: list[str], lines: list[str]) -> None:
    index = {text: i for i, text in enumerate(lines)}
    last = -1
    for text in got:
        if json.loads(text)["type"] in MADE_PER_VIEWER:
            continue
        assert text in index, f"not a message of the presenter's: {text[:160]}"
        assert index[text] > last, f"out of the presenter's order: {text[:160]}"
        last = index[text]


def model(texts: list[str]) -> ProcessTable:
    """The table a viewer rebuilds; every delta must follow the frame it has."""
    table = ProcessTable()
    for text in texts:
        message = json.loads(text)
        if message["type"] == "delta" and table.seq >= 0:
            assert message["seq"] == table.seq + 1, (table.seq, message["seq"])
        if message["type"] == "delta":
            assert table.seq >= 0, "a delta before any snapshot"
        table.apply(message)
    return table


def final_table(lines: list[str]) -> dict[int, Any]:
    table = ProcessTable()
    table.seq = 0
    for line in lines:
        table.apply(json.loads(line))
    return table.processes


def test_replica_viewers_get_exactly_the_presenters_messages_in_order(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    presenter = make_server(PROCVIZ_REDIS_URL=redis_server.url)
    replica = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_ROLE="replica")
    with connect(f"{replica.ws_base}/ws/lobby", open_timeout=10) as lobby:
        assert json.loads(lobby.recv(timeout=10))["run"] is None
        run = start_run(presenter, "producer-consumer", STEADY)
        # The page on a replica follows the presenter: the lobby names the new run.
        current = json.loads(lobby.recv(timeout=30))
    assert (current["type"], current["run"], current["lesson"]) == (
        "current",
        run["id"],
        "producer-consumer",
    )
    assert known(replica, run["id"])  # announced before the lobby names it

    got = watch_all(
        {
            "presenter": (presenter, run["id"]),
            "replica": (replica, run["id"]),
            "replica, batched": (replica, run["id"], True),
        }
    )
    lines = recording(presenter, run["id"])

    for name in ("presenter", "replica", "replica, batched"):
        assert_in_recordings_order(got[name], lines)
        assert events(got[name]) == events(lines), name  # history + live: every event, once
        assert model(got[name]).processes == final_table(lines), name
    deltas = [json.loads(t) for t in got["replica"] if t.startswith('{"type": "delta"')]
    # Live frames came through the replica for seconds of the run (a delta goes out only
    # when a process changed, so their number depends on the machine; their span does not:
    # the run makes 12 items at 0.5 s each).
    assert len(deltas) >= 5 and deltas[-1]["t"] - deltas[0]["t"] >= 3.0, [d["t"] for d in deltas]
    assert events(got["replica"]) == events(got["presenter"])
    assert api(replica, "GET", f"/api/runs/{run['id']}").json()["state"] == "finished"


def test_late_joiner_on_a_late_replica_gets_a_snapshot_the_deltas_apply_to(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    # A short stream: by the time the replica starts, its start is trimmed away, and
    # the replica's base is one of the snapshots the presenter adds every second.
    presenter = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_REDIS_MAXLEN="100")
    run = start_run(presenter, "producer-consumer", {**STEADY, "items": 24})
    key = f"procviz:run:{run['id']}"
    until(lambda: _trimmed(redis_server, key), "the run's stream is trimmed", timeout=20)
    replica = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_ROLE="replica")
    until(lambda: known(replica, run["id"]), "the late replica knows the run")

    got = watch(replica, run["id"])
    lines = recording(presenter, run["id"])

    first = [json.loads(t) for t in got[:2]]
    assert [m["type"] for m in first] == ["run", "snapshot"]
    assert first[1]["seq"] > 1, "the base should be a snapshot from the stream, not the start"
    table = model(got)  # each delta follows the frame the viewer has
    assert table.processes == final_table(lines)
    assert_in_recordings_order(got, lines)
    # The events it had kept: the recording's last ones, and a notice for what it lacks.
    kept = events(got)
    assert kept and kept == events(lines)[-len(kept) :]
    if len(kept) < len(events(lines)):
        notices = [json.loads(t) for t in got if '"type": "notice"' in t[:20]]
        notices += [m for t in got for m in expand(json.loads(t)) if m["type"] == "notice"]
        assert any("early events omitted" in n["message"] for n in notices), notices


def _trimmed(redis_server: RedisServer, key: str) -> bool:
    """The stream no longer starts with the run's first entry (its first run message)."""
    first = redis_server.client().xrange(key, "-", "+", count=1)
    return bool(first) and first[0][1].get("k") != "r"


def test_replica_refuses_control_with_a_clear_error_and_starts_nothing(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    presenter = make_server(PROCVIZ_REDIS_URL=redis_server.url)
    replica = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_ROLE="replica")
    run = start_run(presenter, "join", {"speed": 4})
    until(lambda: known(replica, run["id"]), "the replica knows the run")
    refused = [
        ("POST", "/api/runs", {"lesson": "join", "params": {}}),
        ("POST", f"/api/runs/{run['id']}/stop", None),
        ("POST", f"/api/runs/{run['id']}/signal", {"pid": 1, "signal": "SIGTERM"}),
        ("POST", f"/api/runs/{run['id']}/freeze", None),
        ("POST", "/api/lessons", {"id": "x", "title": "x", "files": {"a.py": ""}}),
    ]
    for method, path, body in refused:
        r = api(replica, method, path, json=body)
        assert r.status_code == 403, (path, r.status_code, r.text)
        detail = r.json()["detail"]
        assert detail["field"] == "role"
        assert "viewer replica" in detail["message"] and "presenter" in detail["message"]
    r = api(replica, "GET", f"/api/runs/{run['id']}/recording")
    assert r.status_code == 409 and r.json()["detail"]["field"] == "role", r.text

    wait_state(presenter, run["id"], ENDED)
    assert [r["id"] for r in api(presenter, "GET", "/api/runs").json()] == [run["id"]]
    assert [r["id"] for r in api(replica, "GET", "/api/runs").json()] == [run["id"]]
    assert api(replica, "GET", "/healthz").json() == {
        "status": "ok",
        "active_runs": 0,
        "role": "replica",
        "redis": "ok",
    }


def test_without_redis_url_the_presenter_publishes_nothing(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    plain = make_server()
    replica = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_ROLE="replica")
    run = start_run(plain, "join", {"speed": 4})
    wait_state(plain, run["id"], ENDED)
    assert api(plain, "GET", "/healthz").json()["redis"] is None
    assert redis_server.client().dbsize() == 0
    assert api(replica, "GET", "/api/runs").json() == []
    # The same run with the URL set: published (so the check above could have failed).
    publishing = make_server(PROCVIZ_REDIS_URL=redis_server.url)
    run = start_run(publishing, "join", {"speed": 4})
    until(lambda: known(replica, run["id"]), "the replica knows the published run")
    assert redis_server.client().exists(f"procviz:run:{run['id']}") == 1


def test_redis_down_presenter_serves_on_replica_unhealthy_then_both_recover(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    presenter = make_server(PROCVIZ_REDIS_URL=redis_server.url)
    replica = make_server(PROCVIZ_REDIS_URL=redis_server.url, PROCVIZ_ROLE="replica")
    redis_server.stop()

    until(lambda: _health(replica).status_code == 503, "the replica reports unhealthy")
    detail = _health(replica).json()["detail"]
    assert detail["field"] == "redis" and "unreachable" in detail["message"], detail
    # The presenter runs a lesson for its own viewers meanwhile, start to end.
    run = start_run(presenter, "join", {"speed": 4})
    (got,) = watch_all({"p": (presenter, run["id"])}).values()
    assert json.loads(got[-1])["state"] == "finished"
    assert events(got) == events(recording(presenter, run["id"]))
    health = _health(presenter)
    assert health.status_code == 200 and health.json()["redis"] != "ok", health.text

    redis_server.start()  # the same port, empty
    until(lambda: _health(replica).status_code == 200, "the replica recovers", timeout=40)
    # What the presenter queued meanwhile reaches the replica: the whole run.
    until(lambda: known(replica, run["id"]), "the replica gets the queued run", timeout=40)
    assert api(replica, "GET", f"/api/runs/{run['id']}").json()["state"] == "finished"
    assert _health(presenter).json()["redis"] == "ok"


def _health(server: Server) -> httpx.Response:
    return httpx.get(server.base + "/healthz", timeout=10)


def test_a_command_redis_refuses_holds_up_nothing_else(
    redis_server: RedisServer, make_server: Callable[..., Server]
) -> None:
    client = redis_server.client()
    client.set("procviz:lobby", "not a stream")  # every lobby XADD now fails: WRONGTYPE
    presenter = make_server(PROCVIZ_REDIS_URL=redis_server.url)
    run = start_run(presenter, "join", {"speed": 4})
    wait_state(presenter, run["id"], ENDED)
    key = f"procviz:run:{run['id']}"
    until(lambda: client.exists(key) == 1, "the run's stream is written")

    def last_state() -> str | None:
        runs = [f["m"] for _, f in client.xrange(key) if f["k"] == "r"]
        return json.loads(runs[-1])["state"] if runs else None

    until(lambda: last_state() in ENDED, "the run's last state is written")
    assert api(presenter, "GET", "/healthz").json()["redis"] == "ok"
    assert (
        "Redis refused XADD procviz:lobby"
        in Path(presenter.data_dir)
        .parent.joinpath(f"server-{presenter.base.rsplit(':', 1)[1]}.log")
        .read_text()
    )
