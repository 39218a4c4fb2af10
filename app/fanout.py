"""Beyond one server: the presenter publishes each run message once, to Redis, for replicas.

A run's hub hands every message it sends (deltas, events, run states) to its recorder;
a ``Channel`` stands beside the recorder and queues the same text, unparsed, for one
Redis stream per run. A snapshot joins the stream every ``SNAPSHOT_PERIOD`` so that a
replica joining late (or after a gap) has a base the following deltas apply to; the
stream is trimmed (``MAXLEN ~``) and expires ``redis_ttl`` seconds after its run ended.
A second stream, the lobby's, announces each new run and the presenter's current one.

Publishing never waits on Redis: messages queue on the event loop and one task writes
them in pipelines. Redis down: the presenter goes on serving its own viewers, logs once,
retries with backoff; past ``MAX_QUEUE`` queued entries it drops them and, once Redis is
back, publishes each live run's state and snapshot again (replicas resync on it, and
tell their viewers how many events they lost). Replicas read it all in ``app/replica.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from app.hub import Hub
from app.settings import Settings, shown_url
from app.states import ENDED

log = logging.getLogger("procviz.fanout")

SNAPSHOT_PERIOD = 1.0  # seconds between snapshots in a live run's stream
BATCH = 512  # commands per pipeline
MAX_QUEUE = 100_000  # entries held while Redis is unreachable; then dropped (and resynced)
LOBBY_MAXLEN = 1000
MIN_BACKOFF, MAX_BACKOFF = 0.2, 10.0
CLOSE_TIMEOUT = 3.0

# What kind of message a text is, from its first bytes (hub.encode puts ``type`` first):
# the presenter never parses what it publishes.
KINDS = (('{"type": "delta"', "d"), ('{"type": "event"', "e"), ('{"type": "run"', "r"))

Command = tuple[Any, ...]


def run_key(prefix: str, run_id: str) -> str:
    return f"{prefix}:run:{run_id}"


def lobby_key(prefix: str) -> str:
    return f"{prefix}:lobby"


def connect(url: str) -> Redis:
    """A client that fails fast: the caller decides when to retry."""
    return Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )


def kind_of(text: str) -> str:
    for prefix, kind in KINDS:
        if text.startswith(prefix):
            return kind
    return "o"  # another message type: replicas send it on as it is


class Channel:
    """One run's messages: to its recorder, and queued for its Redis stream."""

    def __init__(self, publisher: Publisher, run_id: str, record: Callable[[str], None]) -> None:
        self.publisher = publisher
        self.run_id = run_id
        self.key = run_key(publisher.prefix, run_id)
        self.record = record
        self.hub: Hub | None = None
        self.events = 0  # index of the next event: replicas see a gap or a repeat by it
        self.snapshot_seq = 0  # seq of the last snapshot published (0: the empty start)
        self.run_text: str | None = None  # the last run message: snapshots carry it too
        self.announced = False
        self.ended = False

    def bind(self, hub: Hub) -> None:
        self.hub = hub

    def __call__(self, text: str) -> None:
        self.record(text)
        kind = kind_of(text)
        fields: list[Any] = ["k", kind]
        if kind == "d" and self.hub is not None:
            fields += ["s", self.hub.seq]
        elif kind == "e":
            fields += ["n", self.events]
            self.events += 1
        self.publisher.add(self._xadd([*fields, "m", text]))
        if not self.announced:  # after its first message: a replica finds the run state there
            self.announced = True
            self.publisher.announce(self)
        if kind == "r":
            self.run_text = text
        if kind == "r" and self.hub is not None and self.hub.run_message is not None:
            self.ended = self.hub.run_message.get("state") in {str(s) for s in ENDED}
            if self.ended:
                self.publisher.add(("EXPIRE", self.key, int(self.publisher.ttl)))

    def snapshot(self, force: bool = False) -> None:
        """Queue a snapshot if frames passed since the last (or ``force``: after a gap)."""
        hub = self.hub
        if hub is None or (hub.seq == self.snapshot_seq and not force):
            return
        self.snapshot_seq = hub.seq
        # With the run's state: a replica that finds the stream's start trimmed away
        # begins here.
        run = ["r", self.run_text] if self.run_text is not None else []
        self.publisher.add(self._xadd(["k", "s", "s", hub.seq, *run, "m", hub.snapshot()]))

    def resync(self) -> None:
        """After entries were dropped: a snapshot with the run's state; replicas catch up."""
        self.snapshot(force=True)

    def _xadd(self, fields: list[Any]) -> Command:
        return ("XADD", self.key, "MAXLEN", "~", self.publisher.maxlen, "*", *fields)


class Publisher:
    """Every run's messages to Redis, in order, without ever making the loop wait on it."""

    def __init__(self, settings: Settings, max_queue: int = MAX_QUEUE) -> None:
        assert settings.redis_url is not None
        self.url = settings.redis_url
        self.prefix = settings.redis_prefix
        self.maxlen = settings.redis_maxlen
        self.ttl = settings.redis_ttl
        # A live run's stream outlives its longest possible run, then expires on its own.
        self.live_ttl = int(settings.max_duration + settings.max_frozen + settings.redis_ttl)
        self.max_queue = max_queue
        self.queue: deque[Command] = deque()
        self.channels: dict[str, Channel] = {}  # live runs
        self.current: dict[str, Any] | None = None
        self.connected = False
        self.error: str | None = "not connected yet"
        self.dropped = 0  # entries dropped while Redis was unreachable, in all
        self.refused = 0  # commands Redis answered with an error
        self._resync = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # -- what the run manager calls (on the event loop) ------------------------------

    def channel(self, run_id: str, record: Callable[[str], None]) -> Channel:
        channel = Channel(self, run_id, record)
        self.channels[run_id] = channel
        return channel

    def lobby(self, current: dict[str, Any]) -> None:
        self.current = current
        self.add(self._lobby(["k", "current", "m", json.dumps(current)]))

    def announce(self, channel: Channel) -> None:
        self.add(("EXPIRE", channel.key, self.live_ttl))
        self.add(self._lobby(["k", "run", "run", channel.run_id]))

    def add(self, command: Command) -> None:
        if len(self.queue) >= self.max_queue:
            # Redis has been away too long: drop what waits, and resync once it is back.
            self.dropped += len(self.queue)
            self.queue.clear()
            self._resync = True
        self.queue.append(command)
        self._wake.set()

    def _lobby(self, fields: list[Any]) -> Command:
        return ("XADD", lobby_key(self.prefix), "MAXLEN", "~", LOBBY_MAXLEN, "*", *fields)

    # -- the task that writes ----------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="procviz-publisher")

    async def close(self) -> None:
        """Write what is queued (a little while at most), then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), CLOSE_TIMEOUT)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _run(self) -> None:
        backoff = MIN_BACKOFF
        ticker = asyncio.create_task(self._snapshots())
        try:
            while True:
                client = connect(self.url)
                try:
                    await client.ping()
                    self._up()
                    backoff = MIN_BACKOFF
                    if await self._write(client):
                        return
                except (RedisError, OSError) as exc:
                    self._down(exc, backoff)
                    if self._closing:
                        return
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                finally:
                    await client.aclose()
        finally:
            ticker.cancel()

    async def _write(self, client: Redis) -> bool:
        """Pipelines of queued commands until closing (True) or a Redis error (raised)."""
        while True:
            if self._resync:
                self._resync = False
                log.warning("procviz: %d entries were dropped; resyncing", self.dropped)
                if self.current is not None:
                    self.lobby(self.current)
                for channel in list(self.channels.values()):
                    channel.resync()
            while self.queue:
                batch = [self.queue.popleft() for _ in range(min(BATCH, len(self.queue)))]
                pipe = client.pipeline(transaction=False)
                for command in batch:
                    pipe.execute_command(*command)
                try:
                    results = await pipe.execute(raise_on_error=False)
                except (RedisError, OSError):
                    # Written again after reconnecting; replicas skip what they already
                    # have (a delta's seq, an event's index).
                    self.queue.extendleft(reversed(batch))
                    raise
                self._refused(batch, results)
            if self._closing:
                return True
            self._wake.clear()
            await self._wake.wait()

    def _refused(self, batch: list[Command], results: list[Any]) -> None:
        """Commands Redis refused (a key of another type, out of memory): logged, not retried,
        or one bad entry would hold up every other."""
        for command, result in zip(batch, results, strict=True):
            if isinstance(result, ResponseError):
                self.refused += 1
                if self.refused <= 10 or self.refused % 1000 == 0:
                    log.warning("procviz: Redis refused %s %s: %s", command[0], command[1], result)

    async def _snapshots(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_PERIOD)
            for run_id, channel in list(self.channels.items()):
                if channel.ended:  # its stream is complete: nothing changes after the end
                    del self.channels[run_id]
                else:
                    channel.snapshot()

    def _up(self) -> None:
        if not self.connected:
            log.warning("procviz: publishing run messages to Redis at %s", shown_url(self.url))
        self.connected, self.error = True, None

    def _down(self, exc: BaseException, backoff: float) -> None:
        if self.connected or self.error == "not connected yet":
            log.warning(
                "procviz: Redis at %s unreachable (%s); the presenter goes on serving its own "
                "viewers and retries (backoff up to %g s)",
                shown_url(self.url),
                exc,
                MAX_BACKOFF,
            )
        self.connected, self.error = False, str(exc) or type(exc).__name__
