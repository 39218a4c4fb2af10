from multiprocessing import Process, Queue
import queue
import time

pause = 3.0  # 队列满了以后, 主进程先看几秒再取


def producer(q):
    for i in range(1, 6):
        q.put(i)  # 第 5 个放不进去: 队列满了, 原地阻塞, 直到有位置
        print('put %s' % i)


if __name__ == '__main__':
    q = Queue(4)  # 括号内可以传数字 标示生成的队列最大可以同时存放的数据量
    p = Process(target=producer, args=(q,))
    p.start()
    while not q.full():  # 等生产者把队列放满
        time.sleep(0.01)
    time.sleep(pause)
    max_depth = q.qsize()
    print('主 队列里有 %s 个数据, q.full(): %s' % (max_depth, q.full()))
    got = []
    for i in range(5):
        got.append(q.get())  # 队列中如果没有数据的话 get 方法会原地阻塞
        print('get %s' % got[-1])
        max_depth = max(max_depth, q.qsize())
        time.sleep(0.5)
    p.join()
    print('主 q.empty(): %s' % q.empty())
    try:
        q.get_nowait()  # 没有数据直接报错 queue.Empty
        empty_raised = False
    except queue.Empty:
        print('queue.Empty raised')
        empty_raised = True
    print('RESULT', {'max_depth': max_depth, 'maxsize': 4, 'empty_raised': empty_raised, 'order_kept': got == [1, 2, 3, 4, 5]})
