"""十 僵尸进程: a child that has exited stays a zombie until its parent reaps it."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import SECONDS, number

LESSON = Lesson(
    id="zombie",
    chapter="十 僵尸进程",
    title={"en": "Zombie processes", "zh": "僵尸进程"},
    summary={
        "en": "A child exits while its parent sleeps: it stays a zombie (Z) until join() reaps it.",
        "zh": "子进程结束了，父进程还在睡：子进程成为僵尸（Z），直到 join() 回收它。",
    },
    watch={
        "en": "The child's node turns into a zombie the moment it exits and vanishes at join(). "
        "(With forkserver the fork server is its parent and reaps it at once: no zombie.)",
        "zh": "子进程一结束就变成僵尸，父进程 join() 时才消失。"
        "（forkserver 方式下，它的父进程是 fork 服务器（forkserver），会立刻回收它：不会有僵尸。）",
    },
    punchline={
        "en": "A dead child keeps its PID and exit status until the parent waits for it.",
        "zh": "子进程死后仍占着 PID 和退出状态，直到父进程回收（wait）它。",
    },
    result_keys=("zombie_seconds", "reaped_by_join"),
    params=(
        Param(
            "parent_sleep",
            "number",
            3.0,
            {"en": "How long the parent sleeps (s).", "zh": "父进程睡多久（秒）。"},
            0.5,
            30,
        ),
    ),
    questions=(
        number(
            "zombie-seconds",
            {
                "en": "The child exits at once; the parent sleeps 3 s, then joins. "
                "How long is the child a zombie?",
                "zh": "子进程马上结束；父进程先睡 3 秒再 join。子进程当了几秒僵尸？",
            },
            "zombie_seconds",
            0,
            6,
            0.5,
            SECONDS,
        ),
    ),
)
