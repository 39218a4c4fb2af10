from multiprocessing import Pipe, Process


def echo(conn):
    for _ in range(5):
        conn.send(conn.recv() * 2)
    conn.close()


if __name__ == '__main__':
    left, right = Pipe()
    p = Process(target=echo, args=(right,))
    p.start()
    for i in range(5):
        left.send(i)
        print('got', left.recv())
    p.join()
