"""Fan-out of one run to every viewer: the newest state wins, events are never lost silently.

All methods run on the event loop. A viewer owns a queue of pending event
messages and the sequence number of the last frame it was sent; frames are not
queued: when its turn comes a viewer gets the delta that follows what it has,
or, if it skipped frames, one snapshot of now. A viewer whose pending events
grow past a bound is closed with a reason (it reconnects and gets the history),
never left to grow a queue or to slow the others.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from app.records import Event, ProcessRecord, event_wire, process_wire, to_wire

Message = dict[str, Any]
# In a viewer's queue: "the frames owed so far go here", so an event that follows
# a frame (a reap after the zombie's record) never overtakes it.
FRAME = None


def encode(message: Message) -> str:
    """A message as sent: serialised once, whatever the number of viewers."""
    return json.dumps(message, ensure_ascii=False, default=repr)


class Viewer:
    def __init__(self, max_pending: int) -> None:
        self.pending: deque[str | None] = deque()
        self.wake = asyncio.Event()
        self.sent_seq = -1
        self.max_pending = max_pending
        self.overflowed = False
        self.skipped_frames = 0

    def push(self, message: str, frame_owed: bool) -> None:
        if frame_owed and (not self.pending or self.pending[-1] is not FRAME):
            self.pending.append(FRAME)
        if len(self.pending) >= self.max_pending:
            self.overflowed = True
        else:
            self.pending.append(message)
        self.wake.set()


class Hub:
    def __init__(
        self,
        run_id: str,
        record: Callable[[str], None] | None = None,
        max_pending: int = 10000,
        max_history: int = 50000,
    ) -> None:
        self.run_id = run_id
        self.processes: dict[int, Message] = {}
        self.seq = 0
        self.last_delta: str | None = None
        self.history: deque[Message] = deque(maxlen=max_history)
        self.history_dropped = 0
        self.run_message: Message | None = None
        self.viewers: set[Viewer] = set()
        self.max_pending = max_pending
        self._record = record or (lambda m: None)

    # -- inputs ---------------------------------------------------------------------

    def frame(self, changed: list[ProcessRecord], removed: list[int]) -> None:
        for p in changed:
            self.processes[p.pid] = process_wire(p)
        for pid in removed:
            self.processes.pop(pid, None)
        self.seq += 1
        self.last_delta = encode(
            to_wire(
                self.run_id,
                "delta",
                seq=self.seq,
                changed=[process_wire(p) for p in changed],
                removed=removed,
            )
        )
        self._record(self.last_delta)
        for v in self.viewers:
            v.wake.set()

    def event(self, event: Event) -> None:
        self._broadcast(event_wire(self.run_id, event))

    def run_state(self, **fields: Any) -> None:
        self.run_message = to_wire(self.run_id, "run", **fields)
        self._broadcast(self.run_message)

    def _broadcast(self, message: Message) -> None:
        if len(self.history) == self.history.maxlen:
            self.history_dropped += 1
        self.history.append(message)
        text = encode(message)
        self._record(text)
        for v in self.viewers:
            v.push(text, frame_owed=v.sent_seq != self.seq)

    # -- viewers --------------------------------------------------------------------

    def snapshot(self) -> str:
        return encode(
            to_wire(self.run_id, "snapshot", seq=self.seq, processes=list(self.processes.values()))
        )

    def join(self) -> tuple[Viewer, list[str]]:
        """A new viewer, and what it is sent first: run state, snapshot, then the history."""
        viewer = Viewer(self.max_pending)
        viewer.sent_seq = self.seq
        first: list[str] = []
        if self.run_message is not None:
            first.append(encode(self.run_message))
        first.append(self.snapshot())
        if self.history_dropped:
            notice = f"{self.history_dropped} early events omitted"
            first.append(encode(to_wire(self.run_id, "notice", message=notice)))
        first += [encode({**m, "history": True}) for m in self.history if m["type"] == "event"]
        self.viewers.add(viewer)
        return viewer, first

    def leave(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)

    def next_messages(self, viewer: Viewer) -> list[str]:
        """What to send this viewer now: its pending events, each owed frame in its place."""
        out: list[str] = []
        for message in viewer.pending:
            if message is FRAME:
                out += self._frame_for(viewer)
            else:
                out.append(message)
        viewer.pending.clear()
        return out + self._frame_for(viewer)

    def _frame_for(self, viewer: Viewer) -> list[str]:
        """The delta that follows what the viewer has, or one snapshot if it skipped any."""
        if viewer.sent_seq == self.seq:
            return []
        if viewer.sent_seq == self.seq - 1 and self.last_delta is not None:
            frame = self.last_delta
        else:
            viewer.skipped_frames += self.seq - viewer.sent_seq - 1
            frame = self.snapshot()
        viewer.sent_seq = self.seq
        return [frame]
