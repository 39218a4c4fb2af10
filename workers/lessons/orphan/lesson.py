"""十 孤儿进程: the parent exits while its child runs on; the child is adopted."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import Choice, FirstLine, choice

LESSON = Lesson(
    id="orphan",
    chapter="十 孤儿进程",
    title={"en": "Orphan processes", "zh": "孤儿进程"},
    summary={
        "en": "The parent exits while its child still runs: the child is adopted and finishes.",
        "zh": "父进程先退出，子进程还在运行：子进程被收养，照常结束。",
    },
    watch={
        "en": "The child's node moves from its dead parent to the process that adopts it. "
        "(With forkserver its OS parent is a fork server, which lives on: no orphan.)",
        "zh": "子进程的节点从死去的父进程移到收养它的进程下面。"
        "（forkserver 方式下，它在操作系统里的父进程是 fork 服务器（forkserver），不会退出：不会成为孤儿。）",
    },
    punchline={
        "en": "An orphan is adopted (its PPID changes) and reaped by its new parent: no harm done.",
        "zh": "孤儿进程会被收养（PPID 改变），由新的父进程回收：无害。",
    },
    result_keys=("orphan_pid", "old_ppid", "new_ppid"),
    params=(
        Param(
            "child_seconds",
            "number",
            3.0,
            {"en": "How long the orphan keeps running (s).", "zh": "孤儿进程继续运行多久（秒）。"},
            1,
            30,
        ),
    ),
    questions=(
        choice(
            "first-line",
            {
                "en": "Which is printed first: the child's hello or the parent's goodbye?",
                "zh": "哪一行先打印：子进程报到，还是父进程告别？",
            },
            FirstLine(),
            Choice(
                "child", {"en": "子进程 … (the child)", "zh": "子进程 …（子进程）"}, line="子进程"
            ),
            Choice(
                "parent", {"en": "父进程 … (the parent)", "zh": "父进程 …（父进程）"}, line="父进程"
            ),
        ),
    ),
)
