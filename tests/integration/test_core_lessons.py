"""The four lessons of the first slice, checked by their result and by the OS truth."""

from __future__ import annotations

import pytest

from tests.client import Server, api, run_lesson
from workers import catalog

pytestmark = pytest.mark.integration


def test_zombie_child_is_sampled_as_zombie_then_reaped_and_removed(server: Server) -> None:
    got = run_lesson(server, "zombie", {"speed": 4})
    result = got.result()
    assert result["reaped_by_join"] is True
    assert result["zombie_seconds"] > 0.3  # parent_sleep 3 s at speed 4 ≈ 0.75 s
    root = got.root_pid()
    child = next(e["pid"] for e in got.events("spawn") if e["data"]["ppid"] == root)
    statuses = [p["status"] for p in got.records(child)]
    assert "zombie" in statuses, statuses
    kinds = [e["kind"] for e in got.items if e["type"] == "event" and e["pid"] == child]
    assert kinds.index("exit") < kinds.index("reap")
    # Removed from the table once reaped: the last frame does not hold it.
    frames = list(got.frames())
    zombie_frame = next(
        i for i, f in enumerate(frames) if f.get(child, {}).get("status") == "zombie"
    )
    assert any(child not in f for f in frames[zombie_frame:])
    assert got.events("exit", child)[0]["data"]["exitcode"] == 0


def test_orphan_is_adopted_by_the_server_and_its_sampled_ppid_changes(server: Server) -> None:
    got = run_lesson(server, "orphan", {"speed": 4})
    result = got.result()
    orphan = result["orphan_pid"]
    assert result["new_ppid"] == server.pid
    assert result["old_ppid"] != server.pid
    adopt = got.events("adopt", orphan)
    assert len(adopt) == 1
    assert adopt[0]["data"]["old_ppid"] == result["old_ppid"]
    assert adopt[0]["data"]["new_ppid"] == server.pid
    ppids = [p["ppid"] for p in got.records(orphan)]
    assert ppids[0] == result["old_ppid"] and ppids[-1] == server.pid
    # The server reaped the orphan it adopted.
    assert got.events("reap", orphan)


def test_join_serial_takes_about_twice_parallel(server: Server) -> None:
    got = run_lesson(server, "join", {"speed": 4})
    result = got.result()
    ratio = result["serial_seconds"] / result["parallel_seconds"]
    assert 1.5 < ratio < 2.6, result


@pytest.mark.parametrize("start_method", ["spawn"])
def test_create_process_streams_the_childrens_lines(server: Server, start_method: str) -> None:
    got = run_lesson(server, "create-process", {"speed": 5, "start_method": start_method})
    children = got.result()["children"]
    assert len(children) == 2
    for child in children:
        lines = got.lines(child["pid"])
        assert any(line.startswith("running") for line in lines), lines
        assert any(line.startswith("over") for line in lines), lines
        # Each child's lines arrive in the order it printed them.
        running = next(i for i, line in enumerate(lines) if line.startswith("running"))
        over = next(i for i, line in enumerate(lines) if line.startswith("over"))
        assert running < over


# The DESIGN table's twelve lessons, in lecture order.
LESSON_IDS = list(catalog.ORDER)


@pytest.mark.parametrize("lesson", LESSON_IDS)
def test_every_lesson_reports_exactly_its_result_keys(server: Server, lesson: str) -> None:
    listed = {item["id"]: item for item in api(server, "GET", "/api/lessons").json()}
    assert list(listed) == LESSON_IDS  # lecture order
    got = run_lesson(server, lesson, {"speed": 10})
    assert sorted(got.result()) == sorted(listed[lesson]["result_keys"])
