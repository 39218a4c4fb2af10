"""The run's event channel: an AF_UNIX datagram socket every process of the run reaches.

Datagrams keep message boundaries and, from one sending socket, their order, so
one process's events arrive in the order it emitted them.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from app.records import Event

MAX_DATAGRAM = 65536
MAX_KIND = 32


def open_channel(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    # Room for bursts of output while the watcher is busy sampling.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    return sock


def parse(datagram: bytes) -> Event | None:
    """An event from one datagram, or None for anything malformed."""
    try:
        msg = json.loads(datagram)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(msg, dict):
        return None
    pid, kind, data, t = msg.get("pid"), msg.get("kind"), msg.get("data"), msg.get("t")
    if not isinstance(pid, int) or not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND:
        return None
    if not isinstance(data, dict) or not isinstance(t, int | float):
        return None
    return Event(pid=pid, kind=kind, data=data, t=float(t))


def drain(sock: socket.socket, limit: int = 512) -> list[Event]:
    """Everything waiting on the socket (at most ``limit`` datagrams per call)."""
    events = []
    for _ in range(limit):
        try:
            datagram = sock.recv(MAX_DATAGRAM)
        except (BlockingIOError, InterruptedError):
            break
        event = parse(datagram)
        if event is not None:
            events.append(event)
    return events
