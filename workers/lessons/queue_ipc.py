"""六 IPC机制: a Queue(4) between two processes: put until full, a put that blocks, FIFO gets."""

from __future__ import annotations

import queue
import time
from multiprocessing import Process, Queue
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import emit, result, sleep, value

MAXSIZE = 4

LESSON = Lesson(
    id="queue",
    chapter="六 IPC机制",
    title={"en": "Queue: talking between processes", "zh": "队列：进程间通信"},
    summary={
        "en": "A producer puts into Queue(4) until it is full; one more put blocks until the "
        "main process gets an item. Items come out in FIFO order; get_nowait() on an empty "
        "queue raises queue.Empty.",
        "zh": "生产者往 Queue(4) 里 put，直到放满；再 put 一次就阻塞，直到主进程取走一个。"
        "取出顺序先进先出；队列空了再 get_nowait() 抛出 queue.Empty。",
    },
    watch={
        "en": "The queue gauge climbs to 4 and stops; the producer's node is marked blocked "
        "(sleeping) until the main process takes the first item.",
        "zh": "队列深度涨到 4 就停住；生产者节点显示阻塞（sleeping），直到主进程取走第一个。",
    },
    punchline={
        "en": "A full queue blocks put(), an empty one blocks get(); order is first in, first out.",
        "zh": "队列满了 put() 阻塞，空了 get() 阻塞；先进先出。",
    },
    result_keys=("max_depth", "maxsize", "empty_raised", "order_kept"),
    params=(
        Param(
            "pause",
            "number",
            3.0,
            {"en": "How long main waits before getting (s).", "zh": "主进程等多久再取（秒）。"},
            0.5,
            30,
        ),
    ),
)


def report_depth(q: Queue) -> int:
    """Show the queue's depth on the page and return it: the result counts what was shown."""
    depth = q.qsize()
    emit("queue", name="q", depth=depth, maxsize=MAXSIZE)
    return depth


def producer(q: Queue, n: int) -> None:
    for i in range(1, n + 1):
        blocked = q.full()
        if blocked:
            print(f"queue full: put({i}) blocks")
            value("blocked", True)
        q.put(i)
        if blocked:
            value("blocked", False)
        print(f"put {i}")
        report_depth(q)


def main(params: dict[str, Any]) -> None:
    q: Queue = Queue(MAXSIZE)
    sent = list(range(1, MAXSIZE + 2))  # one more than fits
    p = Process(target=producer, args=(q, len(sent)), name="producer")
    p.start()
    while not q.full():  # wait for the producer to fill the queue...
        time.sleep(0.01)
    sleep(params["pause"])  # ...and let the class watch it blocked on its last put
    max_depth = report_depth(q)
    print(f"main: the queue holds {max_depth} items, full: {q.full()}")
    got = []
    for _ in sent:
        got.append(q.get())
        print(f"get {got[-1]}")
        max_depth = max(max_depth, report_depth(q))
        sleep(0.5)
    p.join()
    print(f"empty: {q.empty()}")
    try:
        q.get_nowait()
        empty_raised = False
    except queue.Empty:
        print("queue.Empty raised")
        empty_raised = True
    result(
        max_depth=max_depth,
        maxsize=MAXSIZE,
        empty_raised=empty_raised,
        order_kept=got == sent,
    )


if __name__ == "__main__":
    from workers.run import standalone

    standalone("queue")
