"""The tracer on real programs: run through ``python -m workers.trace.script``, events asserted."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.tracing import PROGRAMS, Traced, trace_run

METHODS = ["fork", "spawn", "forkserver"]


def lineno_of(program: str, text: str) -> int:
    lines = (PROGRAMS / program).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def only_child(got: Traced, role: str = "child") -> int:
    pids = {e["pid"] for e in got.of("spawn") if e["data"].get("role") == role}
    assert len(pids) == 1, got.of("spawn")
    return pids.pop()


def assert_clean_exit(got: Traced, code: int = 0) -> None:
    assert got.returncode == code, (got.stderr, got.lines("stderr"))
    assert not got.stdout, got.stdout  # all output went through the tracer


@pytest.mark.parametrize("method", METHODS)
def test_trace_isolation_each_process_shows_its_own_money(method: str) -> None:
    got = trace_run("money.py", start_method=method)
    assert_clean_exit(got)
    child = only_child(got)
    money = [e for e in got.of("value") if e["data"]["name"] == "money"]
    assert {e["data"]["value"] for e in money if e["pid"] == got.root} == {1000}
    assert money[-1]["pid"] == got.root or 99 in {
        e["data"]["value"] for e in money if e["pid"] == child
    }
    assert [e["data"]["value"] for e in money if e["pid"] == child][-1] == 99
    assert got.lines(pid=child) == ["子进程 99"]
    assert got.lines(pid=got.root) == ["主进程 1000"]
    # The child's 99 is reported before the line that prints it.
    kinds = [(e["kind"], e["data"].get("value")) for e in got.events if e["pid"] == child]
    assert kinds.index(("value", 99)) < kinds.index(("stdout", None))


@pytest.mark.parametrize("method", METHODS)
def test_trace_lifecycle_spawn_exiting_reap_for_each_child(method: str) -> None:
    got = trace_run("money.py", start_method=method)
    child = only_child(got)
    spawn = got.of("spawn", child)[0]["data"]
    assert spawn["ppid"] == got.root and spawn["label"] == "Process-1"
    assert [e["data"]["exitcode"] for e in got.of("exiting", child)] == [0]
    reap = got.of("reap", child)
    assert len(reap) == 1 and reap[0]["data"]["exitcode"] == 0
    helpers = {e["data"]["role"] for e in got.of("spawn")} - {"child"}
    assert helpers == {"fork": set(), "spawn": {"resource_tracker"}}.get(
        method, {"resource_tracker", "forkserver"}
    )


@pytest.mark.parametrize("method", METHODS)
def test_trace_pool_map_workers_and_tasks(method: str) -> None:
    got = trace_run("pool_map.py", start_method=method)
    assert_clean_exit(got)
    assert got.lines(pid=got.root) == [f"sum {sum(x * x for x in range(40))} one 49"]
    workers = {e["pid"] for e in got.of("spawn") if e["data"]["role"] == "pool-worker"}
    assert len(workers) == 2
    tasks = got.of("task")
    assert {e["data"]["fn"] for e in tasks} == {"square"}
    assert {e["data"]["state"] for e in tasks if e["pid"] == got.root} == {"submitted"}
    assert {e["data"]["state"] for e in tasks if e["pid"] in workers} == {"running", "done"}
    # 8 chunks of map() and one apply_async(): every one is counted (coalesced or not).
    for state in ("submitted", "done"):
        counted = [e for e in tasks if e["data"]["state"] == state]
        assert sum(e["data"].get("coalesced", 1) for e in counted) == 9, state


@pytest.mark.parametrize("method", METHODS)
def test_trace_process_pool_executor_workers_and_tasks(method: str) -> None:
    got = trace_run("executor.py", start_method=method)
    assert_clean_exit(got)
    assert got.lines(pid=got.root) == ["total 225 mapped [0, 1, 8, 27]"]
    workers = {e["pid"] for e in got.of("spawn") if e["data"]["role"] == "pool-worker"}
    assert 1 <= len(workers) <= 2
    done = [e for e in got.of("task") if e["data"]["state"] == "done"]
    assert {e["pid"] for e in done} <= workers
    assert {e["data"]["fn"] for e in got.of("task")} == {"cube"}
    # 6 submits, and map() sends each of its 4 items as a chunk of its own.
    assert sum(e["data"].get("coalesced", 1) for e in done) == 6 + 4


def test_trace_os_fork_child_announces_itself_and_exits_and_is_reaped() -> None:
    got = trace_run("fork_wait.py")
    assert_clean_exit(got)
    child = only_child(got)
    spawn = got.of("spawn", child)
    assert spawn[0]["data"] == {**spawn[0]["data"], "ppid": got.root, "label": "fork"}
    assert got.events.index(spawn[0]) < got.events.index(got.of("stdout", child)[0])
    assert [e["data"]["exitcode"] for e in got.of("exiting", child)] == [3]
    assert [e["data"]["exitcode"] for e in got.of("reap", child)] == [3]
    assert got.lines(pid=got.root) == [f"parent reaped {child} code 3"]


def test_trace_os_fork_child_ending_with_sys_exit_says_its_code() -> None:
    got = trace_run("fork_return.py")
    assert_clean_exit(got)
    child = only_child(got)
    assert [e["data"]["exitcode"] for e in got.of("exiting", child)] == [5]
    assert got.lines(pid=got.root) == ["parent reaped code 5"]


@pytest.mark.parametrize("method", METHODS)
def test_trace_pipe_sends_and_receives_counted(method: str) -> None:
    got = trace_run("pipe.py", start_method=method)
    assert_clean_exit(got)
    child = only_child(got)
    assert got.lines(pid=got.root) == [f"got {2 * i}" for i in range(5)]
    last = {e["pid"]: e["data"] for e in got.of("pipe")}
    assert last[got.root]["name"] == "left" and last[child]["name"] == "right"
    assert (last[got.root]["sends"], last[got.root]["recvs"]) == (5, 5)
    assert (last[child]["sends"], last[child]["recvs"]) == (5, 5)


@pytest.mark.parametrize("method", METHODS)
def test_trace_lock_and_value(method: str) -> None:
    got = trace_run("lock_value.py", start_method=method)
    assert_clean_exit(got)
    assert got.lines(pid=got.root) == ["counter 600"]
    children = got.children()
    sync = got.of("sync")
    assert {e["data"]["name"] for e in sync} == {"lock"}
    assert {e["pid"] for e in sync} == children
    for pid in children:  # each child's last word on the lock: it let go
        assert [e for e in sync if e["pid"] == pid][-1]["data"]["op"] == "release"


@pytest.mark.parametrize("method", METHODS)
def test_trace_exception_in_a_child_is_an_error_and_stderr(method: str) -> None:
    got = trace_run("child_error.py", start_method=method)
    assert_clean_exit(got)
    child = only_child(got)
    (error,) = got.of("error", child)
    assert error["data"] == {
        "type": "ValueError",
        "message": "boom in the child",
        "filename": "child_error.py",
        "lineno": lineno_of("child_error.py", "raise ValueError"),
    }
    stderr = got.lines("stderr", child)
    assert stderr[-1] == "ValueError: boom in the child"
    assert not any("workers/trace" in line for line in stderr), stderr
    assert [e["data"]["exitcode"] for e in got.of("reap", child)] == [1]
    assert got.lines(pid=got.root) == ["child exit code 1"]


def test_trace_uncaught_exception_in_the_script_exits_1_with_its_traceback() -> None:
    got = trace_run("root_error.py")
    assert_clean_exit(got, 1)
    (error,) = got.of("error")
    assert error["data"]["type"] == "ZeroDivisionError"
    assert error["data"]["lineno"] == lineno_of("root_error.py", "return a / b")
    stderr = got.lines("stderr")
    assert stderr[0] == "Traceback (most recent call last):"
    assert stderr[-1] == "ZeroDivisionError: division by zero"
    assert not any("runpy" in line or "workers/trace" in line for line in stderr), stderr


def test_trace_syntax_error_exits_2_before_anything_runs() -> None:
    got = trace_run("syntax_error.py")
    assert got.returncode == 2
    assert got.lines() == []  # its first line never ran
    (message,) = got.lines("stderr")
    assert "syntax_error.py" in message and "line 3, column 12" in message


def test_trace_missing_or_non_python_script_exits_2(tmp_path: Path) -> None:
    missing = trace_run(tmp_path / "nope.py")
    assert missing.returncode == 2 and "no such script" in missing.lines("stderr")[0]
    text = tmp_path / "notes.txt"
    text.write_text("print('hi')\n")
    other = trace_run(text)
    assert other.returncode == 2 and "not a Python script" in other.lines("stderr")[0]


@pytest.mark.parametrize("method", METHODS)
def test_trace_bounded_queue_depth_and_a_producer_blocked_in_put(method: str) -> None:
    got = trace_run("bounded_queue.py", start_method=method)
    assert_clean_exit(got)
    consumer = only_child(got)
    blocked = got.of("blocked", got.root)
    assert blocked and {e["data"]["on"] for e in blocked} == {"q"}
    assert {(e["data"]["op"], e["data"]["kind"]) for e in blocked} == {("put", "queue")}
    assert len(got.of("unblocked", got.root)) == len(blocked)
    assert not got.of("blocked", consumer)  # the queue was never empty when it got
    queue = got.of("queue")
    assert {(e["data"]["name"], e["data"]["maxsize"]) for e in queue} == {("q", 3)}
    # Each qsize() the program printed is the depth it last reported before the line,
    # unless the other process changed the queue in between: then that change is reported.
    printed = re.compile(r"(?:put|got) \d+ qsize (\d+)")
    checked = 0
    for line in got.of("stdout"):
        if not (m := printed.match(line["data"]["line"])):
            continue
        own = [e for e in queue if e["pid"] == line["pid"] and e["t"] <= line["t"]][-1]
        others = [
            e["data"]["depth"]
            for e in queue
            if e["pid"] != line["pid"] and own["t"] - 0.01 <= e["t"] <= line["t"] + 0.05
        ]
        assert int(m.group(1)) in [own["data"]["depth"], *others], (line, own, others)
        checked += 1
    assert checked == 12


@pytest.mark.parametrize("method", METHODS)
def test_trace_lock_holder_and_the_one_waiting(method: str) -> None:
    got = trace_run("lock_holder.py", start_method=method)
    assert_clean_exit(got)
    holder = next(e["pid"] for e in got.of("stdout") if e["data"]["line"] == "holding")
    waiter = (got.children() - {holder}) & {e["pid"] for e in got.of("stdout")}
    (waiter_pid,) = waiter
    first = got.of("sync")[0]
    assert (first["pid"], first["data"]["op"], first["data"]["holders"]) == (holder, "acquire", 1)
    (blocked,) = got.of("blocked", waiter_pid)
    assert blocked["data"] == {
        "on": "lock",
        "op": "acquire",
        "kind": "lock",
        "lineno": lineno_of("lock_holder.py", "lock.acquire()"),
    }
    (unblocked,) = got.of("unblocked", waiter_pid)
    release = next(e for e in got.of("sync", holder) if e["data"]["op"] == "release")
    # The holder's release arrives before the waiter says it got the lock.
    assert got.events.index(release) < got.events.index(unblocked)


def test_trace_ticket_race_from_the_lecture(tmp_path: Path) -> None:
    shutil.copy(PROGRAMS / "ticket_race.py", tmp_path)
    (tmp_path / "data.json").write_text(json.dumps({"ticket_num": 1}))
    got = trace_run(tmp_path / "ticket_race.py", cwd=tmp_path, speed=20)
    assert_clean_exit(got)
    buyers = got.children()
    assert len(buyers) == 10
    lines = got.lines()
    assert sorted(line for line in lines if "查票" in line) == sorted(
        f"用户{i}在查票 当前余票为:1" for i in range(10)
    )
    assert len([line for line in lines if line.endswith("买票成功")]) == 1
    assert len([line for line in lines if line.endswith("买票失败")]) == 9
    assert json.loads((tmp_path / "data.json").read_text()) == {"ticket_num": 0}
    acquires = [e for e in got.of("sync") if e["data"]["op"] == "acquire"]
    assert {e["data"]["name"] for e in acquires} == {"mutex"} and len(acquires) == 10
    assert {e["pid"] for e in acquires} == buyers
    assert all(len(got.of("exiting", pid)) == 1 for pid in buyers)


def test_trace_line_sampled_in_a_compute_loop_and_a_sleep() -> None:
    started = time.monotonic()
    got = trace_run("busy_line.py", speed=4)
    elapsed = time.monotonic() - started
    assert_clean_exit(got)
    lines = [(e["data"]["lineno"], e["data"]["filename"]) for e in got.of("line")]
    assert (lineno_of("busy_line.py", "total += 1"), "busy_line.py") in lines or (
        lineno_of("busy_line.py", "while time.time()"),
        "busy_line.py",
    ) in lines
    assert (lineno_of("busy_line.py", "time.sleep(2)"), "busy_line.py") in lines
    assert elapsed < 1.5 + 2 - 0.2  # the 2 s sleep took 0.5 s at speed 4


def test_trace_subprocess_python_announced_and_its_captured_output_left_alone() -> None:
    got = trace_run("subprocess_child.py")
    assert_clean_exit(got)
    child = only_child(got, role="subprocess")
    assert got.of("spawn", child)[0]["data"]["label"].startswith("python")
    assert got.lines(pid=got.root) == ["child said hi from a subprocess"]
    assert [e["data"]["exitcode"] for e in got.of("reap", child)] == [0]


def test_an_idle_process_is_looked_at_less_and_a_wait_wakes_its_sampler() -> None:
    got = trace_run("rest_then_wait.py")
    assert got.returncode == 0, got.stderr
    (child,) = got.children()
    # 1.5 s of sleep: at a tick every 25 ms the sampler thread would wake ~60 times; resting,
    # it looks every 0.2 s (about 8). Counted by the kernel, from /proc, in the parent.
    (wakeups,) = [int(line.split()[1]) for line in got.lines() if line.startswith("WAKEUPS")]
    assert wakeups <= 20, wakeups
    # Resting did not hide what came after: the wait that began is reported where it is,
    # and the line the child went on to.
    get_line = lineno_of("rest_then_wait.py", "q.get()")
    blocked = got.of("blocked", child)
    assert [(e["data"]["op"], e["data"].get("lineno")) for e in blocked] == [("get", get_line)]
    assert got.of("unblocked", child)
    assert get_line in {e["data"]["lineno"] for e in got.of("line", child)}
    assert "got it" in got.lines(pid=child)
