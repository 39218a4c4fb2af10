"""八 生产者消费者模型: producers and consumers joined by a bounded queue."""

from __future__ import annotations

from multiprocessing import Process, Queue
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import emit, result, sleep

LESSON = Lesson(
    id="producer-consumer",
    chapter="八 生产者消费者模型",
    title={"en": "Producers and consumers", "zh": "生产者消费者模型"},
    summary={
        "en": "Producers make items and put them into a bounded queue; consumers get and "
        "use them. The queue balances the two speeds; one None per consumer ends the work.",
        "zh": "生产者做好数据放进有界队列，消费者从队列里取出来处理。队列平衡两边的速度；"
        "每个消费者收到一个 None 就结束。",
    },
    watch={
        "en": "When producing is faster the queue fills and producers block on put(); "
        "when consuming is faster it drains and consumers block on get().",
        "zh": "生产快时队列涨满，生产者卡在 put()；消费快时队列见底，消费者卡在 get()。",
    },
    punchline={
        "en": "The queue decouples producers from consumers: every item is consumed exactly once.",
        "zh": "队列把生产者和消费者解耦：每个数据都恰好被消费一次。",
    },
    result_keys=("produced", "consumed", "max_depth", "maxsize"),
    params=(
        Param(
            "producers",
            "integer",
            2,
            {"en": "Number of producer processes.", "zh": "生产者进程个数。"},
            1,
            64,
        ),
        Param(
            "consumers",
            "integer",
            2,
            {"en": "Number of consumer processes.", "zh": "消费者进程个数。"},
            1,
            64,
        ),
        Param(
            "items",
            "integer",
            10,
            {"en": "Items each producer makes.", "zh": "每个生产者生产几件。"},
            1,
            500,
        ),
        Param(
            "produce_seconds",
            "number",
            0.5,
            {"en": "Time to make one item (s).", "zh": "生产一件所需时间（秒）。"},
            0,
            5,
        ),
        Param(
            "consume_seconds",
            "number",
            1.0,
            {"en": "Time to use one item (s).", "zh": "消费一件所需时间（秒）。"},
            0,
            5,
        ),
        Param("maxsize", "integer", 5, {"en": "Capacity of the queue.", "zh": "队列容量。"}, 1, 64),
    ),
)


def report_depth(q: Queue, maxsize: int) -> int:
    """Show the queue's depth on the page and return it: the result counts what was shown."""
    depth = q.qsize()
    emit("queue", name="q", depth=depth, maxsize=maxsize)
    return depth


def producer(name: str, q: Queue, maxsize: int, report: Queue, items: int, seconds: float) -> None:
    made, deepest = [], 0
    for i in range(items):
        sleep(seconds)  # making the item takes time
        food = f"{name}-{i}"
        q.put(food)
        print(f"{name} produced {food}")
        deepest = max(deepest, report_depth(q, maxsize))
        made.append(food)
    report.put(("produced", made, deepest))


def consumer(name: str, q: Queue, maxsize: int, report: Queue, seconds: float) -> None:
    eaten, deepest = [], 0
    while True:
        food = q.get()
        deepest = max(deepest, report_depth(q, maxsize))
        if food is None:  # no more food: the producers are done
            break
        sleep(seconds)  # using the item takes time
        print(f"{name} consumed {food}")
        eaten.append(food)
    report.put(("consumed", eaten, deepest))


def main(params: dict[str, Any]) -> None:
    maxsize = params["maxsize"]
    q: Queue = Queue(maxsize)
    report: Queue = Queue()
    producers = [
        Process(
            target=producer,
            args=(f"p{n}", q, maxsize, report, params["items"], params["produce_seconds"]),
            name=f"producer-{n}",
        )
        for n in range(1, params["producers"] + 1)
    ]
    consumers = [
        Process(
            target=consumer,
            args=(f"c{n}", q, maxsize, report, params["consume_seconds"]),
            name=f"consumer-{n}",
        )
        for n in range(1, params["consumers"] + 1)
    ]
    for p in producers + consumers:
        p.start()
    made: list[str] = []
    eaten: list[str] = []
    max_depth = 0
    for _ in producers:  # each producer reports what it made, then exits
        _, foods, deepest = report.get()
        made.extend(foods)
        max_depth = max(max_depth, deepest)
    for p in producers:
        p.join()
    for _ in consumers:
        q.put(None)  # one end-of-work marker per consumer
        max_depth = max(max_depth, report_depth(q, maxsize))
    for _ in consumers:
        _, foods, deepest = report.get()
        eaten.extend(foods)
        max_depth = max(max_depth, deepest)
    for c in consumers:
        c.join()
    once = sorted(eaten) == sorted(made)
    print(f"produced {len(made)}, consumed {len(eaten)}, each item exactly once: {once}")
    result(
        produced=len(made),
        consumed=len(eaten),
        max_depth=max_depth,
        maxsize=maxsize,
    )


if __name__ == "__main__":
    from workers.run import standalone

    standalone("producer-consumer")
