"""Batched viewers: one shared ``batch`` per delivery, the same messages in the same order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from app.hub import Batch, Hub, Viewer, text_frame
from app.records import Event, ProcessRecord
from app.table import ProcessTable
from tests.loops import run_alone


def record(pid: int, status: str = "sleeping") -> ProcessRecord:
    return ProcessRecord(pid, 1, "python", f"P-{pid}", status, 0.0, 1, 1, 100.0 + pid, "child")


def line(i: int) -> Event:
    return Event(1, "stdout", {"line": f"行 {i:05d}"}, t=1000.0 + i)


def live(hub: Hub, batched: bool) -> Viewer:
    viewer, _ = hub.attach(batched=batched)
    while not viewer.live:
        hub.next_history(viewer)
    hub.next_messages(viewer)  # what it owed on going live
    return viewer


def unpack(texts: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for text in texts:
        message = json.loads(text)
        out += message["messages"] if message["type"] == "batch" else [message]
    return out


def test_batch_wraps_encoded_messages_without_changing_them() -> None:
    texts = [
        json.dumps({"type": "event", "n": i, "line": "行"}, ensure_ascii=False) for i in range(3)
    ]
    one = Batch.of("r1", texts[:2])
    two = Batch.of("r1", texts[2:])
    message = json.loads(one.text)
    assert (message["type"], message["run"], one.count) == ("batch", "r1", 2)
    assert message["messages"] == [json.loads(t) for t in texts[:2]]
    merged = Batch.merge("r1", [one, Batch.of("r1", []), two])
    assert json.loads(merged.text)["messages"] == [json.loads(t) for t in texts]
    assert merged.count == 3
    assert Batch.merge("r1", [one]) is one


def test_hub_batched_viewers_share_one_text_per_delivery_in_publish_order() -> None:
    recorded: list[str] = []
    hub = Hub("r1", record=recorded.append)
    a, b = live(hub, batched=True), live(hub, batched=True)
    plain = live(hub, batched=False)
    hub.frame([record(1)], [])
    hub.event(line(0))
    hub.run_state(state="running")
    hub.frame([record(1, "running")], [])
    hub.event(line(1))
    (sent_a,) = hub.next_messages(a)
    (sent_b,) = hub.next_messages(b)
    assert sent_a is sent_b  # serialised once for every viewer that keeps up
    assert unpack([sent_a]) == [json.loads(t) for t in recorded]  # the recording, unbatched
    # Two frames passed before its turn: the unbatched viewer skipped one (a snapshot of
    # now), the batched ones got both deltas in their places.
    assert [m["type"] for m in unpack(hub.next_messages(plain))] == [
        "snapshot",
        "event",
        "run",
        "event",
    ]
    assert hub.next_messages(a) == []


def test_hub_batched_and_unbatched_viewers_hold_the_same_table_at_every_frame() -> None:
    hub = Hub("r1")
    batched, plain = live(hub, batched=True), live(hub, batched=False)
    tables = {"batched": ProcessTable(), "plain": ProcessTable()}
    for step in range(60):
        pid = 1 + step % 7
        hub.frame(
            [record(pid, "running" if step % 2 else "sleeping")], [pid - 1] if step % 5 == 0 else []
        )
        hub.event(line(step))
        if step % 3 == 0:  # a delivery: every viewer takes what it is owed
            for name, viewer in (("batched", batched), ("plain", plain)):
                for message in unpack(hub.next_messages(viewer)):
                    tables[name].apply(message)
            assert tables["batched"].processes == tables["plain"].processes == hub.processes


def test_hub_batched_late_joiner_gets_history_then_a_frame_then_batches_on_top() -> None:
    hub = Hub("r1", chunk_bytes=1500)
    hub.run_state(state="running")
    hub.frame([record(1), record(2)], [])
    early = live(hub, batched=True)
    for i in range(100):
        hub.event(line(i))
    hub.frame([record(2, "zombie")], [])  # still open: not yet sealed for ``early``
    viewer, first = hub.attach(batched=True)
    sent = list(first)
    hub.frame([], [1])  # passes while it catches up
    hub.event(line(100))
    while not viewer.live:
        sent += hub.next_history(viewer)
    hub.event(line(101))
    hub.frame([record(3)], [])
    sent += hub.next_messages(viewer)
    messages = unpack(sent)
    assert [m["type"] for m in messages[:2]] == ["run", "snapshot"]
    table = ProcessTable()
    lines, seqs = [], []
    for m in messages:
        if m["type"] == "history":
            lines += [e["data"]["line"] for e in m["events"]]
        if m["type"] == "event":
            lines.append(m["data"]["line"])
        if table.apply(m):
            seqs.append(m["seq"])
    assert lines == [f"行 {i:05d}" for i in range(102)]  # each event once, in order
    assert seqs == [2, 3, 4]  # its snapshot, the frame of now when live, then deltas on top
    assert table.processes == hub.processes
    early_table = ProcessTable()
    for m in unpack(hub.next_messages(early)):
        early_table.apply(m)
    assert early_table.processes == hub.processes  # the batches' deltas alone: 1 gone, 2, 3
    assert unpack(hub.next_messages(early)) == []


def test_hub_batched_viewer_that_falls_behind_gets_one_merged_message_then_is_closed() -> None:
    hub = Hub("r1", max_pending=50)
    slow, fast = live(hub, batched=True), live(hub, batched=True)
    for i in range(10):
        hub.event(line(i))
        hub.next_messages(fast)  # one seal per delivery
    (merged,) = hub.next_messages(slow)
    assert [m["data"]["line"] for m in unpack([merged])] == [f"行 {i:05d}" for i in range(10)]
    for i in range(51):
        hub.event(line(i))
        hub.next_messages(fast)
    assert slow.overflowed and not fast.overflowed  # closed with a reason, never grown further
    assert slow.batched_count <= 50


def test_hub_one_big_delivery_to_a_batched_viewer_that_keeps_up_is_not_falling_behind() -> None:
    hub = Hub("r1", max_pending=10)
    viewer = live(hub, batched=True)
    for i in range(25):  # one bulk read of a flooding run
        hub.event(line(i))
    assert len(unpack(hub.next_messages(viewer))) == 25
    assert not viewer.overflowed


def read_frame(data: bytes) -> str:
    """The text of one whole WebSocket frame, read as a client reads it."""
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    frame = done.value.value
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert reader.at_eof() or not reader.buffer  # nothing after it
    return bytes(frame.data).decode()


def test_text_frame_is_the_rfc_6455_frame_a_client_reads() -> None:
    for size in (0, 125, 126, 65535, 65536, 200_000):
        text = "行" * (size // 3) + "x" * (size % 3)
        assert read_frame(text_frame(text)) == text


def test_hub_a_run_message_while_a_viewer_catches_up_reaches_it_once_live() -> None:
    for batched in (True, False):
        hub = Hub("r1", chunk_bytes=1000)
        hub.run_state(state="running")
        for i in range(30):
            hub.event(line(i))
        viewer, first = hub.attach(batched=batched)
        sent = list(first) + hub.next_history(viewer)
        hub.run_state(state="finished")  # in no history piece
        while not viewer.live:
            sent += hub.next_history(viewer)
        sent += hub.next_messages(viewer)
        states = [m["state"] for m in unpack(sent) if m["type"] == "run"]
        assert states == ["running", "finished"], (batched, states)


def test_hub_writes_each_batch_once_per_loop_pass_straight_to_viewers_that_keep_up() -> None:
    async def main() -> dict[str, Any]:
        hub = Hub("r1")
        taken: list[bytes] = []
        fast, refusing, busy = (live(hub, batched=True) for _ in range(3))
        fast.direct = lambda frame: taken.append(frame) is None
        refusing.direct = lambda frame: False  # buffer full: it goes the slow way
        busy.direct = fast.direct
        busy.busy = True  # its task is sending an earlier batch: a new one must not overtake
        for v in (fast, refusing, busy):
            v.wake.clear()
        for i in range(3):  # one loop pass of deliveries: one batch
            hub.event(line(i))
        woken_before = fast.wake.is_set() or refusing.wake.is_set()
        await asyncio.sleep(0)  # the pass ends; the sealed batch goes out
        first = list(taken)
        hub.event(line(3))
        await asyncio.sleep(0)
        return {
            "woken_before": woken_before,
            "first": first,
            "taken": taken,
            "fast_woken": fast.wake.is_set(),
            "refusing": [unpack(hub.next_messages(refusing)), refusing.wake.is_set()],
            "busy": unpack(hub.next_messages(busy)),
        }

    got = run_alone(main())
    assert not got["woken_before"]  # nobody is woken per message
    decode = [json.loads(read_frame(f)) for f in got["taken"]]  # one per loop pass
    assert [[m["data"]["line"] for m in b["messages"]] for b in decode] == [
        ["行 00000", "行 00001", "行 00002"],
        ["行 00003"],
    ]
    assert len(got["first"]) == 1 and not got["fast_woken"]  # written without waking its task
    refused, woken = got["refusing"]
    assert woken and [m["data"]["line"] for m in refused] == [f"行 {i:05d}" for i in range(4)]
    assert [m["data"]["line"] for m in got["busy"]] == [f"行 {i:05d}" for i in range(4)]


def test_hub_seals_batches_further_apart_for_a_big_hall() -> None:
    async def main() -> list[int]:
        hub = Hub("r1")
        writes: list[int] = []  # batches written, counted at each look
        viewers = [live(hub, batched=True) for _ in range(800)]  # 800 / 20,000 a s: 40 ms
        for v in viewers:
            v.direct = lambda frame: True
        first = viewers[0]
        first.direct = lambda frame: writes.append(len(writes)) is None
        hub.event(line(0))
        await asyncio.sleep(0)
        seen = [len(writes)]  # the first batch goes at once
        hub.event(line(1))
        for _ in range(3):
            await asyncio.sleep(0)
        seen.append(len(writes))  # the next waits for the gap, however many passes go by
        await asyncio.sleep(0.06)
        seen.append(len(writes))
        return seen

    assert run_alone(main()) == [1, 1, 2]
