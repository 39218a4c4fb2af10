"""五 进程间数据隔离: each process has its own copy of a global; a change stays in its process."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import Choice, FromResult, choice

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
    questions=(
        choice(
            "parent-money",
            {
                "en": "The child sets money = 99. What does the parent print for money?",
                "zh": "子进程把 money 改成 99。父进程打印的 money 是多少？",
            },
            FromResult("parent_money"),
            Choice("1000", {"en": "1000", "zh": "1000"}, value=1000),
            Choice("99", {"en": "99", "zh": "99"}, value=99),
        ),
    ),
)
