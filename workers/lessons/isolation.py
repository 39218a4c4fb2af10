"""五 进程间数据隔离: each process has its own copy of a global; a change stays in its process."""

from __future__ import annotations

from multiprocessing import Process, Queue
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep, value

LESSON = Lesson(
    id="isolation",
    chapter="五 进程间数据隔离",
    title={"en": "Data isolation between processes", "zh": "进程间数据隔离"},
    summary={
        "en": "money = 1000; the child sets money = 99 and prints it; "
        "the parent still prints 1000.",
        "zh": "money = 1000；子进程把 money 改成 99 并打印；父进程打印的仍是 1000。",
    },
    watch={
        "en": "Each node shows its own copy of money: 99 beside the child, 1000 beside the parent.",
        "zh": "每个节点旁显示自己那份 money：子进程旁是 99，父进程旁是 1000。",
    },
    punchline={
        "en": "Processes do not share memory: a global changed in a child is changed only there.",
        "zh": "进程之间内存隔离：子进程修改全局变量，只改了它自己的那一份。",
    },
    result_keys=("parent_money", "child_money"),
    params=(
        Param(
            "hold",
            "number",
            2.0,
            {
                "en": "How long the child lives after its change (s).",
                "zh": "子进程改完变量后还活多久（秒）。",
            },
            0.5,
            30,
        ),
    ),
)

money = 1000


def task(report: Queue, hold: float) -> None:
    global money  # this process's own global
    print(f"子 child: my copy starts as money = {money}")
    money = 99
    print(f"子 child: money = {money}")
    value("money", money)
    report.put(money)
    sleep(hold)  # stay alive, so both copies are on screen at once


def main(params: dict[str, Any]) -> None:
    report: Queue = Queue()
    value("money", money)
    p = Process(target=task, args=(report, params["hold"]))
    p.start()
    child_money = report.get()  # the child has changed its money
    print(f"主 parent: money = {money} (the child is still alive: {p.is_alive()})")
    value("money", money)
    p.join()
    print(f"主 parent after join: money = {money}")
    result(parent_money=money, child_money=child_money)


if __name__ == "__main__":
    from workers.run import standalone

    standalone("isolation")
