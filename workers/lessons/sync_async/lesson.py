"""一 同步与异步, 二 阻塞与非阻塞: the four combinations, at the bank (queue or ticket number)."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import SECONDS, number

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
    questions=(
        number(
            "sync-seconds",
            {
                "en": "The teller takes 2 s. How long does main wait in apply() (at speed 1)?",
                "zh": "柜员办一笔要 2 秒。主进程在 apply() 里等了几秒（速度 1）？",
            },
            "sync_seconds",
            0,
            6,
            0.5,
            SECONDS,
        ),
    ),
)
