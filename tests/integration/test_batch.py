"""The batched protocol (``?batch=1``) on a real server: the same run as the unbatched one.

Two real WebSocket clients watch the same run, one batched and one not; each stream is
applied to the tests' model (the process table and the events so far). At every frame
both received, the tables are the same, and so are the events before it (where neither
skipped frames); in the end both hold the recording's events, in order.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.client import ENDED, Server, api, expand, start_run, wait_state

pytestmark = pytest.mark.integration

PARAMS = {
    "producers": 4,
    "consumers": 4,
    "items": 40,
    "produce_seconds": 0.05,
    "consume_seconds": 0.05,
    "maxsize": 8,
    "speed": 1,
}


def event_key(e: dict[str, Any]) -> str:
    return json.dumps([e["t"], e["pid"], e["kind"], e["data"]], sort_keys=True)


@dataclass
class Frame:
    type: str  # snapshot | delta
    table: str
    events: int  # events received before it


@dataclass
class Stream:
    """What one viewer was sent, as sent (batches whole), and its model at each frame."""

    raw: list[dict[str, Any]] = field(default_factory=list)
    frames: dict[int, Frame] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    table: dict[int, Any] = field(default_factory=dict)

    def apply(self) -> Stream:
        for message in self.raw:
            for m in expand(message):
                if m["type"] == "event":
                    self.events.append(event_key(m))
                elif m["type"] == "snapshot":
                    self.table = {p["pid"]: p for p in m["processes"]}
                elif m["type"] == "delta":
                    self.table.update({p["pid"]: p for p in m["changed"]})
                    for pid in m["removed"]:
                        self.table.pop(pid, None)
                if m["type"] in ("snapshot", "delta"):
                    text = json.dumps(sorted(self.table.items()), sort_keys=True)
                    self.frames[m["seq"]] = Frame(m["type"], text, len(self.events))
        return self


def watch(server: Server, run_id: str, query: str = "", timeout: float = 90) -> Stream:
    stream = Stream()
    deadline = time.monotonic() + timeout
    with connect(f"{server.ws_base}/ws/runs/{run_id}{query}", max_size=None) as ws:
        while True:
            message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
            stream.raw.append(message)
            ended = [m for m in expand(message) if m["type"] == "run" and m["state"] in ENDED]
            if ended:
                return stream.apply()


def watch_in_thread(
    server: Server, run_id: str, query: str, into: list[Stream]
) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.append(watch(server, run_id, query)))
    thread.start()
    return thread


def recorded_events(server: Server, run_id: str) -> list[str]:
    lines = api(server, "GET", f"/api/runs/{run_id}/recording").text.splitlines()
    messages = [json.loads(line) for line in lines]
    assert all(m["type"] != "batch" for m in messages)  # recordings stay unbatched
    return [event_key(m) for m in messages if m["type"] == "event"]


def live_part(stream: Stream) -> list[dict[str, Any]]:
    """The messages after the catching up (run, snapshot, history pieces, notices)."""
    i = 0
    while i < len(stream.raw) and stream.raw[i]["type"] in ("run", "snapshot", "history", "notice"):
        i += 1
    return stream.raw[i:]


def assert_batched_shape(stream: Stream) -> None:
    """Live, only batches; its deltas follow each other with no frame skipped."""
    assert stream.raw[1]["type"] == "snapshot"
    live = live_part(stream)
    assert live and all(m["type"] == "batch" for m in live), {m["type"] for m in live}
    seqs = [m["seq"] for b in live for m in b["messages"] if m["type"] in ("snapshot", "delta")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def assert_same_model_at_every_frame(batched: Stream, plain: Stream) -> int:
    common = sorted(set(batched.frames) & set(plain.frames))
    start = max(min(batched.frames), min(plain.frames))
    # Every frame the unbatched viewer got (once both watch) the batched one got too.
    assert [s for s in plain.frames if s >= start] == [s for s in common if s >= start]
    compared = 0
    for seq in common:
        b, p = batched.frames[seq], plain.frames[seq]
        assert b.table == p.table, f"frame {seq}: the tables differ"
        if b.type == p.type == "delta" and seq > start:
            assert b.events == p.events, f"frame {seq}: {b.events} events vs {p.events}"
            compared += 1
    return compared


@pytest.mark.parametrize("deflate", [False, True], ids=["frames-shared", "deflate"])
def test_batched_and_unbatched_viewers_hold_the_same_model_at_every_frame(
    server: Server, make_server: Any, deflate: bool
) -> None:
    # Without compression batches go out as one shared frame; with it, the usual way.
    if deflate:
        server = make_server(PROCVIZ_WS_DEFLATE="1")
    run = start_run(server, "producer-consumer", PARAMS)
    streams: dict[str, list[Stream]] = {"batched": [], "plain": []}
    threads = [
        watch_in_thread(server, run["id"], "?batch=1", streams["batched"]),
        watch_in_thread(server, run["id"], "", streams["plain"]),
    ]
    for t in threads:
        t.join(timeout=120)
    wait_state(server, run["id"], ENDED)
    (batched,), (plain,) = streams["batched"], streams["plain"]
    assert all(m["type"] != "batch" for m in plain.raw)  # unbatched unless asked
    assert_batched_shape(batched)
    assert assert_same_model_at_every_frame(batched, plain) >= 10
    truth = recorded_events(server, run["id"])
    assert batched.events == plain.events == truth
    assert batched.table == plain.table


def test_a_batched_late_joiner_gets_history_then_batches_that_apply_on_top(server: Server) -> None:
    run = start_run(server, "producer-consumer", {**PARAMS, "items": 60})
    # Already watching, batched too: batches are open as the late one goes live.
    early: list[Stream] = []
    early_batched: list[Stream] = []
    threads = [
        watch_in_thread(server, run["id"], "", early),
        watch_in_thread(server, run["id"], "?batch=1", early_batched),
    ]
    deadline = time.monotonic() + 30
    while len(api(server, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()) < 200:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.05)
    late = watch(server, run["id"], "?batch=1")
    for t in threads:
        t.join(timeout=120)
    wait_state(server, run["id"], ENDED)
    (plain,), (batched,) = early, early_batched
    assert [m["type"] for m in late.raw[:3]] == ["run", "snapshot", "history"]
    assert_batched_shape(late)
    assert assert_same_model_at_every_frame(late, plain) >= 5
    assert assert_same_model_at_every_frame(batched, plain) >= 5
    assert late.events == batched.events == plain.events == recorded_events(server, run["id"])


def test_a_batch_value_other_than_0_or_1_is_refused_with_a_reason(server: Server) -> None:
    run = start_run(server, "sync-async", {"speed": 20})
    try:
        url = f"{server.ws_base}/ws/runs/{run['id']}?batch=yes"
        with connect(url) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
        assert "batch must be 0 or 1" in closed.value.rcvd.reason
    finally:
        wait_state(server, run["id"], ENDED)
