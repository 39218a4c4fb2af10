"""四 join: one by one takes the sum of the sleeps; start all, then join all, the longest."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import SECONDS, number

LESSON = Lesson(
    id="join",
    chapter="四 join",
    title={"en": "join()", "zh": "join 方法"},
    summary={
        "en": "Children sleeping 1, 2, 3 s: start+join one by one (≈6 s) "
        "vs start all, then join all (≈3 s).",
        "zh": "子进程分别睡 1、2、3 秒：逐个 start+join（约 6 秒）"
        "与先全部 start 再逐个 join（约 3 秒）。",
    },
    watch={
        "en": "First one child at a time (serial-1, serial-2, serial-3); then three side by side.",
        "zh": "先是一次只有一个子进程（serial-1、2、3）；然后三个子进程同时存在。",
    },
    punchline={
        "en": "join() makes the parent wait for that child: where you call it decides "
        "what runs at once.",
        "zh": "join() 让父进程等这个子进程结束；在哪里调用它，决定了哪些进程同时运行。",
    },
    result_keys=("serial_seconds", "parallel_seconds"),
    params=(
        Param(
            "children",
            "integer",
            3,
            {
                "en": "How many children (child i sleeps i s).",
                "zh": "子进程个数（第 i 个睡 i 秒）。",
            },
            1,
            8,
        ),
    ),
    questions=(
        number(
            "parallel-seconds",
            {
                "en": "Start all three, then join all: how many seconds in all (at speed 1)?",
                "zh": "先全部 start，再逐个 join：一共要几秒（速度 1）？",
            },
            "parallel_seconds",
            0,
            10,
            0.5,
            SECONDS,
        ),
        number(
            "serial-seconds",
            {
                "en": "start() then join() one by one: how many seconds in all (at speed 1)?",
                "zh": "逐个 start 再 join：一共要几秒（速度 1）？",
            },
            "serial_seconds",
            0,
            10,
            0.5,
            SECONDS,
        ),
    ),
)
