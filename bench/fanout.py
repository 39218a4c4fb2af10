"""Fan-out cost: a chatty run watched by N viewers, batched or not, permessage-deflate on or off.

Server CPU (% of one core, from /proc over a window) and a probe viewer's event latency
(event ``t``, stamped by the process that emitted it, to receipt), min/median/max over
repetitions, for each viewer count and setting. The probe is a real WebSocket client that
parses every message; the crowd runs in a process of its own and reads every byte of every
viewer's stream (after a real handshake) without parsing it, so that 1,000 viewers on
this 2-core machine cost the server what they cost it, not what a parsing client costs.

    python bench/fanout.py [--viewers 200 500 1000] [--reps 3] [--window 6] [--batch 0 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import selectors
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, server

CHATTY = {
    "producers": 16,
    "consumers": 16,
    "items": 500,
    "produce_seconds": 0.25,
    "consume_seconds": 0.25,
    "maxsize": 64,
    "speed": 1,
}


def handshake(host: str, port: int, path: str) -> socket.socket:
    """A WebSocket opened by hand: the request, then the server's 101."""
    sock = socket.create_connection((host, port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    sock.setblocking(False)
    return sock


def crowd(host: str, port: int, path: str, n: int, ready: Any, stop: Any, report: Any) -> None:
    """``n`` viewers that read everything they are sent; reports bytes read and how many closed."""
    sel = selectors.DefaultSelector()
    refused = 0
    for _ in range(n):
        try:
            sel.register(handshake(host, port, path), selectors.EVENT_READ, FrameWalker())
        except (OSError, ConnectionError):  # no 101 within 30 s: an overloaded server
            refused += 1
    ready.set()
    since = time.monotonic()
    received, closed = 0, Counter[int]()
    tails: dict[int, bytes] = {}  # each stream's last bytes: a close frame says why
    while not stop.is_set():
        for key, _ in sel.select(0.2):
            sock = key.fileobj
            try:
                chunk = sock.recv(1 << 16)  # type: ignore[union-attr]
                for payload in key.data.feed(chunk):
                    sock.sendall(pong(payload))  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            except OSError:  # reset by the server
                chunk = b""
            received += len(chunk)
            if chunk:
                tails[key.fd] = (tails.get(key.fd, b"") + chunk)[-256:]
            else:
                closed[close_code(tails.get(key.fd, b""))] += 1
                sel.unregister(key.fileobj)
    if refused:
        closed[-1] = refused  # -1: never opened
    report.put((received / (time.monotonic() - since), dict(closed)))
    for key in list(sel.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]


class FrameWalker:
    """Walks a server's frames by their headers, skipping payloads unread but a ping's.

    The crowd answers the server's keepalive pings (unanswered, uvicorn closes the
    connection with 1011 after ``ws_ping_timeout``) and otherwise only counts bytes.
    """

    def __init__(self) -> None:
        self.skip = 0  # payload bytes of the current frame still to come
        self.head = b""  # a header cut between two reads
        self.ping: bytearray | None = None

    def feed(self, chunk: bytes) -> list[bytes]:
        """The payloads of the pings completed in ``chunk``."""
        pings: list[bytes] = []
        i, n = 0, len(chunk)
        while i < n:
            if self.skip:
                take = min(self.skip, n - i)
                if self.ping is not None:
                    self.ping += chunk[i : i + take]
                self.skip -= take
                i += take
                if not self.skip and self.ping is not None:
                    pings.append(bytes(self.ping))
                    self.ping = None
                continue
            data = self.head + chunk[i : i + 14]
            size = data[1] & 0x7F if len(data) >= 2 else 0
            header = 2 + {126: 2, 127: 8}.get(size, 0)
            if len(data) < max(2, header):
                self.head, i = data, n  # the rest of this header comes with the next read
                break
            length = int.from_bytes(data[2:header], "big") if header > 2 else size
            i += header - len(self.head)
            self.head, self.skip = b"", length
            if data[0] & 0x0F == 0x9:  # ping
                self.ping = bytearray()
                if not length:
                    pings.append(b"")
                    self.ping = None
        return pings


def pong(payload: bytes) -> bytes:
    """A client's pong: masked (a zero mask), echoing the ping's payload."""
    return bytes([0x8A, 0x80 | len(payload)]) + bytes(4) + payload


def close_code(tail: bytes) -> int:
    """The code of the close frame a stream ended with (0: none seen)."""
    at = tail.rfind(b"\x88")
    if at < 0 or len(tail) < at + 4:
        return 0
    return int.from_bytes(tail[at + 2 : at + 4], "big")


@dataclass
class Figures:
    cpu: float  # % of one core
    p95_ms: float
    events: int  # live events the probe saw
    crowd_mb_s: float
    closed: dict[int, int]  # crowd viewers the server closed, by close code
    stalled: str  # why the probe stopped early (nothing came for a window), or ""
    load: float  # the machine's 1-minute load average at the end (2 cores, shared)
    window: float
    viewers: int  # the crowd and the probe

    @property
    def us_per_event_viewer(self) -> float:
        """Server CPU per live event per viewer: what starving the server does not change."""
        events = self.events * self.viewers  # as many reached each viewer as the probe
        return 1e4 * self.cpu * self.window / events if events else float("nan")


def unpack(message: dict[str, Any]) -> list[dict[str, Any]]:
    return message["messages"] if message["type"] == "batch" else [message]


class Probe(threading.Thread):
    """A real client that parses everything: when each live event reached it, how late."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.arrivals: list[tuple[float, float]] = []  # (monotonic, seconds since its t)
        self.stalled = ""  # why it stopped early, or ""
        self.done = threading.Event()

    def run(self) -> None:
        try:
            with connect(self.url, max_size=None, open_timeout=60) as ws:
                while not self.done.is_set():
                    raw = ws.recv(timeout=30)
                    now, received = time.monotonic(), time.time()
                    for message in unpack(json.loads(raw)):
                        if message["type"] == "event" and not message.get("history"):
                            self.arrivals.append((now, received - message["t"]))
        except (TimeoutError, ConnectionClosed) as exc:
            self.stalled = type(exc).__name__  # the server could not serve it in time

    def latencies(self, start: float, end: float) -> list[float]:
        return [late for at, late in self.arrivals if start <= at <= end]


def measure(n: int, deflate: bool, batch: bool, window: float) -> Figures:
    env = {"PROCVIZ_WS_DEFLATE": "1" if deflate else "0", "PROCVIZ_MAX_WS_PER_CLIENT": "5000"}
    with server(**env) as (base, pid):
        run = httpx.post(
            base + "/api/runs", json={"lesson": "producer-consumer", "params": CHATTY}, timeout=60
        )
        run_id = run.json()["id"]
        path = f"/ws/runs/{run_id}" + ("?batch=1" if batch else "")
        # The probe watches from the start, then the crowd joins: its latency is the live
        # stream's under load, not a late joiner's catching up.
        probe = Probe(base.replace("http", "ws") + path)
        probe.start()
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
        ready, stop, report = (
            multiprocessing.Event(),
            multiprocessing.Event(),
            multiprocessing.Queue(),
        )
        viewers = multiprocessing.Process(
            target=crowd, args=(host, port, path, n, ready, stop, report)
        )
        viewers.start()
        ready.wait(120)
        time.sleep(1.0)  # the crowd's history sent; everyone live
        proc = psutil.Process(pid)
        t0, c0 = time.monotonic(), sum(proc.cpu_times()[:2])
        time.sleep(window)
        t1, c1 = time.monotonic(), sum(proc.cpu_times()[:2])
        cpu = 100 * (c1 - c0) / (t1 - t0)
        latencies = probe.latencies(t0, t1)
        probe.done.set()
        stop.set()
        rate, closed = report.get(timeout=60)
        viewers.join(30)
        probe.join(30)
        try:  # the server stops the run as it exits anyway; an overloaded one answers late
            httpx.post(base + f"/api/runs/{run_id}/stop", timeout=60)
        except httpx.TimeoutException:
            pass
    p95 = 1000 * percentile(latencies, 0.95) if latencies else float("nan")
    load = os.getloadavg()[0]
    return Figures(
        cpu, p95, len(latencies), rate / 1e6, closed, probe.stalled, load, t1 - t0, n + 1
    )


def spread(values: list[float], digits: int = 1) -> str:
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{lo:.{digits}f} / {mid:.{digits}f} / {hi:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window", type=float, default=6.0)
    parser.add_argument("--batch", type=int, nargs="+", choices=[0, 1], default=[0, 1])
    parser.add_argument("--deflate", type=int, nargs="+", choices=[0, 1], default=[0])
    args = parser.parse_args()
    print(
        "viewers | batch | deflate | server CPU % (min/median/max) | probe p95 ms (min/median/max)"
        " | µs per event per viewer | probe events | crowd MB/s | closed | probe stalls | load avg"
    )
    for n in args.viewers:
        for batch in args.batch:
            for deflate in args.deflate:
                got = [
                    measure(n, bool(deflate), bool(batch), args.window) for _ in range(args.reps)
                ]
                for g in got:
                    print(f"# {n} viewers, batch {batch}: {g}", flush=True)
                cpu, p95 = [g.cpu for g in got], [g.p95_ms for g in got]
                print(
                    f"{n:7} | {batch:5} | {'on ' if deflate else 'off'}     | {spread(cpu):29} | "
                    f"{spread(p95):29} | {spread([g.us_per_event_viewer for g in got], 2)} | "
                    f"{statistics.median(g.events for g in got):12.0f} | "
                    f"{statistics.median(g.crowd_mb_s for g in got):10.2f} | "
                    f"{max(sum(g.closed.values()) for g in got):6} "
                    f"{sorted(set().union(*(g.closed for g in got)))} | "
                    f"{', '.join(g.stalled for g in got if g.stalled) or '-'} | "
                    f"{spread([g.load for g in got])}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
