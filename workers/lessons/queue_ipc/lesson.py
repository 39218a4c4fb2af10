"""六 IPC机制: a Queue(4) between two processes: put until full, a put that blocks, FIFO gets."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import number

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
        "zh": "队列深度涨到 4 就停住；生产者节点显示阻塞（睡眠 S），直到主进程取走第一个。",
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
    questions=(
        number(
            "max-depth",
            {
                "en": "The producer puts 5 items into Queue(4): how many are in it at most?",
                "zh": "生产者往 Queue(4) 里放 5 个数据：队列里最多有几个？",
            },
            "max_depth",
            0,
            8,
        ),
    ),
)
