"""七 进程对象诸多方法: current_process().pid, os.getpid(), os.getppid(), is_alive(), terminate()"""

from __future__ import annotations

import os
from multiprocessing import Process, Queue, current_process
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep

LESSON = Lesson(
    id="process-methods",
    chapter="七 进程对象诸多方法",
    title={"en": "Methods of a process object", "zh": "进程对象的诸多方法"},
    summary={
        "en": "current_process().pid, os.getpid(), os.getppid(); is_alive() before and after "
        "terminate(); the exit code terminate() leaves.",
        "zh": "current_process().pid、os.getpid()、os.getppid()；terminate() 前后的 is_alive()；"
        "terminate() 留下的退出码。",
    },
    watch={
        "en": "The child sleeps until terminate() asks the OS to kill it; "
        "it exits with -15 (SIGTERM).",
        "zh": "子进程一直睡，直到 terminate() 请操作系统杀死它；退出码为 -15（SIGTERM）。",
    },
    punchline={
        "en": "terminate() sends SIGTERM; only join() (waitpid) tells you it is dead "
        "and how it died.",
        "zh": "terminate() 只是发出 SIGTERM；join()（waitpid）之后才确定它死了、怎么死的。",
    },
    result_keys=("pid_matches", "alive_before", "alive_after", "exitcode"),
    params=(
        Param(
            "child_sleep",
            "number",
            30.0,
            {"en": "How long the child would sleep (s).", "zh": "子进程本要睡多久（秒）。"},
            5,
            60,
        ),
    ),
)


def task(report: Queue, seconds: float) -> None:
    print(f"子 current_process().pid = {current_process().pid}")
    print(f"子 os.getpid() = {os.getpid()}")
    print(f"子 os.getppid() = {os.getppid()}")
    report.put((current_process().pid, os.getpid(), os.getppid()))
    sleep(seconds)  # terminate() ends this long before it is over
    print("子 never printed: terminated while sleeping")


def main(params: dict[str, Any]) -> None:
    report: Queue = Queue()
    p = Process(target=task, args=(report, params["child_sleep"]))
    p.start()
    print(f"主 current_process().pid = {current_process().pid}")
    print(f"主 os.getpid() = {os.getpid()}, p.pid = {p.pid}")
    child_current, child_getpid, child_ppid = report.get()  # the child is up and sleeping
    pid_matches = child_current == child_getpid == p.pid
    if child_ppid != os.getpid():
        print(f"主 the child's OS parent is {child_ppid}, the fork server, not me")
    sleep(1)

    alive_before = p.is_alive()
    print(f"主 p.is_alive() before terminate() = {alive_before}")
    p.terminate()  # ask the OS to kill the child (SIGTERM); it does not wait
    print(f"主 p.is_alive() right after terminate() = {p.is_alive()} (terminate() does not wait)")
    p.join()  # wait until it is really gone
    alive_after = p.is_alive()
    print(f"主 p.is_alive() after join() = {alive_after}; p.exitcode = {p.exitcode}")
    result(
        pid_matches=pid_matches,
        alive_before=alive_before,
        alive_after=alive_after,
        exitcode=p.exitcode,
    )


if __name__ == "__main__":
    from workers.run import standalone

    standalone("process-methods")
