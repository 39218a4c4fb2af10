from __future__ import annotations

import json
from typing import Any

from app.hub import Hub
from app.records import Event, ProcessRecord


def decode(texts: list[str]) -> list[dict[str, Any]]:
    return [json.loads(t) for t in texts]


def record(pid: int, status: str = "sleeping") -> ProcessRecord:
    return ProcessRecord(pid, 1, "python", f"P-{pid}", status, 0.0, 1, 1, 100.0 + pid, "child")


def test_hub_new_viewer_gets_state_snapshot_then_history() -> None:
    hub = Hub("r1")
    hub.run_state(state="running")
    hub.frame([record(1), record(2)], [])
    hub.event(Event(1, "stdout", {"line": "hello"}))
    _, texts = hub.join()
    first = decode(texts)
    assert [m["type"] for m in first] == ["run", "snapshot", "event"]
    assert {p["pid"] for p in first[1]["processes"]} == {1, 2}
    assert first[2]["history"] is True and first[2]["data"] == {"line": "hello"}


def test_hub_sends_deltas_in_order_to_a_viewer_that_keeps_up() -> None:
    hub = Hub("r1")
    viewer, _ = hub.join()
    hub.frame([record(1)], [])
    assert [(m["type"], m["seq"]) for m in decode(hub.next_messages(viewer))] == [("delta", 1)]
    hub.frame([record(1, "zombie")], [])
    hub.frame([], [1])
    hub.event(Event(1, "reap", {}))
    # Two frames behind: one snapshot of now, placed before the event that followed them.
    out = decode(hub.next_messages(viewer))
    assert [m["type"] for m in out] == ["snapshot", "event"]
    assert out[0]["processes"] == [] and out[0]["seq"] == 3


def test_hub_latest_wins_for_a_viewer_that_never_reads() -> None:
    hub = Hub("r1", max_pending=100)
    stuck, _ = hub.join()
    live, _ = hub.join()
    for i in range(1000):
        hub.frame([record(1, "running" if i % 2 else "sleeping")], [])
        assert len(hub.next_messages(live)) == 1  # the reading viewer is never held back
    assert len(stuck.pending) == 0  # frames are not queued for anyone
    out = decode(hub.next_messages(stuck))
    assert len(out) == 1 and out[0]["type"] == "snapshot" and out[0]["seq"] == 1000
    assert stuck.skipped_frames == 999


def test_hub_marks_a_viewer_that_falls_too_far_behind_on_events() -> None:
    hub = Hub("r1", max_pending=10)
    stuck, _ = hub.join()
    for i in range(11):
        hub.event(Event(1, "stdout", {"line": str(i)}))
    assert stuck.overflowed  # it is closed with a reason, never silently dropped from
    assert len(stuck.pending) == 10


def test_hub_records_every_broadcast_message() -> None:
    recorded: list[str] = []
    hub = Hub("r1", record=recorded.append)
    hub.run_state(state="running")
    hub.frame([record(1)], [])
    hub.event(Event(1, "result", {"x": 1}))
    assert [m["type"] for m in decode(recorded)] == ["run", "delta", "event"]
