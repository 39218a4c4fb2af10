"""Talking to a real procviz server: REST with httpx, the WebSocket with ``websockets``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from app.table import ProcessTable

ENDED = {"finished", "stopped", "failed"}


@dataclass
class Server:
    base: str
    ws_base: str
    pid: int
    token: str | None = None
    data_dir: str = ""

    def headers(self, token: str | None = None) -> dict[str, str]:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}


def api(server: Server, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {**server.headers(), **kwargs.pop("headers", {})}
    return httpx.request(method, server.base + path, headers=headers, timeout=30, **kwargs)


def start_run(server: Server, lesson: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    r = api(server, "POST", "/api/runs", json={"lesson": lesson, "params": params or {}})
    assert r.status_code == 201, r.text
    return dict(r.json())


def wait_state(
    server: Server, run_id: str, states: set[str], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = api(server, "GET", f"/api/runs/{run_id}").json()
        if run["state"] in states:
            return dict(run)
        assert time.monotonic() < deadline, f"run {run_id} still {run['state']}, wanted {states}"
        time.sleep(0.05)


@dataclass
class Messages:
    """Every WebSocket message of one run, with the views tests need."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def events(self, kind: str | None = None, pid: int | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.items
            if m["type"] == "event"
            and (kind is None or m["kind"] == kind)
            and (pid is None or m["pid"] == pid)
        ]

    def result(self) -> dict[str, Any]:
        results = self.events("result")
        assert len(results) == 1, f"expected one result event, got {len(results)}"
        return dict(results[0]["data"])

    def lines(self, pid: int | None = None) -> list[str]:
        return [m["data"]["line"] for m in self.events("stdout", pid)]

    def states(self) -> list[str]:
        return [m["state"] for m in self.items if m["type"] == "run"]

    def frames(self) -> Iterator[dict[int, dict[str, Any]]]:
        """The process table after each snapshot or delta, as a viewer rebuilds it."""
        table = ProcessTable()
        for m in self.items:
            if table.apply(m):
                yield dict(table.processes)

    def records(self, pid: int) -> list[dict[str, Any]]:
        """Every sampled record of one process, in order."""
        out = []
        for m in self.items:
            for p in m.get("processes", []) + m.get("changed", []):
                if p["pid"] == pid:
                    out.append(p)
        return out

    def labels(self) -> dict[int, str]:
        """Each process's multiprocessing name, from spawn events and sampled records."""
        out = {e["pid"]: e["data"].get("label", "") for e in self.events("spawn")}
        for m in self.items:
            for p in m.get("processes", []) + m.get("changed", []):
                if p["label"]:
                    out[p["pid"]] = p["label"]
        return out

    def root_pid(self) -> int:
        spawns = [e for e in self.events("spawn") if e["data"].get("role") == "root"]
        assert spawns, "no spawn event for the run's root"
        return int(spawns[0]["pid"])


def expand(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``history`` message as the events it carries, each marked history; a ``batch`` as the
    messages it carries, in order; others as they are."""
    if message["type"] == "history":
        return [{**e, "history": True} for e in message["events"]]
    if message["type"] == "batch":
        return [m for inner in message["messages"] for m in expand(inner)]
    return [message]


def collect(
    server: Server,
    run_id: str,
    timeout: float = 90,
    until: Callable[[Messages], bool] | None = None,
) -> Messages:
    """Watch a run over its WebSocket until it ends (or ``until`` holds)."""
    got = Messages()
    deadline = time.monotonic() + timeout
    with connect(f"{server.ws_base}/ws/runs/{run_id}", open_timeout=10) as ws:
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"run {run_id} did not end within {timeout} s: {got.states()}"
            message = json.loads(ws.recv(timeout=remaining))
            got.items += expand(message)
            if until is not None and until(got):
                return got
            if message["type"] == "run" and message["state"] in ENDED:
                return got


def run_lesson(
    server: Server, lesson: str, params: dict[str, Any] | None = None, timeout: float = 90
) -> Messages:
    run = start_run(server, lesson, params)
    got = collect(server, run["id"], timeout)
    assert got.states()[-1] == "finished", got.states()
    return got


def presenter_token(server: Server, log: Path) -> str:
    """The token a loopback server generated and printed in its presenter URL."""
    found = re.search(r"\?token=(\S+)", log.read_text())
    assert found, "the server printed no presenter URL"
    return found.group(1)


def log_of(server: Server) -> Path:
    port = server.base.rsplit(":", 1)[1]
    return next(Path(server.data_dir).parent.glob(f"server-{port}.log"))


def start_program(
    server: Server, files: dict[str, str], token: str | None, **params: object
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"program": {"files": files, "entry": next(iter(files))}, "params": params}
    return api(server, "POST", "/api/runs", json=body, headers=headers)
