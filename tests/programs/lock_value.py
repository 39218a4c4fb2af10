from multiprocessing import Lock, Process, Value


def add(counter, lock, n):
    for _ in range(n):
        with lock:
            counter.value += 1


if __name__ == '__main__':
    counter = Value('i', 0, lock=False)
    lock = Lock()
    workers = [Process(target=add, args=(counter, lock, 200)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print('counter', counter.value)
