"""多进程实现TCP并发: a TCP server that starts one handler process per client."""

from __future__ import annotations

import os
import socket
from multiprocessing import Event, Process, Queue
from typing import Any

from workers.catalog import Lesson, Param
from workers.harness import result, sleep, value

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
)


def talk(conn: socket.socket) -> None:
    while True:
        try:
            data = conn.recv(1024)
            if len(data) == 0:  # the client closed the connection
                break
            print(f"handler {os.getpid()} got {data.decode('utf-8')}")
            sleep(1)  # a slow reply: the other clients must not wait for it
            conn.send(data.upper())
        except ConnectionResetError as e:
            print(e)
            break
    conn.close()


def server(report: Queue, clients: int) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # port 0: the OS picks a free port
    s.listen(clients)
    report.put(s.getsockname()[1])
    handlers: list[Process] = []
    most = 0
    for n in range(1, clients + 1):
        conn, addr = s.accept()
        print(f"server: {addr} connected")
        p = Process(target=talk, args=(conn,), name=f"handler-{n}")
        p.start()
        conn.close()  # the handler has its own copy of the connection
        handlers.append(p)
        alive = sum(h.is_alive() for h in handlers)
        most = max(most, alive)
        value("handlers_alive", alive)
    s.close()  # served enough clients: stop listening (a forked handler holds a copy till it ends)
    print(f"server: served {clients} clients, closed the listening socket")
    for p in handlers:
        p.join()
    value("handlers_alive", 0)
    report.put(most)


def client(port: int, i: int, messages: int, go: Any, echoes: Queue) -> None:
    go.wait()  # every client connects at the same moment
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    ok = True
    for j in range(messages):
        msg = f"hello from client {i} #{j}"
        c.send(msg.encode("utf-8"))
        data = c.recv(1024)
        print(f"client {i} got {data.decode('utf-8')}")
        ok = ok and data == msg.upper().encode("utf-8")
    c.close()
    echoes.put(ok)


def main(params: dict[str, Any]) -> None:
    n = params["clients"]
    report: Queue = Queue()
    echoes: Queue = Queue()
    go = Event()
    s = Process(target=server, args=(report, n), name="server")
    s.start()
    port = report.get()
    print(f"server listening on 127.0.0.1:{port}")
    clients = [
        Process(target=client, args=(port, i, params["messages"], go, echoes), name=f"client-{i}")
        for i in range(1, n + 1)
    ]
    for c in clients:
        c.start()
    go.set()
    for c in clients:
        c.join()
    echo_ok = sum(echoes.get() for c in clients if c.exitcode == 0) == n
    if any(c.exitcode != 0 for c in clients):
        s.terminate()  # a client failed: the server would wait for it forever
    s.join()
    most = report.get() if s.exitcode == 0 else 0
    print(f"{n} clients, at most {most} handlers at once, every echo correct: {echo_ok}")
    result(clients=n, max_concurrent_handlers=most, echo_ok=echo_ok)


if __name__ == "__main__":
    from workers.run import standalone

    standalone("tcp-server")
