"""Lessons 一 to 九 (sync-async, create-process, join, isolation, process-methods, daemon).

Each test runs a lesson on a real server and checks its ``result`` *and* what the
server saw from outside: sampled PPIDs and states, lifecycle events, streamed lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import Messages, Server, run_lesson

pytestmark = pytest.mark.integration

START_METHODS = ["fork", "spawn", "forkserver"]


def result(got: Messages, *keys: str) -> dict[str, Any]:
    """The lesson's result, reduced to the DESIGN table's keys (events also carry ``lineno``)."""
    data = got.result()
    missing = set(keys) - set(data)
    assert not missing, f"result lacks {missing}: {data}"
    return {k: data[k] for k in keys}


def pid_of(got: Messages, label: str) -> int:
    pids = [pid for pid, name in got.labels().items() if name == label]
    assert len(pids) == 1, f"expected one process named {label!r}: {got.labels()}"
    return pids[0]


def is_event(m: dict[str, Any], kind: str, pid: int, name: str | None = None) -> bool:
    """``m`` is a ``kind`` event about ``pid`` (for a value: named ``name``)."""
    if m["type"] != "event" or m["kind"] != kind or m["pid"] != pid:
        return False
    return name is None or m["data"].get("name") == name


def index(got: Messages, kind: str, pid: int) -> int:
    """Position in the stream of the first ``kind`` event about ``pid``."""
    for i, m in enumerate(got.items):
        if is_event(m, kind, pid):
            return i
    raise AssertionError(f"no {kind} event for {pid}")


def ppids(got: Messages, pid: int) -> set[int]:
    records = got.records(pid)
    assert records, f"process {pid} was never sampled"
    return {p["ppid"] for p in records}


def role(got: Messages, pid: int) -> str:
    return str(got.records(pid)[-1]["role"])


def os_parent_is(got: Messages, pid: int, parent: int, start_method: str) -> bool:
    """The sampled PPID is ``parent``, or under forkserver a fork server that ``parent`` owns."""
    (ppid,) = ppids(got, pid)
    if start_method != "forkserver":
        return ppid == parent
    # The fork server may be adopted by the server later, once ``parent`` has exited.
    return role(got, ppid) == "forkserver" and parent in ppids(got, ppid)


def alive_counts(got: Messages, labels: set[str]) -> list[int]:
    """How many processes labelled one of ``labels`` exist after each spawn/exit event."""
    names = got.labels()
    alive: set[int] = set()
    counts = []
    for m in got.events():
        if names.get(m["pid"], "") not in labels:
            continue
        if m["kind"] == "spawn":
            alive.add(m["pid"])
        elif m["kind"] == "exit":
            alive.discard(m["pid"])
        else:
            continue
        counts.append(len(alive))
    return counts


def phase_frames(got: Messages, phase: str) -> list[dict[int, dict[str, Any]]]:
    """The process tables sampled while the root's ``phase`` value named ``phase``."""
    root = got.root_pid()
    current = ""
    out = []
    table: dict[int, dict[str, Any]] = {}
    for m in got.items:
        if m["type"] == "event" and m["kind"] == "value" and m["pid"] == root:
            if m["data"]["name"] == "phase":
                current = m["data"]["value"]
        elif m["type"] == "snapshot":
            table = {p["pid"]: p for p in m["processes"]}
        elif m["type"] == "delta":
            table = {**table, **{p["pid"]: p for p in m["changed"]}}
            for pid in m["removed"]:
                table.pop(pid, None)
        else:
            continue
        if m["type"] in ("snapshot", "delta") and current == phase:
            out.append(table)
    return out


@pytest.mark.parametrize("start_method", START_METHODS)
def test_create_process_both_ways_give_real_children_that_stream_their_lines(
    server: Server, start_method: str
) -> None:
    got = run_lesson(server, "create-process", {"speed": 5, "start_method": start_method})
    children = result(got, "children")["children"]
    assert [c["name"] for c in children] == ["Process-1", "MyProcess-2"]
    root = got.root_pid()
    for child, who in zip(children, ("jia", "yi"), strict=True):
        pid = child["pid"]
        # The OS agrees with what the parent said: its sampled name and parent.
        assert got.labels()[pid] == child["name"]
        assert child["ppid"] == root
        assert os_parent_is(got, pid, root, start_method)
        lines = got.lines(pid)
        assert f"running {who}" in lines and f"over {who}" in lines, lines
        assert lines.index(f"running {who}") < lines.index(f"over {who}")
        assert got.events("exit", pid) and got.events("reap", pid)


def test_join_children_overlap_in_the_parallel_phase_and_never_in_the_serial_one(
    server: Server,
) -> None:
    got = run_lesson(server, "join", {"speed": 5})
    seconds = result(got, "serial_seconds", "parallel_seconds")
    # Lower bounds only: the sleeps add up to 6 s and 3 s, at speed 5.
    assert seconds["serial_seconds"] >= 1.2
    assert seconds["parallel_seconds"] >= 0.6
    assert seconds["serial_seconds"] > seconds["parallel_seconds"]
    root = got.root_pid()
    # Process-1..3 are started and joined one by one, Process-4..6 all at once.
    serial = {f"Process-{i}" for i in (1, 2, 3)}
    parallel = {f"Process-{i}" for i in (4, 5, 6)}
    for name in sorted(serial | parallel):
        pid = pid_of(got, name)
        assert ppids(got, pid) == {root}
        assert got.events("exit", pid), f"{name} never exited"
        i = (int(name.removeprefix("Process-")) - 1) % 3 + 1
        assert got.lines(pid) == [f"jason{i} is running", f"jason{i} is over"]
    # From the server's own spawn/exit events: one at a time, then three at once.
    assert max(alive_counts(got, serial)) == 1
    assert max(alive_counts(got, parallel)) == 3
    for earlier, later in (("Process-1", "Process-2"), ("Process-2", "Process-3")):
        assert index(got, "exit", pid_of(got, earlier)) < index(got, "spawn", pid_of(got, later))


@pytest.mark.parametrize("start_method", START_METHODS)
def test_isolation_child_and_parent_show_their_own_money_at_the_same_time(
    server: Server, start_method: str
) -> None:
    got = run_lesson(server, "isolation", {"speed": 5, "start_method": start_method})
    assert result(got, "parent_money", "child_money") == {"parent_money": 1000, "child_money": 99}
    root = got.root_pid()
    child = pid_of(got, "Process-1")
    assert child != root
    assert os_parent_is(got, child, root, start_method)
    money = [e for e in got.events("value") if e["data"]["name"] == "money"]
    # The child's copy started as the parent's, then became 99; the parent's stayed 1000.
    assert [e["data"]["value"] for e in money if e["pid"] == child][-1] == 99
    assert {e["data"]["value"] for e in money if e["pid"] == child} <= {1000, 99}
    assert {e["data"]["value"] for e in money if e["pid"] == root} == {1000}
    assert got.lines(child) == ["子进程 money: 99"]
    # The parent prints its 1000 after the child's 99 and while the child still exists.
    child_99 = next(
        i
        for i, m in enumerate(got.items)
        if is_event(m, "value", child, "money") and m["data"]["value"] == 99
    )
    printed = next(
        i
        for i, m in enumerate(got.items)
        if is_event(m, "stdout", root) and m["data"]["line"] == "主进程 money: 1000"
    )
    assert child_99 < printed < index(got, "exit", child)


def test_process_methods_pids_agree_and_terminate_kills_the_sleeping_child(
    server: Server,
) -> None:
    got = run_lesson(server, "process-methods", {"speed": 5})
    keys = ("pid_matches", "alive_before", "alive_after", "exitcode")
    assert result(got, *keys) == {
        "pid_matches": True,
        "alive_before": True,
        "alive_after": False,
        "exitcode": -15,
    }
    root = got.root_pid()
    child = pid_of(got, "Process-1")
    # What the child printed about itself matches what the OS showed from outside.
    lines = got.lines(child)
    assert f"子 current_process().pid = {child}" in lines
    assert f"子 os.getpid() = {child}" in lines
    assert f"子 os.getppid() = {root}" in lines
    assert ppids(got, child) == {root}
    assert f"主 os.getpid() = {root}, p.pid = {child}" in got.lines(root)
    # Sampled alive (not a zombie) before terminate(); killed in its sleep, then reaped.
    assert any(p["status"] != "zombie" for p in got.records(child))
    assert "子 这句不会打印: 睡觉时就被杀死了" not in lines
    assert len(got.events("exit", child)) == 1
    assert got.events("reap", child)
    assert index(got, "exit", child) < index(got, "exit", root)


def test_process_methods_terminated_child_exit_event_carries_minus_15(server: Server) -> None:
    got = run_lesson(server, "process-methods", {"speed": 5})
    child = pid_of(got, "Process-1")
    assert [e["data"]["exitcode"] for e in got.events("exit", child)] == [-15]


@pytest.mark.parametrize("start_method", START_METHODS)
def test_daemon_is_gone_by_the_time_its_parent_exits_and_never_prints_its_second_line(
    server: Server, start_method: str
) -> None:
    # At speed 2 the emperor lives 1 s: time enough for a spawned steward to say it is alive.
    got = run_lesson(server, "daemon", {"speed": 2, "start_method": start_method})
    assert result(got, "daemon_finished", "daemon_alive_after_parent") == {
        "daemon_finished": False,
        "daemon_alive_after_parent": False,
    }
    parent = pid_of(got, "Process-1")  # the emperor
    daemon = pid_of(got, "Process-1:1")  # his steward
    assert os_parent_is(got, daemon, parent, start_method)
    lines = got.lines(daemon)
    assert any("总管正在活着" in line for line in lines), lines
    assert not any("总管正常死亡" in line for line in lines), lines
    # The daemon's exit is seen before its parent's, and it is never sampled alive after.
    parent_exit = index(got, "exit", parent)
    assert index(got, "exit", daemon) < parent_exit
    later = [
        p
        for m in got.items[parent_exit:]
        for p in m.get("processes", []) + m.get("changed", [])
        if p["pid"] == daemon
    ]
    assert all(p["status"] == "zombie" for p in later), later


def test_sync_async_main_blocks_then_works_while_the_pool_serves_it(server: Server) -> None:
    got = run_lesson(server, "sync-async", {"speed": 5})
    found = result(got, "sync_seconds", "async_seconds", "main_work_done_while_waiting")
    # task_seconds 2 at speed 5: neither way can be faster than the teller.
    assert found["sync_seconds"] >= 0.4
    assert found["async_seconds"] >= 0.4
    assert found["main_work_done_while_waiting"] > 0
    root = got.root_pid()
    root_lines = got.lines(root)
    for combination in ("同步阻塞", "同步非阻塞", "异步阻塞", "异步非阻塞"):
        assert any(combination in line for line in root_lines), combination
    # The teller is another process: the pool's worker, a child of the root.
    serving = next(e for e in got.events("stdout") if "serving customer-4" in e["data"]["line"])
    teller = serving["pid"]
    assert teller != root
    assert got.labels()[teller].endswith("PoolWorker-1")
    assert ppids(got, teller) == {root}
    # While the teller served customer-4, main did units of its own work before the callback.
    start = got.items.index(serving)
    callback = next(
        i
        for i, m in enumerate(got.items)
        if is_event(m, "stdout", root) and m["data"]["line"].startswith("4 叫号 callback")
    )
    work = [m for m in got.items[start:callback] if is_event(m, "value", root, "work_done")]
    assert work, "main reported no work while the async task ran"
    # Sampled by the server: main sleeps while blocked, runs on the CPU while not.
    blocked = [
        f[root]["status"] for f in phase_frames(got, "同步阻塞 sync + blocking") if root in f
    ]
    working = [
        f[root]["status"] for f in phase_frames(got, "异步非阻塞 async + non-blocking") if root in f
    ]
    assert "sleeping" in blocked, blocked
    assert "running" in working, working
