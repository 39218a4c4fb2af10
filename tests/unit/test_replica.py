"""The presenter's channel and a replica's mirror, without Redis: what the channel queues
for a run's stream, fed to a mirror, rebuilds the presenter's hub."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.fanout import Channel, Publisher, kind_of
from app.hub import Hub
from app.records import Event, ProcessRecord
from app.replica import Mirror
from app.settings import Settings

RUN = "r1"


def record(pid: int, status: str = "sleeping") -> ProcessRecord:
    return ProcessRecord(pid, 1, "python", "", status, 0.0, 1, 1, 1.0, "child")


def publishing(max_queue: int = 1000) -> tuple[Publisher, Channel, Hub]:
    publisher = Publisher(Settings(redis_url="redis://127.0.0.1:1/0"), max_queue=max_queue)
    lines: list[str] = []
    channel = publisher.channel(RUN, lines.append)
    hub = Hub(RUN, channel)
    channel.bind(hub)
    return publisher, channel, hub


def entries(publisher: Publisher, key: str = f"procviz:run:{RUN}") -> list[dict[str, str]]:
    """The XADDs queued for one stream, as a replica reads their fields."""
    out = []
    for command in publisher.queue:
        if command[0] == "XADD" and command[1] == key:
            fields = list(command[command.index("*") + 1 :])
            out.append({str(k): str(v) for k, v in zip(fields[::2], fields[1::2], strict=True)})
    return out


def test_kind_of_reads_the_type_from_the_first_bytes() -> None:
    assert kind_of('{"type": "delta", "run": "x"}') == "d"
    assert kind_of('{"type": "event", "run": "x"}') == "e"
    assert kind_of('{"type": "run", "run": "x"}') == "r"
    assert kind_of('{"type": "notice", "run": "x"}') == "o"


def test_channel_records_and_queues_each_message_once_numbered() -> None:
    publisher, _, hub = publishing()
    hub.run_state(state="running")
    hub.frame([record(10)], [])
    hub.event(Event(10, "stdout", {"line": "a"}))
    hub.event(Event(10, "stdout", {"line": "b"}))
    got = entries(publisher)
    assert [e["k"] for e in got] == ["r", "d", "e", "e"]
    assert got[1]["s"] == "1" and [e["n"] for e in got[2:]] == ["0", "1"]
    assert json.loads(got[3]["m"])["data"] == {"line": "b"}
    # The run is announced in the lobby once, after its first message.
    lobby = entries(publisher, "procviz:lobby")
    assert lobby == [{"k": "run", "run": RUN}]


def test_an_ended_run_stream_expires_after_the_ttl() -> None:
    publisher, channel, hub = publishing()
    hub.run_state(state="running")
    assert ("EXPIRE", channel.key, int(publisher.ttl)) not in publisher.queue
    hub.run_state(state="finished")
    assert channel.ended
    assert publisher.queue[-1] == ("EXPIRE", channel.key, int(publisher.ttl))


def test_queue_past_its_bound_drops_and_asks_for_a_resync() -> None:
    publisher, _, hub = publishing(max_queue=5)
    hub.run_state(state="running")
    for i in range(10):
        hub.event(Event(10, "stdout", {"line": str(i)}))
    assert publisher.dropped > 0 and publisher._resync
    assert len(publisher.queue) <= 5


def test_mirror_rebuilds_the_presenters_hub_from_its_stream() -> None:
    publisher, channel, hub = publishing()
    hub.run_state(state="running")
    hub.frame([record(10), record(11)], [])
    hub.event(Event(11, "exit", {"exitcode": 0}))
    hub.frame([record(11, "zombie")], [])
    channel.snapshot()
    hub.frame([], [11])
    mirror = Mirror(RUN)
    for fields in entries(publisher):
        mirror.take(fields)
    assert (mirror.seq, mirror.processes) == (hub.seq, hub.processes)
    assert mirror.last_delta == hub.last_delta  # the very bytes
    assert mirror.run_message == hub.run_message
    assert mirror.history.end == 1


def test_mirror_skips_what_it_has_and_waits_for_a_snapshot_after_a_gap() -> None:
    publisher, channel, hub = publishing()
    hub.run_state(state="running")
    for pid in (10, 11, 12):
        hub.frame([record(pid)], [])
    channel.snapshot()
    d1, d2, d3, snap = [e for e in entries(publisher) if e["k"] in "ds"]
    mirror = Mirror(RUN)
    mirror.take(d1)
    mirror.take(d1)  # written twice (a retried pipeline): once is enough
    assert (mirror.seq, set(mirror.processes)) == (1, {10})
    mirror.take(d3)  # d2 never came
    assert not mirror.based and mirror.seq == 1
    mirror.take(snap)
    assert mirror.based and (mirror.seq, set(mirror.processes)) == (3, {10, 11, 12})
    mirror.take(d2)  # late and old: ignored
    assert set(mirror.processes) == {10, 11, 12}


def test_mirror_viewers_hear_of_lost_events_and_a_trimmed_start() -> None:
    publisher, _, hub = publishing()
    hub.run_state(state="running")
    for i in range(4):
        hub.event(Event(10, "stdout", {"line": str(i)}))
    run, e0, _, e2, e3 = entries(publisher)

    trimmed = Mirror(RUN)
    for fields in (run, e2, e3):
        trimmed.take(fields)
    viewer, _ = trimmed.attach()
    history = trimmed.next_history(viewer)
    assert "2 early events omitted" in history[0]

    gap = Mirror(RUN)
    gap.take(run)
    gap.take(e0)
    viewer, _ = gap.attach()
    while not viewer.live:
        gap.next_history(viewer)
    gap.take(e3)
    sent = [json.loads(m) for m in gap.next_messages(viewer)]
    assert [m["type"] for m in sent] == ["notice", "event"]
    assert sent[0]["message"] == "2 events lost on the way from the presenter"


def test_mirror_public_is_the_run_as_the_presenter_last_said() -> None:
    mirror = Mirror(RUN)
    text = json.dumps({"type": "run", "run": RUN, "t": 1.0, "state": "running", "server_pid": 7})
    mirror.take({"k": "r", "m": text})
    mirror.take({"k": "r", "m": text})  # repeated: nothing new for viewers
    public: dict[str, Any] = mirror.public()
    assert public == {"id": RUN, "state": "running"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PROCVIZ_ROLE": "replica"}, "set PROCVIZ_REDIS_URL"),
        ({"PROCVIZ_ROLE": "mirror", "PROCVIZ_REDIS_URL": "redis://h"}, "PROCVIZ_ROLE"),
        ({"PROCVIZ_REDIS_URL": "http://h:6379"}, "PROCVIZ_REDIS_URL"),
        ({"PROCVIZ_REDIS_MAXLEN": "5"}, "PROCVIZ_REDIS_MAXLEN"),
    ],
)
def test_settings_refuse_a_replica_without_redis_and_bad_values(
    env: dict[str, str], message: str
) -> None:
    from app.settings import SettingsError

    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_serve_replica_without_redis_url_stops_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    monkeypatch.delenv("PROCVIZ_REDIS_URL", raising=False)
    monkeypatch.delenv("PROCVIZ_ROLE", raising=False)
    assert main(["serve", "--replica", "--port", "1"]) == 2
    assert "set PROCVIZ_REDIS_URL" in capsys.readouterr().err


def test_mirror_batched_viewers_get_every_message_live_as_on_the_presenter() -> None:
    # The page asks for ?batch=1 on a replica too.
    publisher, channel, hub = publishing()
    hub.run_state(state="running")
    hub.frame([record(10)], [])
    channel.snapshot()
    mirror = Mirror(RUN)
    stream = entries(publisher)
    for fields in stream:
        mirror.take(fields)
    viewer, _ = mirror.attach(batched=True)
    while not viewer.live:
        mirror.next_history(viewer)
    mirror.next_messages(viewer)  # what it owed on going live
    hub.frame([record(11)], [])
    hub.event(Event(11, "stdout", {"line": "a"}))
    hub.run_state(state="finished")
    for fields in entries(publisher)[len(stream) :]:
        mirror.take(fields)
    (sent,) = mirror.next_messages(viewer)
    batch = json.loads(sent)
    assert batch["type"] == "batch"
    assert [m["type"] for m in batch["messages"]] == ["delta", "event", "run"]
    assert batch["messages"][0]["changed"][0]["pid"] == 11
    # Frames lost on the way: the new base reaches it in its batch, where it belongs.
    hub.frame([record(12)], [])
    lost = len(entries(publisher))
    hub.frame([record(13)], [])
    channel.snapshot()
    for fields in entries(publisher)[lost:]:
        mirror.take(fields)
    (sent,) = mirror.next_messages(viewer)
    messages = json.loads(sent)["messages"]
    assert [m["type"] for m in messages] == ["snapshot"]
    assert {p["pid"] for p in messages[0]["processes"]} == {10, 11, 12, 13}
