"""十一 多进程数据错乱: ten buyers, one ticket in a JSON file; only a Lock prevents overselling."""

from __future__ import annotations

import json
import os
from multiprocessing import Barrier, Lock, Process, Queue
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, run_dir, sleep, value

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
            "lock",
            "boolean",
            False,
            {
                "en": "Wrap buy() in a multiprocessing Lock.",
                "zh": "用 multiprocessing 的 Lock 把 buy() 包起来。",
            },
        ),
    ),
)

TICKETS = 1


def save(db: str, dic: dict[str, int]) -> None:
    tmp = f"{db}.{os.getpid()}"
    with open(tmp, "w", encoding="utf8") as f:
        json.dump(dic, f)
    os.replace(tmp, db)  # in one step: a reader never sees a half-written file


def search(i: int, db: str) -> None:
    with open(db, encoding="utf8") as f:
        dic = json.load(f)
    print(f"buyer {i}: tickets left {dic['ticket_num']}")


def buy(i: int, db: str) -> bool:
    with open(db, encoding="utf8") as f:
        dic = json.load(f)
    sleep(0.1)  # simulated network delay
    if dic["ticket_num"] > 0:
        dic["ticket_num"] -= 1
        save(db, dic)
        value("tickets", dic["ticket_num"])
        print(f"buyer {i}: bought a ticket, success")
        value("bought", True)
        return True
    print(f"buyer {i}: no ticket left, failed")
    return False


def run(i: int, db: str, mutex: Any, everyone_searched: Any, sold: Queue) -> None:
    search(i, db)
    everyone_searched.wait()  # the whole class presses "buy" at the same moment
    if mutex is None:
        bought = buy(i, db)
    else:
        with mutex:  # mutex.acquire() ... mutex.release()
            value("lock", "holding")
            bought = buy(i, db)
            value("lock", "released")
    sold.put(bought)


def main(params: dict[str, Any]) -> None:
    db = os.path.join(run_dir(), "data.json")
    save(db, {"ticket_num": TICKETS})
    value("tickets", TICKETS)
    mutex = Lock() if params["lock"] else None
    everyone_searched = Barrier(params["buyers"])
    sold: Queue = Queue()
    buyers = [
        Process(target=run, args=(i, db, mutex, everyone_searched, sold), name=f"buyer-{i}")
        for i in range(1, params["buyers"] + 1)
    ]
    for p in buyers:
        p.start()
    for p in buyers:
        p.join()
    n_sold = sum(sold.get() for p in buyers if p.exitcode == 0)
    with open(db, encoding="utf8") as f:
        left = json.load(f)["ticket_num"]
    verdict = "oversold!" if n_sold > TICKETS else "correct"
    print(f"{n_sold} sold, {left} left in the file: {verdict}")
    result(tickets_at_start=TICKETS, sold=n_sold, tickets_left=left, lock=params["lock"])


if __name__ == "__main__":
    from workers.run import standalone

    standalone("ticket-race")
