"""七 进程对象诸多方法: current_process().pid, os.getpid(), os.getppid(), is_alive(), terminate()"""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import Choice, FromResult, choice

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
    questions=(
        choice(
            "exitcode",
            {
                "en": "After terminate() and join(), what is p.exitcode?",
                "zh": "terminate() 再 join() 之后，p.exitcode 是多少？",
            },
            FromResult("exitcode"),
            Choice("0", {"en": "0", "zh": "0"}, value=0),
            Choice("1", {"en": "1", "zh": "1"}, value=1),
            Choice("-15", {"en": "-15 (SIGTERM)", "zh": "-15（SIGTERM）"}, value=-15),
            Choice("-9", {"en": "-9 (SIGKILL)", "zh": "-9（SIGKILL）"}, value=-9),
        ),
    ),
)
