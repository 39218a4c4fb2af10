"""Lessons 六, 八, 十一 and the TCP server (queue, producer-consumer, ticket-race, tcp-server).

Each test runs a lesson on a real server and checks its ``result`` *and* what the
server saw from outside: sampled states and PPIDs, lifecycle events, queue depths,
streamed lines, and (for the TCP server) the port afterwards.
"""

from __future__ import annotations

import re
import socket
from collections import Counter
from typing import Any

import pytest

from tests.client import Messages, Server, api, run_lesson

pytestmark = pytest.mark.integration

START_METHODS = ["fork", "spawn", "forkserver"]


RESULT_KEYS = {
    "queue": ("max_depth", "maxsize", "empty_raised", "order_kept"),
    "producer-consumer": ("produced", "consumed", "max_depth", "maxsize"),
    "ticket-race": ("tickets_at_start", "sold", "tickets_left", "lock"),
    "tcp-server": ("clients", "max_concurrent_handlers", "echo_ok"),
}


def lesson_result(got: Messages) -> dict[str, Any]:
    """The one ``result`` event's DESIGN keys (the harness may add bookkeeping like lineno)."""
    lesson = next(m["lesson"] for m in got.items if m["type"] == "run")
    data = got.result()
    assert set(RESULT_KEYS[lesson]) <= set(data), data
    return {k: data[k] for k in RESULT_KEYS[lesson]}


def pids_named(got: Messages, prefix: str) -> list[int]:
    return sorted(pid for pid, name in got.labels().items() if name.startswith(prefix))


def pid_of(got: Messages, label: str) -> int:
    pids = [pid for pid, name in got.labels().items() if name == label]
    assert len(pids) == 1, f"expected one process named {label!r}: {got.labels()}"
    return pids[0]


def tables(got: Messages) -> list[tuple[int, dict[int, dict[str, Any]]]]:
    """(position in the stream, process table as a viewer rebuilds it) after every message."""
    out = []
    table: dict[int, dict[str, Any]] = {}
    for i, m in enumerate(got.items):
        if m["type"] == "snapshot":
            table = {p["pid"]: p for p in m["processes"]}
        elif m["type"] == "delta":
            table = {**table, **{p["pid"]: p for p in m["changed"]}}
            for pid in m["removed"]:
                table.pop(pid, None)
        out.append((i, table))
    return out


def value_index(got: Messages, pid: int, name: str, val: Any) -> int:
    """Position of the first ``value`` event of ``pid`` setting ``name`` to ``val``."""
    for i, m in enumerate(got.items):
        if (
            m["type"] == "event"
            and m["kind"] == "value"
            and m["pid"] == pid
            and (m["data"]["name"], m["data"]["value"]) == (name, val)
        ):
            return i
    raise AssertionError(f"{pid} never set {name} = {val!r}")


def values(got: Messages, name: str) -> list[tuple[int, Any]]:
    return [
        (e["pid"], e["data"]["value"]) for e in got.events("value") if e["data"]["name"] == name
    ]


def alive(table: dict[int, dict[str, Any]], pid: int) -> bool:
    return pid in table and table[pid]["status"] != "zombie"


def child_of(table: dict[int, dict[str, Any]], pid: int, parent: int) -> bool:
    """In this table ``pid``'s parent is ``parent``, or a fork server that ``parent`` started."""
    ppid = table[pid]["ppid"]
    if ppid == parent:
        return True
    server = table.get(ppid)
    return server is not None and server["role"] == "forkserver" and server["ppid"] == parent


def is_line(m: dict[str, Any], pid: int, line: str) -> bool:
    if m["type"] != "event" or m["kind"] != "stdout":
        return False
    return bool(m["pid"] == pid and m["data"]["line"] == line)


def line_index(got: Messages, pid: int, line: str) -> int:
    """Position of the first ``stdout`` event of ``pid`` printing exactly ``line``."""
    for i, m in enumerate(got.items):
        if is_line(m, pid, line):
            return i
    raise AssertionError(f"{pid} never printed {line!r}: {got.lines(pid)}")


def assert_exited_cleanly(got: Messages, pids: list[int]) -> None:
    """Each process exited once, with code 0."""
    for pid in pids:
        codes = [e["data"]["exitcode"] for e in got.events("exit", pid)]
        assert codes == [0], (got.labels().get(pid), codes)


def assert_children_of(got: Messages, pids: list[int], parent: int) -> None:
    """Wherever the OS showed it while its parent lived, each of ``pids`` hung under ``parent``."""
    for pid in pids:
        # Once the parent has exited its fork server is adopted: not a fact about pid.
        seen = [t for _, t in tables(got) if pid in t and alive(t, parent)]
        bad = [
            (t[pid], t[parent], t.get(t[pid]["ppid"])) for t in seen if not child_of(t, pid, parent)
        ]
        assert seen and not bad, (got.labels().get(pid), bad[:1])


# 六 IPC机制 ------------------------------------------------------------------------


@pytest.mark.parametrize("start_method", START_METHODS)
def test_queue_fills_to_four_blocks_the_producer_and_comes_out_fifo(
    server: Server, start_method: str
) -> None:
    got = run_lesson(server, "queue", {"speed": 5, "start_method": start_method})
    assert lesson_result(got) == {
        "max_depth": 4,
        "maxsize": 4,
        "empty_raised": True,
        "order_kept": True,
    }
    root = got.root_pid()
    producer = pid_of(got, "Process-1")
    assert_children_of(got, [producer], root)
    depths = [e["data"]["depth"] for e in got.events("queue") if e["data"]["name"] == "q"]
    assert max(depths) == 4, depths  # never more than fits, and what the result says
    assert {e["data"]["maxsize"] for e in got.events("queue")} == {4}
    # The extra put really blocked, on q: the tracer said so, the OS showed it asleep.
    (blocked,) = [m for m in got.events("blocked", producer)]
    (unblocked,) = [m for m in got.events("unblocked", producer)]
    assert {k: blocked["data"][k] for k in ("on", "op", "kind")} == {
        "on": "q",
        "op": "put",
        "kind": "queue",
    }
    blocked_at, unblocked_at = got.items.index(blocked), got.items.index(unblocked)
    assert blocked_at < unblocked_at
    statuses = [
        t[producer]["status"]
        for i, t in tables(got)
        if blocked_at <= i < unblocked_at and producer in t
    ]
    assert "sleeping" in statuses, statuses
    # Main saw the queue full while the producer waited; FIFO; then Empty.
    full = line_index(got, root, "主 队列里有 4 个数据, q.full(): True")
    assert blocked_at < full < unblocked_at
    gets = [line for line in got.lines(root) if line.startswith("get ")]
    puts = [line for line in got.lines(producer) if line.startswith("put ")]
    assert gets == [f"get {i}" for i in range(1, 6)]
    assert puts == [f"put {i}" for i in range(1, 6)]
    assert line_index(got, producer, "put 4") < blocked_at < line_index(got, producer, "put 5")
    assert "queue.Empty raised" in got.lines(root)
    assert_exited_cleanly(got, [producer, root])


# 八 生产者消费者模型 ------------------------------------------------------------------


@pytest.mark.parametrize("start_method", START_METHODS)
def test_producer_consumer_fills_the_buffer_and_consumes_every_item_once(
    server: Server, start_method: str
) -> None:
    params = {
        "speed": 5,
        "start_method": start_method,
        "producers": 3,
        "consumers": 2,
        "items": 6,
        "produce_seconds": 0,  # producers outrun consumers: the buffer fills
        "consume_seconds": 0.5,
        "maxsize": 3,
    }
    got = run_lesson(server, "producer-consumer", params)
    assert lesson_result(got) == {"produced": 18, "consumed": 18, "max_depth": 3, "maxsize": 3}
    root = got.root_pid()
    # Process-1..3 are the producers p1..p3, Process-4..5 the consumers c1, c2.
    producers = [pid_of(got, f"Process-{i}") for i in (1, 2, 3)]
    consumers = [pid_of(got, f"Process-{i}") for i in (4, 5)]
    assert_children_of(got, producers + consumers, root)
    depths = [e["data"]["depth"] for e in got.events("queue") if e["data"]["name"] == "q"]
    assert max(depths) == 3, depths  # never more than fits, and what the result says
    # A producer on the full queue was marked blocked in put() on q.
    puts = [e["data"] for pid in producers for e in got.events("blocked", pid)]
    assert puts and all((d["on"], d["op"]) == ("q", "put") for d in puts), puts
    # Every item, by id, printed as produced once and consumed once, by its own kind.
    expected = Counter(f"p{n}-{i}" for n in (1, 2, 3) for i in range(6))
    produced = Counter(
        line.split(f"p{n}生产了")[1]
        for n, pid in enumerate(producers, 1)
        for line in got.lines(pid)
    )
    consumed = Counter(
        line.split(f"c{n}吃了")[1] for n, pid in enumerate(consumers, 1) for line in got.lines(pid)
    )
    assert produced == expected
    assert consumed == expected
    # The sentinels ended every process, and none is left in the table.
    assert_exited_cleanly(got, [*producers, *consumers, root])
    assert tables(got)[-1][1] == {}


# 十一 多进程数据错乱 ------------------------------------------------------------------


def success_lines(got: Messages) -> list[dict[str, Any]]:
    return [e for e in got.events("stdout") if re.fullmatch(r"用户\d+买票成功", e["data"]["line"])]


def buyers_by_number(got: Messages, buyers: list[int]) -> dict[int, int]:
    """Each buyer's number as it printed it (``用户3在查票 …``), by pid."""
    numbers = {}
    for pid in buyers:
        (line,) = [line for line in got.lines(pid) if "在查票" in line]
        found = re.fullmatch(r"用户(\d+)在查票 当前余票为:(\d+)", line)
        assert found, line
        numbers[pid] = int(found.group(1))
    return numbers


def assert_every_buyer_searched_then_bought_or_failed(got: Messages, buyers: list[int]) -> None:
    """Ten processes, numbered 0–9 in their prints; each checked, then won or lost, once."""
    numbers = buyers_by_number(got, buyers)
    assert sorted(numbers.values()) == list(range(len(buyers)))
    for pid, i in numbers.items():
        assert got.lines(pid)[1:] in ([f"用户{i}买票成功"], [f"用户{i}买票失败"]), got.lines(pid)


@pytest.mark.parametrize("start_method", START_METHODS)
def test_ticket_race_with_lock_sells_the_one_ticket_exactly_once(
    server: Server, start_method: str
) -> None:
    got = run_lesson(
        server, "ticket-race", {"speed": 5, "start_method": start_method, "lock": True}
    )
    assert lesson_result(got) == {"tickets_at_start": 1, "sold": 1, "tickets_left": 0, "lock": True}
    root = got.root_pid()
    buyers = pids_named(got, "Process-")
    assert len(buyers) == 10
    assert_children_of(got, buyers, root)
    assert_every_buyer_searched_then_bought_or_failed(got, buyers)
    (success,) = success_lines(got)
    # The one success went into the queue ``sold``: its depth went to 1 and no further.
    assert success["pid"] in buyers
    assert max(e["data"]["depth"] for e in got.events("queue") if e["data"]["name"] == "sold") == 1
    # Mutual exclusion seen from outside: each buyer holds the lock ``mutex`` in turn, never two.
    lock = [e for e in got.events("sync") if e["data"]["name"] == "mutex"]
    assert [e["data"]["op"] for e in lock] == ["acquire", "release"] * len(buyers)
    for took, gave in zip(lock[::2], lock[1::2], strict=True):
        assert took["pid"] == gave["pid"]
        assert (took["data"]["holders"], gave["data"]["holders"]) == (1, 0)
    assert sorted(e["pid"] for e in lock[::2]) == buyers
    # The buyer holding the lock when the first sale was printed is the one who sold.
    first = got.items.index(success)
    holder = [e["pid"] for e in lock[::2] if got.items.index(e) < first][-1]
    assert holder == success["pid"]
    assert got.lines(root) == ["一共卖出1张票 还剩0张"]
    assert_exited_cleanly(got, [*buyers, root])


@pytest.mark.parametrize("start_method", START_METHODS)
def test_ticket_race_without_lock_oversells(server: Server, start_method: str) -> None:
    # At speed 1 each buyer's network delay (1–3 s) outlasts the others' start-up.
    got = run_lesson(
        server, "ticket-race", {"speed": 1, "start_method": start_method, "lock": False}
    )
    result = lesson_result(got)
    assert result["sold"] > 1, result
    assert {k: result[k] for k in ("tickets_at_start", "tickets_left", "lock")} == {
        "tickets_at_start": 1,
        "tickets_left": 0,
        "lock": False,
    }
    root = got.root_pid()
    buyers = pids_named(got, "Process-")
    assert len(buyers) == 10
    assert_every_buyer_searched_then_bought_or_failed(got, buyers)
    # Every seller had read 1 and wrote 0: several "last" tickets sold from one.
    sellers = [e["pid"] for e in success_lines(got)]
    assert len(sellers) == len(set(sellers)) == result["sold"]
    assert set(sellers) <= set(buyers)
    sold = [e["data"]["depth"] for e in got.events("queue") if e["data"]["name"] == "sold"]
    assert max(sold) == result["sold"]
    assert [e for e in got.events("sync") if e["data"]["name"] == "mutex"] == []
    assert got.lines(root) == [f"一共卖出{result['sold']}张票 还剩0张"]
    assert_exited_cleanly(got, [*buyers, root])


def test_ticket_race_parameters_are_values_in_the_code_that_ran(server: Server) -> None:
    params = {"speed": 20, "buyers": 3, "tickets": 2, "lock": True}
    got = run_lesson(server, "ticket-race", params)
    assert lesson_result(got) == {"tickets_at_start": 2, "sold": 2, "tickets_left": 0, "lock": True}
    assert len(pids_named(got, "Process-")) == 3
    run_id = next(m["run"] for m in got.items if m["type"] == "run")
    program = api(server, "GET", f"/api/runs/{run_id}").json()["program"]
    code = program["files"]["main.py"]
    assert "tickets = 2  #" in code and "buyers = 3  #" in code and "use_lock = True  #" in code
    assert program["files"]["data.json"] == '{"ticket_num": 1}\n'


# 多进程实现TCP并发 ------------------------------------------------------------------


@pytest.mark.parametrize("start_method", START_METHODS)
def test_tcp_server_gives_each_client_its_own_handler_child(
    server: Server, start_method: str
) -> None:
    got = run_lesson(server, "tcp-server", {"speed": 5, "start_method": start_method})
    result = lesson_result(got)
    assert result["clients"] == 5 and result["echo_ok"] is True, result
    assert 2 <= result["max_concurrent_handlers"] <= 5, result
    root = got.root_pid()
    tcp = pid_of(got, "server")
    clients = pids_named(got, "client-")
    handlers = pids_named(got, "handler-")
    assert len(clients) == 5 and len(handlers) == 5
    assert_children_of(got, [tcp, *clients], root)
    assert_children_of(got, handlers, tcp)
    # At some sampled moment two or more live handlers hung under the server.
    live = [sum(1 for h in handlers if alive(t, h) and child_of(t, h, tcp)) for _, t in tables(got)]
    assert max(live) >= 2, live
    # Each client printed its own echoes, upper-cased, in order.
    for pid in clients:
        i = int(got.labels()[pid].removeprefix("client-"))
        assert got.lines(pid) == [f"client {i} got HELLO FROM CLIENT {i} #{j}" for j in range(3)]
    assert_exited_cleanly(got, [tcp, *clients, *handlers])
    # Nothing is left listening on the port the server chose.
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", "\n".join(got.lines(root)))
    assert found, got.lines(root)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=5).close()


# Parameters ----------------------------------------------------------------------


def test_lessons_are_listed_in_lecture_order_with_bounded_counts(server: Server) -> None:
    lessons = {lesson["id"]: lesson for lesson in api(server, "GET", "/api/lessons").json()}
    order = list(lessons)
    ids = ["queue", "producer-consumer", "ticket-race", "tcp-server"]
    assert sorted(ids, key=order.index) == ids
    assert lessons["queue"]["chapter"] == "六 IPC机制"
    assert lessons["producer-consumer"]["chapter"] == "八 生产者消费者模型"
    assert lessons["ticket-race"]["chapter"] == "十一 多进程数据错乱"
    assert lessons["tcp-server"]["chapter"] == "多进程实现TCP并发"
    for lesson, name in [
        ("producer-consumer", "producers"),
        ("producer-consumer", "consumers"),
        ("ticket-race", "buyers"),
        ("tcp-server", "clients"),
    ]:
        schema = lessons[lesson]["params"]["properties"][name]
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 1, 64)
    assert lessons["ticket-race"]["params"]["properties"]["lock"]["default"] is False


@pytest.mark.parametrize(
    ("lesson", "params", "field"),
    [
        ("tcp-server", {"clients": 65}, "params.clients"),
        ("tcp-server", {"clients": 0}, "params.clients"),
        ("producer-consumer", {"producers": 65}, "params.producers"),
        ("producer-consumer", {"consumers": 0}, "params.consumers"),
        ("producer-consumer", {"items": 501}, "params.items"),
        ("producer-consumer", {"consume_seconds": 6}, "params.consume_seconds"),
        ("producer-consumer", {"maxsize": 65}, "params.maxsize"),
        ("ticket-race", {"buyers": 65}, "params.buyers"),
        ("ticket-race", {"lock": "yes"}, "params.lock"),
        ("queue", {"maxsize": 5}, "params.maxsize"),  # Queue(4) is the lesson, not a knob
    ],
)
def test_bad_params_are_rejected_naming_the_field(
    server: Server, lesson: str, params: dict[str, Any], field: str
) -> None:
    before = api(server, "GET", "/api/runs").json()
    r = api(server, "POST", "/api/runs", json={"lesson": lesson, "params": params})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == field
    assert api(server, "GET", "/api/runs").json() == before
