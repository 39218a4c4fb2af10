"""三 创建进程: two ways to create a process — Process(target=...) and a Process subclass."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import Choice, FirstLine, choice

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
        "zh": "主进程下面出现两个子进程，各自打印 `running …` 和 `over …`。",
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
    questions=(
        choice(
            "first-line",
            {"en": "Which line is printed first?", "zh": "哪一行最先打印出来？"},
            FirstLine(),
            Choice("main", {"en": "主 (the main process)", "zh": "主（主进程）"}, line="主"),
            Choice("jia", {"en": "running jia", "zh": "running jia"}, line="running jia"),
            Choice("yi", {"en": "running yi", "zh": "running yi"}, line="running yi"),
        ),
    ),
)
