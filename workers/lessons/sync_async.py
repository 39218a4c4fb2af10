"""一 同步与异步, 二 阻塞与非阻塞: the four combinations, at the bank (queue or ticket number)."""

from __future__ import annotations

import math
import os
import time
from multiprocessing import Pool
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep, speed, value

LESSON = Lesson(
    id="sync-async",
    chapter="一 同步与异步, 二 阻塞与非阻塞",
    title={
        "en": "Synchronous and asynchronous, blocking and non-blocking",
        "zh": "同步异步与阻塞非阻塞",
    },
    summary={
        "en": "At the bank: queue and wait doing nothing, or take a ticket number, keep working "
        "and be called back — the four combinations with a process Pool.",
        "zh": "去银行办事：排队干等，或者取号后去做别的事、叫号时再回来——用进程池演示四种组合。",
    },
    watch={
        "en": "While blocked, main sleeps; while non-blocking, main runs on the CPU "
        "and its work count climbs until the teller is done.",
        "zh": "阻塞时主进程在睡眠；非阻塞时主进程在 CPU 上运行，工作计数一直增加，直到柜台办完。",
    },
    punchline={
        "en": "Sync/async is how the result comes back (you wait for it, or a callback tells you); "
        "blocking/non-blocking is what you do meanwhile (nothing, or your own work).",
        "zh": "同步/异步说的是结果怎么回来（自己等，还是回调通知）；"
        "阻塞/非阻塞说的是等的时候在干什么（什么都不做，还是做自己的事）。",
    },
    result_keys=("sync_seconds", "async_seconds", "main_work_done_while_waiting"),
    params=(
        Param(
            "task_seconds",
            "number",
            2.0,
            {"en": "How long the teller takes (s).", "zh": "柜员办一笔业务要多久（秒）。"},
            0.5,
            10,
        ),
    ),
)

UNIT = 0.1  # one unit of main's own work, in seconds (scaled by speed like sleep)


def teller(customer: str, seconds: float) -> str:
    print(f"柜台 teller {os.getpid()}: serving {customer}")
    sleep(seconds)
    return f"{customer} served"


def announce(ret: str) -> None:  # the callback: the board calls our number
    print(f"3 叫号 callback: {ret}")


def work(seconds: float) -> None:
    """One unit of main's own work: real computation on the CPU."""
    end = time.monotonic() + seconds / speed()
    while time.monotonic() < end:
        sum(range(1000))


def main(params: dict[str, Any]) -> None:
    seconds = params["task_seconds"]
    pool = Pool(processes=1)  # one teller

    value("phase", "同步阻塞 sync + blocking")
    print("1 同步阻塞 sync + blocking: stand in the queue and do nothing")
    start = time.monotonic()
    ret = pool.apply(teller, ("customer-1", seconds))  # main blocks until the teller returns
    sync_seconds = time.monotonic() - start
    print(f"1 主 main: {ret} after {sync_seconds:.2f} s of doing nothing")

    value("phase", "同步非阻塞 sync + non-blocking")
    print("2 同步非阻塞 sync + non-blocking: stay in the queue, play on the phone, keep checking")
    res = pool.apply_async(teller, ("customer-2", seconds))
    checks = 0
    while not res.ready():  # main asks again and again: my turn yet?
        work(UNIT)
        checks += 1
    print(f"2 主 main: {res.get()}; I checked {checks} times")

    value("phase", "异步阻塞 async + blocking")
    print("3 异步阻塞 async + blocking: take a ticket number, then sit and stare at the board")
    res = pool.apply_async(teller, ("customer-3", seconds), callback=announce)
    res.wait()  # notified by the callback, but blocked meanwhile

    value("phase", "异步非阻塞 async + non-blocking")
    print("4 异步非阻塞 async + non-blocking: take a ticket number, go do other work, get called")
    work_done = 0
    called: list[tuple[int, float]] = []

    def on_done(ret: str) -> None:  # runs in main, called back by the pool
        called.append((work_done, time.monotonic() - start))
        print(f"4 叫号 callback: {ret}; main had done {work_done} units of work meanwhile")

    start = time.monotonic()
    res = pool.apply_async(teller, ("customer-4", seconds), callback=on_done)
    for _ in range(math.ceil(1.5 * seconds / UNIT)):  # main's own chores
        work(UNIT)
        work_done += 1
        value("work_done", work_done)
    res.wait()  # the callback has run by now
    main_work_done_while_waiting, async_seconds = called[0]
    print(f"4 主 main: finished {work_done} units of my own work")

    pool.close()
    pool.join()
    value("phase", "done")
    result(
        sync_seconds=round(sync_seconds, 3),
        async_seconds=round(async_seconds, 3),
        main_work_done_while_waiting=main_work_done_while_waiting,
    )


if __name__ == "__main__":
    from workers.run import standalone

    standalone("sync-async")
