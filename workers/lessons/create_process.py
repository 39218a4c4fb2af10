"""三 创建进程: two ways to create a process — Process(target=...) and a Process subclass."""

from __future__ import annotations

import os
from multiprocessing import Process, Queue, current_process
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep

LESSON = Lesson(
    id="create-process",
    chapter="三 创建进程",
    title={"en": "Creating processes", "zh": "创建进程"},
    summary={
        "en": "Both ways: Process(target=task, args=('jia',)) and a Process subclass with run().",
        "zh": "两种方式：Process(target=task, args=('jia',)) 和重写 run() 的 Process 子类。",
    },
    watch={
        "en": "Two children appear under the main process; each prints running … over.",
        "zh": "主进程下面出现两个子进程，各自打印 running … over。",
    },
    punchline={
        "en": "start() asks the OS for a new process; main goes on at once, without waiting.",
        "zh": "start() 只是请操作系统创建一个新进程；主进程立刻往下走，不等子进程。",
    },
    result_keys=("children",),
    params=(
        Param(
            "seconds",
            "number",
            3.0,
            {"en": "How long each child sleeps (s).", "zh": "每个子进程睡多久（秒）。"},
            0.1,
            30,
        ),
    ),
)


def report(children: Queue) -> None:
    # Each child tells the parent who it is, as it sees itself.
    children.put({"pid": os.getpid(), "ppid": os.getppid(), "name": current_process().name})


# Way 1: a function as the target.
def task(name: str, seconds: float, children: Queue) -> None:
    report(children)
    print(f"running {name}")
    sleep(seconds)
    print(f"over {name}")


# Way 2: a subclass of Process that overrides run().
class MyProcess(Process):
    def __init__(self, username: str, seconds: float, children: Queue) -> None:
        super().__init__()
        self.username = username
        self.seconds = seconds
        self.children = children

    def run(self) -> None:
        report(self.children)
        print(f"running {self.username}")
        sleep(self.seconds)
        print(f"over {self.username}")


def main(params: dict[str, Any]) -> None:
    children: Queue = Queue()
    p1 = Process(target=task, args=("jia", params["seconds"], children))
    p2 = MyProcess("yi", params["seconds"], children)
    p1.start()  # tell the OS to create a process; main does not wait
    p2.start()
    print(f"主 main {os.getpid()}: started {p1.name} and {p2.name}, not waiting for them")
    seen = {c["pid"]: c for c in (children.get(), children.get())}
    p1.join()
    p2.join()
    print(f"主 main: both children are over (exit codes {p1.exitcode}, {p2.exitcode})")
    result(children=[seen[p1.pid], seen[p2.pid]])


if __name__ == "__main__":
    from workers.run import standalone

    standalone("create-process")
