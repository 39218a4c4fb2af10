from multiprocessing import Process, Queue
import time


def consumer(q):
    time.sleep(1)
    for _ in range(6):
        item = q.get()
        print('got', item, 'qsize', q.qsize())
        time.sleep(0.3)


if __name__ == '__main__':
    q = Queue(3)
    c = Process(target=consumer, args=(q,))
    c.start()
    for i in range(6):
        q.put(i)
        print('put', i, 'qsize', q.qsize())
    c.join()
