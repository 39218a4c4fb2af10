"""九 守护进程: a daemon child is killed the moment its parent process ends."""

from __future__ import annotations

import os
from multiprocessing import Event, Process, Queue
from multiprocessing.synchronize import Event as EventType
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep

LESSON = Lesson(
    id="daemon",
    chapter="九 守护进程",
    title={"en": "Daemon processes", "zh": "守护进程"},
    summary={
        "en": "p.daemon = True: the child prints its first line, then dies with its parent; "
        "its second line never appears.",
        "zh": "p.daemon = True：子进程打印第一行，随后随父进程一起结束；第二行永远不会出现。",
    },
    watch={
        "en": "The daemon's node disappears together with its parent, in the middle of its sleep.",
        "zh": "守护进程的节点在睡眠中途与父进程一同消失。",
    },
    punchline={
        "en": "When a process ends, multiprocessing terminates its daemon children: "
        "they live only as long as their parent.",
        "zh": "进程结束时，multiprocessing 会终止它的守护子进程：守护进程与父进程同生共死。",
    },
    result_keys=("daemon_finished", "daemon_alive_after_parent"),
    params=(
        # The daemon always outlives its parent's lifetime: that is the lesson.
        Param(
            "parent_seconds",
            "number",
            2.0,
            {"en": "How long the parent lives (s).", "zh": "父进程活多久（秒）。"},
            0.5,
            5,
        ),
        Param(
            "daemon_seconds",
            "number",
            10.0,
            {"en": "How long the daemon would sleep (s).", "zh": "守护进程本要睡多久（秒）。"},
            6,
            60,
        ),
    ),
)


def guard(seconds: float, on_duty: EventType, finished: EventType) -> None:
    print("守护 daemon: 总管正在活着 (the steward is alive)")
    on_duty.set()
    sleep(seconds)
    print("守护 daemon: 总管正常死亡 (the steward dies of old age)")  # never printed
    finished.set()


def parent(
    report: Queue, finished: EventType, parent_seconds: float, daemon_seconds: float
) -> None:
    on_duty = Event()
    p = Process(target=guard, args=(daemon_seconds, on_duty, finished), name="daemon")
    p.daemon = True  # must be set before start()
    p.start()
    report.put(p.pid)
    on_duty.wait()  # a spawned child takes a while to start: let it print its first line
    sleep(parent_seconds)
    print("父 parent: 皇帝寿终正寝 (the emperor dies); returning now")
    print("父 parent: multiprocessing will terminate my daemon child as I exit")
    # Returning ends this process: multiprocessing's exit handler terminates
    # every daemon child (SIGTERM) and joins it, so its second line never comes.


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # even a zombie would still exist
    except ProcessLookupError:
        return False
    return True


def main(params: dict[str, Any]) -> None:
    report: Queue = Queue()
    finished = Event()
    args = (report, finished, params["parent_seconds"], params["daemon_seconds"])
    p = Process(target=parent, args=args, name="parent")
    p.start()
    daemon_pid = report.get()
    p.join()  # the parent has ended
    alive = exists(daemon_pid)
    print(f"主 main: the parent has exited; daemon {daemon_pid} still exists: {alive}")
    print(f"主 main: the daemon finished its sleep: {finished.is_set()}")
    if not finished.is_set():
        print("主 main: its second line never appeared: it was terminated when its parent ended")
    result(daemon_finished=finished.is_set(), daemon_alive_after_parent=alive)


if __name__ == "__main__":
    from workers.run import standalone

    standalone("daemon")
