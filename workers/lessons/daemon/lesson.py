"""九 守护进程: a daemon child is killed the moment its parent process ends."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import Choice, FromResult, choice

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
    questions=(
        choice(
            "second-line",
            {
                "en": "Will the daemon print its second line (总管正常死亡)?",
                "zh": "守护进程会打印第二行（总管正常死亡）吗？",
            },
            FromResult("daemon_finished"),
            Choice("yes", {"en": "yes", "zh": "会"}, value=True),
            Choice("no", {"en": "no", "zh": "不会"}, value=False),
        ),
    ),
)
