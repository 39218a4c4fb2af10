"""八 生产者消费者模型: producers and consumers joined by a bounded queue."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import number

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
    questions=(
        number(
            "max-depth",
            {
                "en": "Producers are twice as fast as consumers, maxsize 5: "
                "how full does the queue get?",
                "zh": "生产比消费快一倍，队列容量 5：队列最多会有几个数据？",
            },
            "max_depth",
            0,
            10,
        ),
    ),
)
