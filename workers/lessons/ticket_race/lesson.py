"""十一 多进程数据错乱: ten buyers, one ticket in data.json; only a Lock prevents overselling."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import number

LESSON = Lesson(
    id="ticket-race",
    chapter="十一 多进程数据错乱",
    title={"en": "Buying tickets: a race on a file", "zh": "抢票：多进程数据错乱"},
    summary={
        "en": "One ticket left in a JSON file, ten buyers at once. Each reads the file, waits "
        "for the network, then writes it back. Without a lock several buy the same ticket; "
        "with Lock only one does.",
        "zh": "JSON 文件里只剩一张票，十个人同时抢。每人先读文件，等网络延迟，再写回去。"
        "不加锁好几个人都买到同一张票；加了 Lock 只有一个人买到。",
    },
    watch={
        "en": "Without the lock every buyer reads 1 before anyone writes 0, and several print "
        "success. With the lock the buyers take turns and only the first one succeeds.",
        "zh": "不加锁时大家都在有人写回 0 之前读到了 1，好几个人打印成功；"
        "加锁后排队一个个来，只有第一个成功。",
    },
    punchline={
        "en": "Processes sharing data need a lock: it makes them queue up, slower but correct.",
        "zh": "多个进程操作同一份数据要加锁：把并发变成串行，慢了，但数据安全。",
    },
    result_keys=("tickets_at_start", "sold", "tickets_left", "lock"),
    params=(
        Param(
            "buyers",
            "integer",
            10,
            {"en": "Number of buyer processes.", "zh": "买票进程个数。"},
            1,
            64,
        ),
        Param(
            "tickets",
            "integer",
            1,
            {"en": "Tickets in data.json at the start.", "zh": "开始时 data.json 里的票数。"},
            0,
            64,
        ),
        Param(
            "lock",
            "boolean",
            False,
            {
                "en": "Wrap buy() in a multiprocessing Lock (use_lock in the code).",
                "zh": "用 multiprocessing 的 Lock 把 buy() 包起来（代码里的 use_lock）。",
            },
            variable="use_lock",
        ),
    ),
    questions=(
        number(
            "sold",
            {
                "en": "Without the lock: how many of the 10 buyers will get the one ticket?",
                "zh": "不加锁：10 个人抢 1 张票，会有几个人买到？",
            },
            "sold",
            0,
            10,
        ),
        number(
            "tickets-left",
            {
                "en": "Without the lock: how many tickets will data.json say are left?",
                "zh": "不加锁：最后 data.json 里显示还剩几张票？",
            },
            "tickets_left",
            -10,
            1,
        ),
    ),
)
