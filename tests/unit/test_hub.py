from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

import app.hub as hub_module
from app.hub import History, Hub, Pacer, RecordedHistory, Viewer
from app.recording import Recorder
from app.records import Event, ProcessRecord
from tests.loops import run_alone


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


def events_of(texts: list[str]) -> list[dict[str, Any]]:
    """The events in what a viewer was sent, history pieces opened, in order."""
    out: list[dict[str, Any]] = []
    for m in decode(texts):
        if m["type"] == "history":
            out += [{**e, "history": True} for e in m["events"]]
        elif m["type"] == "event":
            out.append(m)
    return out


def catch_up(hub: Hub, viewer: Viewer) -> list[str]:
    sent: list[str] = []
    while not viewer.live:
        sent += hub.next_history(viewer)
    return sent


def line(i: int) -> Event:
    return Event(1, "stdout", {"line": f"line {i:05d}"}, t=1000.0 + i)


def test_history_seals_chunks_of_bounded_size_shared_by_every_viewer() -> None:
    hub = Hub("r1", chunk_bytes=2000)
    for i in range(100):
        hub.event(line(i))
    history = hub.history
    assert isinstance(history, History)
    assert len(history.chunks) >= 5
    for chunk in history.chunks:
        assert len(chunk.text) < 2000 + 300  # sealed once past the bound: one event over
        m = json.loads(chunk.text)
        assert m["type"] == "history" and m["run"] == "r1" and len(m["events"]) == chunk.count
    a, _ = hub.attach()
    b, _ = hub.attach()
    first_a, first_b = hub.next_history(a), hub.next_history(b)
    assert first_a[0] is first_b[0]  # one encoding, sent to both


def test_hub_attach_costs_no_work_per_past_event(monkeypatch: pytest.MonkeyPatch) -> None:
    hub = Hub("r1")
    hub.run_state(state="running")
    hub.frame([record(1)], [])
    for i in range(5000):
        hub.event(line(i))
    calls: list[object] = []
    real = hub_module.encode
    monkeypatch.setattr(hub_module, "encode", lambda m: calls.append(m) or real(m))
    for _ in range(50):
        _, first = hub.attach()
        assert [m["type"] for m in decode(first)] == ["run", "snapshot"]
    assert len(calls) <= 1  # the snapshot, once; the run state and history were encoded before


def test_hub_late_joiner_gets_history_then_live_each_event_once_in_order() -> None:
    hub = Hub("r1", chunk_bytes=1500)
    hub.run_state(state="running")
    hub.frame([record(1)], [])
    for i in range(200):
        hub.event(line(i))
    viewer, first = hub.attach()
    assert decode(first)[1]["seq"] == 1
    sent = hub.next_history(viewer) + hub.next_history(viewer)
    for i in range(200, 260):  # arrive while it is still catching up: after the rest, once
        hub.event(line(i))
    sent += catch_up(hub, viewer)
    assert viewer in hub.viewers
    for i in range(260, 270):
        hub.event(line(i))
    sent += hub.next_messages(viewer)
    got = events_of(sent)
    assert [e["data"]["line"] for e in got] == [f"line {i:05d}" for i in range(270)]
    assert all(e.get("history") for e in got[:260])
    assert not any(e.get("history") for e in got[260:])


def test_hub_late_joiner_gets_a_frame_that_follows_its_snapshot_once_caught_up() -> None:
    hub = Hub("r1", chunk_bytes=1000)
    hub.frame([record(1), record(2)], [])
    for i in range(50):
        hub.event(line(i))
    viewer, first = hub.attach()
    hub.next_history(viewer)
    hub.frame([record(2, "zombie")], [])  # passed while it caught up: not queued for it
    assert not viewer.pending
    catch_up(hub, viewer)
    assert viewer.wake.is_set()  # it owes a frame: the live loop runs at once
    (delta,) = decode(hub.next_messages(viewer))
    assert delta["type"] == "delta" and delta["seq"] == decode(first)[-1]["seq"] + 1
    hub.frame([], [1])
    hub.frame([], [2])
    out = decode(hub.next_messages(viewer))
    assert [(m["type"], m["seq"]) for m in out] == [("snapshot", 4)]
    assert out[0]["processes"] == []


def test_hub_history_beyond_the_cap_is_dropped_in_chunks_with_a_notice() -> None:
    hub = Hub("r1", max_history=100, chunk_bytes=1000)
    for i in range(1000):
        hub.event(line(i))
    assert 0 < hub.history_dropped <= 900
    viewer, _ = hub.attach()
    sent = catch_up(hub, viewer)
    assert decode(sent)[0] == {
        **decode(sent)[0],
        "type": "notice",
        "message": f"{hub.history_dropped} early events omitted",
    }
    got = [e["data"]["line"] for e in events_of(sent)]
    assert got == [f"line {i:05d}" for i in range(hub.history_dropped, 1000)]


def recorded_hub(tmp_path: Path, events: int) -> tuple[Hub, Path]:
    recorder = Recorder(tmp_path / "r1.jsonl")
    hub = Hub("r1", record=recorder, chunk_bytes=2000)
    hub.run_state(state="running")
    for i in range(events):
        hub.frame([record(1, "running" if i % 2 else "sleeping")], [])
        hub.event(line(i))
    hub.run_state(state="finished")
    recorder.close()
    return hub, recorder.path


def test_hub_release_drops_history_and_later_viewers_read_the_recording(
    tmp_path: Path,
) -> None:
    hub, path = recorded_hub(tmp_path, 500)
    early, _ = hub.attach()
    early_sent = hub.next_history(early)
    hub.release(path)
    assert isinstance(hub.history, RecordedHistory)
    viewer, first = hub.attach()
    assert [m["type"] for m in decode(first)] == ["run", "snapshot"]
    assert decode(first)[0]["state"] == "finished" and decode(first)[1]["seq"] == 500
    pieces = catch_up(hub, viewer)
    assert len(pieces) > 5 and all(len(p) < 2000 + 300 for p in pieces)  # bounded pieces
    expected = [f"line {i:05d}" for i in range(500)]
    assert [e["data"]["line"] for e in events_of(pieces)] == expected
    assert all(e["history"] for e in events_of(pieces))
    # One catching up from memory when the run was released goes on from memory.
    early_sent += catch_up(hub, early)
    assert [e["data"]["line"] for e in events_of(early_sent)] == expected


def test_hub_release_shares_pieces_read_from_disk_while_viewers_read_them(tmp_path: Path) -> None:
    hub, path = recorded_hub(tmp_path, 200)
    hub.release(path)
    a, _ = hub.attach()
    b, _ = hub.attach()
    assert hub.next_history(a)[0] is hub.next_history(b)[0]
    history = hub.history
    assert isinstance(history, RecordedHistory) and history._cache
    catch_up(hub, a)
    hub.leave(b)  # gone before the end
    assert not history._cache  # nobody reads: nothing of the run stays in memory


def test_hub_released_history_gone_from_disk_ends_with_a_notice(tmp_path: Path) -> None:
    hub, path = recorded_hub(tmp_path, 10)
    hub.release(path)
    path.unlink()
    viewer, _ = hub.attach()
    (notice,) = decode(catch_up(hub, viewer))
    assert notice["type"] == "notice" and "not on disk" in notice["message"]
    assert viewer.live


def test_pacer_lets_a_few_pieces_out_per_batch_then_rests_as_long() -> None:
    async def main() -> dict[int, list[tuple[float, float]]]:
        pacer = Pacer(per_pass=3)
        passes = 0
        batches: dict[int, list[tuple[float, float]]] = {}  # pass -> (granted, written)

        def tick() -> None:
            nonlocal passes
            passes += 1
            loop.call_soon(tick)

        async def one() -> None:
            await pacer.turn()
            granted = time.monotonic()
            time.sleep(0.004)  # writing a piece
            batches.setdefault(passes, []).append((granted, time.monotonic()))

        loop = asyncio.get_running_loop()
        loop.call_soon(tick)
        tasks = [asyncio.create_task(one()) for _ in range(5)]
        stuck = asyncio.create_task(one())
        await asyncio.sleep(0)
        assert stuck in {t for t in asyncio.all_tasks() if not t.done()}
        stuck.cancel()  # a viewer gone while it waited takes no one's turn
        await asyncio.gather(*tasks, *(one() for _ in range(25)))
        assert not pacer.waiting
        return batches

    batches = [sorted(b) for _, b in sorted(run_alone(main()).items())]
    assert sum(len(b) for b in batches) == 30
    assert max(len(b) for b in batches) <= 3
    for done, following in itertools.pairwise(batches):
        took = done[-1][1] - done[0][0]
        assert following[0][0] - done[-1][1] >= 0.9 * took  # the loop was left to others
