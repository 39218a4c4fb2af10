"""多进程实现TCP并发: a TCP server that starts one handler process per client."""

from __future__ import annotations

from workers.catalog import Lesson, Param
from workers.questions import number

LESSON = Lesson(
    id="tcp-server",
    chapter="多进程实现TCP并发",
    title={"en": "A concurrent TCP server", "zh": "多进程实现 TCP 并发"},
    summary={
        "en": "A server process accepts connections on loopback and starts one handler process "
        "per client; each handler echoes what it receives in upper case, slowly, so several "
        "clients are served at the same time.",
        "zh": "服务端进程在本机回环地址上 accept，每来一个客户端就开一个进程 talk(conn)；"
        "每个 handler 把收到的数据转成大写发回去，慢慢来，所以好几个客户端同时被服务。",
    },
    watch={
        "en": "One handler node appears under the server for each client that connects; several "
        "are alive at once. (With forkserver they hang under a forkserver the server started.)",
        "zh": "每连上一个客户端，服务端下面就多一个 handler 节点，同一时刻有好几个活着。"
        "（forkserver 方式下，它们挂在服务端自己启动的 forkserver 下面。）",
    },
    punchline={
        "en": "accept() in a loop plus one Process per connection: clients no longer wait in line.",
        "zh": "循环 accept()，每个连接开一个进程：客户端不用再排队。",
    },
    result_keys=("clients", "max_concurrent_handlers", "echo_ok"),
    params=(
        Param(
            "clients",
            "integer",
            5,
            {"en": "Number of client processes.", "zh": "客户端进程个数。"},
            1,
            64,
        ),
        Param(
            "messages",
            "integer",
            3,
            {"en": "Messages each client sends.", "zh": "每个客户端发几条消息。"},
            1,
            10,
        ),
    ),
    questions=(
        number(
            "handlers",
            {
                "en": "5 clients connect: how many handler processes run at the same time, at most?",
                "zh": "5 个客户端连上来：最多有几个服务进程同时在跑？",
            },
            "max_concurrent_handlers",
            0,
            10,
        ),
    ),
)
