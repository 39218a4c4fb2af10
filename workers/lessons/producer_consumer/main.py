from multiprocessing import Process, JoinableQueue
import time

producers = 2  # 几个生产者 (厨师)
consumers = 2  # 几个消费者 (吃货)
items = 10  # 每个生产者做几个包子
produce_seconds = 0.5  # 做一个要多久
consume_seconds = 1.0  # 吃一个要多久
maxsize = 5  # 队列 (蒸笼) 最多放几个


def producer(name, q):
    for i in range(items):
        time.sleep(produce_seconds)
        food = '%s-%s' % (name, i)
        q.put(food)  # 蒸笼满了就原地等
        print('%s生产了%s' % (name, food))


def consumer(name, q):
    while True:
        food = q.get()  # 没有包子就原地等
        if food is None:  # 收到结束标志: 生产者都做完了
            break
        time.sleep(consume_seconds)
        print('%s吃了%s' % (name, food))
        q.task_done()  # 告诉队列你已经从里面取出了一个数据并且处理完毕了


if __name__ == '__main__':
    q = JoinableQueue(maxsize)
    p_list = [Process(target=producer, args=('p%s' % n, q)) for n in range(1, producers + 1)]
    c_list = [Process(target=consumer, args=('c%s' % n, q)) for n in range(1, consumers + 1)]
    for p in p_list + c_list:
        p.start()
    max_depth = 0
    while any(p.is_alive() for p in p_list):  # 边等生产者边看蒸笼里有几个
        max_depth = max(max_depth, q.qsize())
        time.sleep(0.1)
    for p in p_list:
        p.join()
    q.join()  # 等待队列中所有的数据被取完并处理完
    for c in c_list:
        q.put(None)  # 每个消费者一个结束标志
    for c in c_list:
        c.join()
    produced = producers * items if all(p.exitcode == 0 for p in p_list) else 0
    print('生产了%s个 全部吃完' % produced)
    print('RESULT', {'produced': produced, 'consumed': produced, 'max_depth': max_depth, 'maxsize': maxsize})
