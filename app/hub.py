"""Fan-out of one run to every viewer: the newest state wins, events are never lost silently.

All methods run on the event loop. A live viewer owns a queue of pending event
messages and the sequence number of the last frame it was sent; frames are not
queued: when its turn comes a viewer gets the delta that follows what it has,
or, if it skipped frames, one snapshot of now. A viewer whose pending events
grow past a bound is closed with a reason (it reconnects and gets the history),
never left to grow a queue or to slow the others.

Joining costs the same whatever the run's length: a new viewer is sent the run
state and a snapshot, then catches up on the history piece by piece through a
cursor into pieces encoded once and shared by every viewer (``history``
messages, each carrying up to ``CHUNK_BYTES`` of event messages, oldest first).
It goes live in the same step as it takes the last piece, so every event
reaches it exactly once, in order. After the run, ``release`` drops the pieces
and later viewers read the history from the recording.

A batched viewer (``?batch=1``) is sent, once live, ``batch`` messages only: every
message published since the last one, frames included, in order, serialised once and
shared by every batched viewer that keeps up (``seal``). Its cost follows the watcher's
hand-offs (frames, and channel events taken together), not the number of events. One that
falls behind gets what it missed merged into one message; past ``max_pending`` messages
it is closed like any other. Batches are sealed at least N / ``WRITES_PER_SECOND`` apart
for N batched viewers (at most ``MAX_SEAL_GAP``): a big hall costs the server about that many
writes a second, and each of its viewers waits a little longer for a batch.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from app.records import Event, ProcessRecord, event_wire, process_wire, to_wire
from app.table import ProcessTable

Message = dict[str, Any]
# In a viewer's queue: "the frames owed so far go here", so an event that follows
# a frame (a reap after the zombie's record) never overtakes it.
FRAME = None
# Event messages per history piece, in bytes: big enough that a hall catching up on
# 50k events takes few sends, small enough that one send never holds the loop long.
CHUNK_BYTES = 32 * 1024
# History pieces sent per batch, over all viewers catching up; then the loop rests.
PIECES_PER_PASS = 4
MAX_REST = 0.1
EVENT_PREFIX = b'{"type": "event"'
# A batch is one socket write per batched viewer (about 6 µs here). Past this many writes a
# second, batches are sealed further apart, up to MAX_SEAL_GAP: a larger hall waits a little
# longer for each batch instead of costing the server more (bench/fanout.py).
WRITES_PER_SECOND = 20_000
MAX_SEAL_GAP = 0.05  # a sample period: frames come no faster


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def encode(message: Message) -> str:
    """A message as sent: serialised once, whatever the number of viewers."""
    return json.dumps(message, ensure_ascii=False, default=repr)


def history_message(run_id: str, events: list[str]) -> str:
    """One ``history`` message from event messages already encoded (as sent, as recorded)."""
    head = encode(to_wire(run_id, "history"))[:-1]
    return f'{head}, "events": [{", ".join(events)}]}}'


def text_frame(text: str) -> bytes:
    """A whole WebSocket text frame from the server (RFC 6455 §5.2: final, not masked)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 1 << 16:
        head = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return head + payload


@dataclass(frozen=True)
class Batch:
    """One ``batch`` message: messages already encoded, in order, wrapped without re-encoding."""

    text: str
    start: int  # where the first carried message begins in ``text``
    count: int

    @classmethod
    def of(cls, run_id: str, messages: list[str]) -> Batch:
        head = encode(to_wire(run_id, "batch"))[:-1] + ', "messages": ['
        return cls(f"{head}{', '.join(messages)}]}}", len(head), len(messages))

    @cached_property
    def frame(self) -> bytes:
        """As a WebSocket frame: built once, written as it is to every viewer that keeps up."""
        return text_frame(self.text)

    @property
    def carried(self) -> str:
        """The carried messages, comma-separated, as they stand in ``text``."""
        return self.text[self.start : -2]

    @classmethod
    def merge(cls, run_id: str, batches: list[Batch]) -> Batch:
        """Several batches as one (for a viewer that fell behind): the same messages, in order."""
        if len(batches) == 1:
            return batches[0]
        head = encode(to_wire(run_id, "batch"))[:-1] + ', "messages": ['
        body = ", ".join(b.carried for b in batches if b.count)
        return cls(f"{head}{body}]}}", len(head), sum(b.count for b in batches))


@dataclass(frozen=True)
class Chunk:
    first: int  # the run's index of its first event
    count: int
    text: str  # a whole history message


@dataclass(frozen=True)
class Piece:
    """What one step of catching up yields: messages to send, where to go on, whether done."""

    messages: list[str]
    cursor: int
    last: bool


class HistorySource(Protocol):
    start: int

    def read(self, cursor: int) -> Piece: ...

    def enter(self) -> None: ...

    def leave(self) -> None: ...


class History:
    """A run's events in memory: sealed chunks and an open tail, encoded lazily once."""

    def __init__(self, run_id: str, max_events: int, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.run_id = run_id
        self.max_events = max_events
        self.chunk_bytes = chunk_bytes
        self.chunks: list[Chunk] = []
        self.dropped = 0  # the oldest events, beyond max_events
        self.tail: list[str] = []
        self.tail_bytes = 0
        self._tail_text: tuple[int, str] | None = None
        self.start = 0

    @property
    def end(self) -> int:
        return self._tail_first + len(self.tail)

    @property
    def _tail_first(self) -> int:
        return self.chunks[-1].first + self.chunks[-1].count if self.chunks else self.dropped

    def add(self, text: str) -> None:
        self.tail.append(text)
        self.tail_bytes += len(text)
        if self.tail_bytes >= self.chunk_bytes:
            self.seal()

    def seal(self) -> None:
        if not self.tail:
            return
        self.chunks.append(
            Chunk(self._tail_first, len(self.tail), history_message(self.run_id, self.tail))
        )
        self.tail, self.tail_bytes, self._tail_text = [], 0, None
        while self.chunks and self.end - self.chunks[0].first > self.max_events:
            self.dropped = self.chunks[0].first + self.chunks.pop(0).count

    def enter(self) -> None:
        pass

    def leave(self) -> None:
        pass

    def read(self, cursor: int) -> Piece:
        """The piece at ``cursor`` (an event index); the tail is the last piece."""
        if cursor < self._first_kept:
            notice = f"{self._first_kept - cursor} early events omitted"
            text = encode(to_wire(self.run_id, "notice", message=notice))
            return Piece([text], self._first_kept, False)
        i = bisect.bisect_left(self.chunks, cursor, key=lambda c: c.first)
        if i < len(self.chunks):
            chunk = self.chunks[i]
            return Piece([chunk.text], chunk.first + chunk.count, False)
        return Piece([self._tail()] if self.tail else [], self.end, True)

    @property
    def _first_kept(self) -> int:
        return self.chunks[0].first if self.chunks else self._tail_first

    def _tail(self) -> str:
        # Viewers reaching the tail together share one encoding of it.
        if self._tail_text is None or self._tail_text[0] != len(self.tail):
            self._tail_text = (len(self.tail), history_message(self.run_id, self.tail))
        return self._tail_text[1]


class RecordedHistory:
    """A released run's events, read from its recording in bounded pieces (cursor: a byte offset)."""

    SCAN_BYTES = 1024 * 1024  # of recording read per piece at most (frames are skipped)
    CACHED = 32  # pieces: viewers catching up together read each one once

    def __init__(self, run_id: str, path: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.run_id = run_id
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.start = 0
        self.readers = 0
        self._cache: OrderedDict[int, Piece] = OrderedDict()

    def enter(self) -> None:
        self.readers += 1

    def leave(self) -> None:
        self.readers -= 1
        if not self.readers:
            self._cache.clear()  # an ended run keeps nothing of its history in memory

    def read(self, cursor: int) -> Piece:
        piece = self._cache.get(cursor)
        if piece is None:
            piece = self._read(cursor)
            self._cache[cursor] = piece
            if len(self._cache) > self.CACHED:
                self._cache.popitem(last=False)
        self._cache.move_to_end(cursor)
        return piece

    def _read(self, cursor: int) -> Piece:
        events: list[bytes] = []
        size = 0
        try:
            with self.path.open("rb") as f:
                f.seek(cursor)
                while size < self.chunk_bytes and f.tell() - cursor < self.SCAN_BYTES:
                    line = f.readline()
                    if not line.endswith(b"\n"):  # the end (or a line cut short by a crash)
                        return self._piece(events, f.tell(), True)
                    if line.startswith(EVENT_PREFIX):
                        events.append(line[:-1])
                        size += len(line)
                return self._piece(events, f.tell(), False)
        except OSError as exc:
            notice = f"the rest of the history is not on disk any more ({exc.strerror})"
            return Piece([encode(to_wire(self.run_id, "notice", message=notice))], cursor, True)

    def _piece(self, events: list[bytes], cursor: int, last: bool) -> Piece:
        texts = [e.decode("utf-8", "replace") for e in events]
        return Piece([history_message(self.run_id, texts)] if texts else [], cursor, last)


class Pacer:
    """History pieces go out in batches of ``per_pass``, each followed by a rest as long as it.

    A hall catching up so takes at most half the loop; the loop idles the rest of the
    time, which hands the GIL to the threads (the runs' watchers, /healthz) at once
    instead of after a switch interval: live events and frames go first.
    """

    def __init__(self, per_pass: int = PIECES_PER_PASS, rest: float = 1.0) -> None:
        self.per_pass = per_pass
        self.rest = rest  # the rest after a batch, as a multiple of the time it took
        self.used = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self._scheduled = False
        self._batch_at: float | None = None

    async def turn(self) -> None:
        loop = asyncio.get_running_loop()
        if self.used < self.per_pass and not self.waiting:
            if self.used == 0:
                self._batch_at = loop.time()
            self.used += 1
            self._schedule(loop)
            return
        future = loop.create_future()
        self.waiting.append(future)
        self._schedule(loop)
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._end_batch, loop)

    def _end_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        # One pass after the batch was let go: its pieces have been written.
        took = loop.time() - self._batch_at if self._batch_at is not None else 0.0
        self._batch_at = None
        self.used = self.per_pass  # nobody goes while the loop rests
        loop.call_later(min(MAX_REST, took * self.rest), self._next_batch, loop)

    def _next_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        self.used = 0
        while self.waiting and self.used < self.per_pass:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)
                self.used += 1
        if self.used:
            self._batch_at = loop.time()
            self._schedule(loop)


class Viewer:
    def __init__(self, max_pending: int, source: HistorySource, batched: bool = False) -> None:
        self.batched = batched
        self.pending: deque[str | None] = deque()
        self.batches: deque[Batch] = deque()  # a batched viewer's, not yet sent
        self.batched_count = 0  # messages in ``batches``
        self.wake = asyncio.Event()
        self.sent_seq = -1
        self.max_pending = max_pending
        self.overflowed = False
        self.skipped_frames = 0
        # Catching up: where it reads the history and how far it has read; then live.
        self.source: HistorySource | None = source
        self.cursor = source.start
        self.live = False
        self.run_text: str | None = None  # the run message it was sent on attaching
        # A batched viewer's connection can take a shared frame straight from ``Hub.seal``
        # (app.protocols ``write_frame``): no wake-up of its task for a batch it keeps up
        # with. ``busy`` while its task is sending the slow way, so nothing overtakes that.
        self.direct: Callable[[bytes], bool] | None = None
        self.busy = False

    def push(self, message: str, frame_owed: bool) -> None:
        if frame_owed and (not self.pending or self.pending[-1] is not FRAME):
            self.pending.append(FRAME)
        if len(self.pending) >= self.max_pending:
            self.overflowed = True
        else:
            self.pending.append(message)
        self.wake.set()

    def push_batch(self, batch: Batch) -> None:
        # Behind by more than the bound; one big delivery to a viewer that keeps up is not.
        if self.batches and self.batched_count + batch.count > self.max_pending:
            self.overflowed = True
        else:
            self.batches.append(batch)
            self.batched_count += batch.count
        self.wake.set()


class Hub:
    def __init__(
        self,
        run_id: str,
        record: Callable[[str], None] | None = None,
        max_pending: int = 10000,
        max_history: int = 50000,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.run_id = run_id
        self.chunk_bytes = chunk_bytes
        self.table = ProcessTable()  # what every viewer rebuilds from snapshot and deltas
        self.seq = 0
        self.last_delta: str | None = None
        self.history: History | RecordedHistory = History(run_id, max_history, chunk_bytes)
        self.run_message: Message | None = None
        self._run_text: str | None = None
        self._snapshot: tuple[int, str] | None = None
        self.viewers: set[Viewer] = set()  # live ones; those catching up are only cursors
        self.batch_viewers: set[Viewer] = set()  # live batched ones
        self._open: list[str] = []  # published since the last batch was sealed
        self._sealed_at = 0.0  # loop time of the last seal
        self.max_pending = max_pending
        self.pacer = Pacer()
        self._record = record or (lambda m: None)

    @property
    def history_dropped(self) -> int:
        return self.history.dropped if isinstance(self.history, History) else 0

    # -- inputs ---------------------------------------------------------------------

    @property
    def processes(self) -> dict[int, Message]:
        return self.table.processes

    def frame(self, changed: list[ProcessRecord], removed: list[int]) -> None:
        records = [process_wire(p) for p in changed]
        self.table.update(records, removed)
        self.seq += 1
        self.last_delta = encode(
            to_wire(self.run_id, "delta", seq=self.seq, changed=records, removed=removed)
        )
        self._record(self.last_delta)
        self._to_batch(self.last_delta)
        for v in self.viewers:
            v.wake.set()

    def event(self, event: Event) -> None:
        text = self._broadcast(event_wire(self.run_id, event))
        if isinstance(self.history, History):
            self.history.add(text)

    def run_state(self, **fields: Any) -> None:
        self.run_message = to_wire(self.run_id, "run", **fields)
        self._run_text = self._broadcast(self.run_message)

    def _broadcast(self, message: Message) -> str:
        text = encode(message)
        self._record(text)
        for v in self.viewers:
            v.push(text, frame_owed=v.sent_seq != self.seq)
        self._to_batch(text)
        return text

    def _to_batch(self, text: str) -> None:
        if self.batch_viewers:
            if not self._open:
                self._seal_soon()  # the first of a batch: all of this loop pass goes in it
            self._open.append(text)

    def _seal_soon(self) -> None:
        loop = _running_loop()
        if loop is None:  # a test driving the hub by hand: sealed on demand
            for v in self.batch_viewers:
                v.wake.set()
            return
        gap = min(MAX_SEAL_GAP, len(self.batch_viewers) / WRITES_PER_SECOND)
        at = self._sealed_at + gap
        if at <= loop.time():
            loop.call_soon(self.seal)
        else:
            loop.call_at(at, self.seal)

    def seal(self) -> None:
        """Close the open batch: one encoding and one frame, shared by every live batched
        viewer; written at once to each that keeps up, queued (and its task woken) else."""
        if not self._open:
            return
        batch = Batch.of(self.run_id, self._open)
        self._open = []
        loop = _running_loop()
        if loop is not None:
            self._sealed_at = loop.time()
        for v in self.batch_viewers:
            if v.direct is None or v.batches or v.busy or v.overflowed or not v.direct(batch.frame):
                v.push_batch(batch)

    def release(self, recording: Path) -> None:
        """The run has ended: drop its history from memory; later viewers read ``recording``.

        Viewers still catching up keep reading the pieces they started on, then free them.
        """
        if isinstance(self.history, History):
            self.history.seal()
        self.history = RecordedHistory(self.run_id, recording, self.chunk_bytes)

    # -- viewers --------------------------------------------------------------------

    def snapshot(self) -> str:
        if self._snapshot is None or self._snapshot[0] != self.seq:
            message = to_wire(
                self.run_id, "snapshot", seq=self.seq, processes=list(self.processes.values())
            )
            self._snapshot = (self.seq, encode(message))
        return self._snapshot[1]

    def attach(self, batched: bool = False) -> tuple[Viewer, list[str]]:
        """A new viewer, and what it is sent first: run state and snapshot (then ``next_history``)."""
        viewer = Viewer(self.max_pending, self.history, batched)
        self.history.enter()
        viewer.sent_seq = self.seq
        viewer.run_text = self._run_text
        first = [self._run_text] if self._run_text is not None else []
        return viewer, [*first, self.snapshot()]

    def next_history(self, viewer: Viewer) -> list[str]:
        """The viewer's next piece of history; with the last, it is live (``viewer.live``)."""
        if viewer.source is None:
            return []
        piece = viewer.source.read(viewer.cursor)
        viewer.cursor = piece.cursor
        if piece.last:
            self._stop_reading(viewer)
            viewer.live = True
            # A run message while it caught up is in no history piece: the newest, now.
            run = self._run_text
            missed = [run] if run is not None and run is not viewer.run_text else []
            if viewer.batched:
                self._go_live_batched(viewer, missed)
            else:
                for text in missed:
                    viewer.push(text, frame_owed=False)
                self.viewers.add(viewer)
            viewer.wake.set()  # frames may have passed while it caught up
        return piece.messages

    def _go_live_batched(self, viewer: Viewer, run: list[str]) -> None:
        # What is open went into the history it has just read: seal it for the others,
        # then give it the frame of now, on which every later batch applies.
        self.seal()
        first = run + self._frame_for(viewer)
        if first:
            viewer.push_batch(Batch.of(self.run_id, first))
        self.batch_viewers.add(viewer)

    def join(self) -> tuple[Viewer, list[str]]:
        """A live viewer and all it is owed first, history as single ``event`` messages.

        O(history): for an in-process follower that joins as its run starts (the terminal).
        """
        viewer, first = self.attach()
        while not viewer.live:
            for text in self.next_history(viewer):
                message = json.loads(text)
                if message["type"] != "history":
                    first.append(text)
                    continue
                first += [encode({**e, "history": True}) for e in message["events"]]
        return viewer, first

    def leave(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        self.batch_viewers.discard(viewer)
        self._stop_reading(viewer)

    def _stop_reading(self, viewer: Viewer) -> None:
        if viewer.source is not None:
            viewer.source.leave()
            viewer.source = None

    def next_messages(self, viewer: Viewer) -> list[str]:
        """What to send this viewer now: its pending events, each owed frame in its place."""
        if viewer.batched:
            return self._batch_for(viewer)
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

    def _batch_for(self, viewer: Viewer) -> list[str]:
        batch = self.next_batch(viewer)
        return [batch.text] if batch is not None else []

    def next_batch(self, viewer: Viewer) -> Batch | None:
        """A batched viewer's one message: the shared batch, or what it missed merged."""
        self.seal()
        if not viewer.batches:
            return None
        batches = list(viewer.batches)
        viewer.batches.clear()
        viewer.batched_count = 0
        return Batch.merge(self.run_id, batches)
