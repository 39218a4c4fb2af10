"""The event channel: malformed datagrams are dropped, good ones kept in order; long lines cut."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from app import channel
from tests.tracing import trace_run

GOOD = {"pid": 7, "kind": "stdout", "t": 1.5, "data": {"line": "hi"}}


def test_parse_refuses_every_malformed_datagram() -> None:
    bad = [
        b"",
        b"{not json",
        b"\xff\xfe",  # not UTF-8
        b"[1, 2]",
        json.dumps({**GOOD, "pid": "7"}).encode(),
        json.dumps({**GOOD, "kind": ""}).encode(),
        json.dumps({**GOOD, "kind": "k" * 33}).encode(),
        json.dumps({**GOOD, "data": [1]}).encode(),
        json.dumps({**GOOD, "t": "now"}).encode(),
        json.dumps({k: v for k, v in GOOD.items() if k != "data"}).encode(),
    ]
    assert [channel.parse(d) for d in bad] == [None] * len(bad)
    event = channel.parse(json.dumps(GOOD).encode())
    assert event is not None and (event.pid, event.kind, event.data, event.t) == (
        7,
        "stdout",
        {"line": "hi"},
        1.5,
    )


def test_drain_skips_bad_datagrams_and_keeps_the_order_of_good_ones(tmp_path: Path) -> None:
    sock = channel.open_channel(tmp_path / "c.sock")
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for i in range(5):
            sender.sendto(b"garbage", str(tmp_path / "c.sock"))
            sender.sendto(json.dumps({**GOOD, "data": {"n": i}}).encode(), str(tmp_path / "c.sock"))
        got = channel.drain(sock)
        assert [e.data["n"] for e in got] == [0, 1, 2, 3, 4]
        assert channel.drain(sock) == []
    finally:
        sender.close()
        sock.close()


def test_a_line_longer_than_a_datagram_allows_is_cut_visibly(tmp_path: Path) -> None:
    script = tmp_path / "long.py"
    script.write_text("print('x' * 100_000)\nprint('after')\n")
    got = trace_run(script, cwd=tmp_path)
    lines = got.lines()
    assert lines[0].endswith(" …[cut]") and lines[0].startswith("x" * 1000)
    assert len(lines[0]) < channel.MAX_DATAGRAM
    assert lines[1] == "after"  # nothing after it was lost
