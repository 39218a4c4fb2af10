"""A viewer replica: the presenter's runs, read from Redis, served read-only to its viewers.

One task follows the lobby stream and every live run's stream (``app/fanout.py`` writes
them) with one blocking ``XREAD``. Each run becomes a ``Mirror``: a hub fed with the
presenter's own message texts instead of a watcher, so a replica's viewers get the very
bytes the presenter's viewers get, and a late joiner gets a snapshot and the history
from what the replica read from Redis, never from the presenter. A mirror skips what it
already has (a delta's seq, an event's index), waits for the stream's next snapshot
after a gap in the frames, and tells its viewers when events were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.fanout import MAX_BACKOFF, MIN_BACKOFF, connect, lobby_key, run_key
from app.hub import History, Hub, encode
from app.lobby import Lobby
from app.records import to_wire
from app.runs import RunNotFound
from app.security import STATE_CHANGING, refuse
from app.settings import Settings, shown_url
from app.states import ENDED

log = logging.getLogger("procviz.replica")

BLOCK_MS = 1000  # one XREAD waits this long for news, then asks again
COUNT = 1000  # entries per stream per XREAD
KEEP_ENDED = 8  # ended runs a replica keeps in memory (each holds its history)
ENDED_NAMES = {str(s) for s in ENDED}
Entries = list[tuple[str, dict[str, str]]]  # a stream's entries: (id, fields), decoded


class Mirror(Hub):
    """A run's hub fed from its Redis stream: the same snapshot, deltas, events and states."""

    def __init__(self, run_id: str, max_history: int = 50000) -> None:
        super().__init__(run_id, max_history=max_history)
        self.cursor = "0-0"  # the stream entry read up to
        self.events = 0  # index of the next event expected
        self.based = True  # the table is the presenter's at ``seq`` (at first: empty, 0)
        self.ended = False

    def take(self, fields: dict[str, str]) -> None:
        kind, text = fields.get("k"), fields.get("m", "")
        if kind == "d":
            self._delta(int(fields["s"]), text)
        elif kind == "s":
            if "r" in fields:
                self._run(fields["r"])
            self._base(int(fields["s"]), text)
        elif kind == "e":
            self._event(int(fields["n"]), text)
        elif kind == "r":
            self._run(text)
        else:
            self._relay(text)

    def _delta(self, seq: int, text: str) -> None:
        if seq <= self.seq:
            return  # written twice (the presenter retried a pipeline)
        if seq != self.seq + 1 or not self.based:
            self.based = False  # frames missing: wait for the next snapshot
            return
        message = json.loads(text)
        self.table.update(message["changed"], message["removed"])
        self.seq, self.last_delta = seq, text
        self._to_batch(text)
        for v in self.viewers:
            v.wake.set()

    def _base(self, seq: int, text: str) -> None:
        if self.based and seq <= self.seq:
            return  # the table is already this (or newer)
        message = json.loads(text)
        self.table.processes = {p["pid"]: p for p in message["processes"]}
        self.seq, self.last_delta, self.based = seq, None, True
        self._snapshot = None  # viewers behind get a snapshot of the new base
        if self.batch_viewers:  # theirs comes in their batch, in its place
            self._to_batch(self.snapshot())
        for v in self.viewers:
            v.wake.set()

    def _event(self, n: int, text: str) -> None:
        history = self.history
        assert isinstance(history, History)  # a mirror never releases it: no recording here
        if n < self.events:
            return
        if n > self.events:
            if history.end == 0:
                # Joined a trimmed stream: the history says how many early events it lacks.
                history.dropped = n
            else:
                lost = f"{n - self.events} events lost on the way from the presenter"
                self._relay(encode(to_wire(self.run_id, "notice", message=lost)))
        self.events = n + 1
        self._relay(text)
        history.add(text)

    def _run(self, text: str) -> None:
        if text == self._run_text:
            return
        self.run_message = json.loads(text)
        self._run_text = text
        self.ended = self.run_message.get("state") in ENDED_NAMES
        self._relay(text)

    def _relay(self, text: str) -> None:
        for v in self.viewers:
            v.push(text, frame_owed=v.sent_seq != self.seq)
        self._to_batch(text)

    def public(self) -> dict[str, Any]:
        """The run as GET /api/runs/{id} answers it, from the presenter's last run message."""
        fields = dict(self.run_message or {})
        for name in ("type", "run", "t", "server_pid"):
            fields.pop(name, None)
        return {"id": self.run_id, **fields}


@dataclass
class MirroredRun:
    """What the WebSocket routes ask of a run (``manager.get(id).hub``), on a replica."""

    id: str
    hub: Mirror


class Replica:
    """Follows the presenter through Redis; the WebSocket routes read runs and lobby here."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url is not None
        self.url = settings.redis_url
        self.prefix = settings.redis_prefix
        self.lobby = Lobby()
        self.runs: dict[str, MirroredRun] = {}  # oldest first
        self.lobby_cursor = "0-0"
        self.error: str | None = "not connected to Redis yet"
        self._task: asyncio.Task[None] | None = None

    @property
    def healthy(self) -> bool:
        return self.error is None

    @property
    def active(self) -> list[MirroredRun]:
        return [r for r in self.runs.values() if not r.hub.ended]

    def get(self, run_id: str) -> MirroredRun:
        try:
            return self.runs[run_id]
        except KeyError:
            raise RunNotFound(run_id) from None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="procviz-replica")

    async def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        backoff = MIN_BACKOFF
        while True:
            client = connect(self.url)
            try:
                while True:
                    await self._read(client)
                    if self.error is not None:
                        log.warning("procviz: replica reading from Redis at %s", self._shown)
                    self.error, backoff = None, MIN_BACKOFF
            except (RedisError, OSError) as exc:
                if self.error is None or self.error.startswith("not connected"):
                    log.warning("procviz: Redis at %s unreachable (%s); retrying", self._shown, exc)
                self.error = f"Redis at {self._shown} unreachable: {exc or type(exc).__name__}"
            finally:
                await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    @property
    def _shown(self) -> str:
        return shown_url(self.url)

    async def _read(self, client: Redis) -> None:
        """One XREAD over the lobby and every live run's stream, and what it brought."""
        streams = {lobby_key(self.prefix): self.lobby_cursor}
        for run in self.active:
            streams[run_key(self.prefix, run.id)] = run.hub.cursor
        # With news waiting the read returns at once; a fresh client's first read too,
        # so health follows a reconnect without waiting out a block.
        block = BLOCK_MS if self.error is None else None
        answer = await client.xread(cast(Any, streams), count=COUNT, block=block)
        for key, entries in cast(list[tuple[str, Entries]], answer or []):
            if key == lobby_key(self.prefix):
                for entry_id, fields in entries:
                    self.lobby_cursor = entry_id
                    await self._lobby_entry(client, fields)
            else:
                found = self.runs.get(key.removeprefix(run_key(self.prefix, "")))
                if found is not None:
                    self._feed(found.hub, entries)

    async def _lobby_entry(self, client: Redis, fields: dict[str, str]) -> None:
        if fields.get("k") == "current":
            await self.lobby.set(json.loads(fields["m"]))
        elif fields.get("k") == "run" and fields.get("run") not in self.runs:
            await self._mirror(client, fields["run"])

    async def _mirror(self, client: Redis, run_id: str) -> None:
        """A new run: read its stream so far (viewers find it only then), then follow it."""
        mirror = Mirror(run_id)
        key = run_key(self.prefix, run_id)
        while True:
            entries = cast(Entries, await client.xrange(key, f"({mirror.cursor}", "+", count=COUNT))
            self._feed(mirror, entries)
            if len(entries) < COUNT:
                break
        if mirror.run_message is None:
            return  # expired, or never written: nothing to show
        self.runs[run_id] = MirroredRun(run_id, mirror)
        ended = [r for r in self.runs.values() if r.hub.ended]
        for old in ended[: max(0, len(ended) - KEEP_ENDED)]:
            del self.runs[old.id]

    def _feed(self, mirror: Mirror, entries: Entries) -> None:
        for entry_id, fields in entries:
            mirror.cursor = entry_id
            try:
                mirror.take(fields)
            except (ValueError, KeyError, TypeError) as exc:  # not the presenter's writing
                log.warning("procviz: run %s: entry %s skipped (%r)", mirror.run_id, entry_id, exc)


class ReadOnly:
    """403 for anything but reading, on a replica: runs start and are controlled elsewhere."""

    def __init__(self, app: ASGIApp, presenter_url: str | None) -> None:
        self.app = app
        where = f" ({presenter_url})" if presenter_url else ""
        self.message = (
            "this server is a viewer replica: it serves runs read-only from Redis; start "
            f"and control runs on the presenter server{where}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            await refuse(scope, receive, send, 403, "role", self.message)
            return
        await self.app(scope, receive, send)
