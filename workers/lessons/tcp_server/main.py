from multiprocessing import Process, Queue, Event
import socket
import time

clients = 5  # 几个客户端同时连
messages = 3  # 每个客户端发几条


def communication(conn):
    while True:
        try:
            data = conn.recv(1024)
            if len(data) == 0:  # 客户端断开了
                break
            time.sleep(1)  # 回得慢: 别的客户端不用等它
            conn.send(data.upper())
        except ConnectionResetError as e:
            print(e)
            break
    conn.close()


def get_server(q):
    server = socket.socket()
    server.bind(('127.0.0.1', 0))  # 端口 0: 操作系统挑一个空闲端口
    server.listen(clients)
    q.put(server.getsockname()[1])
    p_list = []
    most = 0
    for n in range(1, clients + 1):
        conn, addr = server.accept()
        print('server: %s 连上了' % (addr,))
        p = Process(target=communication, args=(conn,), name='handler-%s' % n)
        p.start()  # 来一个客户端, 开一个进程专门服务它
        conn.close()
        p_list.append(p)
        most = max(most, sum(p.is_alive() for p in p_list))
    server.close()
    for p in p_list:
        p.join()
    q.put(most)


def client(port, i, go, q):
    go.wait()  # 所有客户端同时连
    c = socket.socket()
    c.connect(('127.0.0.1', port))
    ok = True
    for j in range(messages):
        msg = 'hello from client %s #%s' % (i, j)
        c.send(msg.encode('utf-8'))
        data = c.recv(1024)
        print('client %s got %s' % (i, data.decode('utf-8')))
        ok = ok and data == msg.upper().encode('utf-8')
    c.close()
    q.put(ok)


if __name__ == '__main__':
    q = Queue()
    echoes = Queue()
    go = Event()
    s = Process(target=get_server, args=(q,), name='server')
    s.start()
    port = q.get()
    print('server listening on 127.0.0.1:%s' % port)
    c_list = [Process(target=client, args=(port, i, go, echoes), name='client-%s' % i) for i in range(1, clients + 1)]
    for c in c_list:
        c.start()
    go.set()
    for c in c_list:
        c.join()
    echo_ok = sum(echoes.get() for c in c_list if c.exitcode == 0) == clients
    s.join()
    most = q.get()
    print('%s 个客户端, 最多 %s 个服务进程同时在跑, 回声全对: %s' % (clients, most, echo_ok))
    print('RESULT', {'clients': clients, 'max_concurrent_handlers': most, 'echo_ok': echo_ok})
