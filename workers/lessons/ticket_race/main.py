from multiprocessing import Process, Lock, Queue
import json
import time
import random

tickets = 1  # data.json 里放几张票
buyers = 10  # 几个用户同时抢票
use_lock = False  # 买票环节加不加锁


# 查票
def search(i):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    print('用户%s在查票 当前余票为:%s' % (i, dic.get('ticket_num')))


# 买票  1.先查 2.再买
def buy(i, sold):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    # 模拟网络延迟
    time.sleep(random.randint(1, 3))
    if dic.get('ticket_num') > 0:
        dic['ticket_num'] -= 1
        with open('data.json', 'w', encoding='utf8') as f:
            json.dump(dic, f)
        print('用户%s买票成功' % i)
        sold.put(i)
    else:
        print('用户%s买票失败' % i)


def run(i, mutex, sold):
    search(i)
    if use_lock:
        # 给买票环节加锁处理
        mutex.acquire()
        buy(i, sold)
        mutex.release()
    else:
        buy(i, sold)


if __name__ == '__main__':
    with open('data.json', 'w', encoding='utf8') as f:
        json.dump({'ticket_num': tickets}, f)
    mutex = Lock()
    sold = Queue()
    p_list = []
    for i in range(buyers):
        p = Process(target=run, args=(i, mutex, sold))
        p.start()
        p_list.append(p)
    for p in p_list:
        p.join()
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    print('一共卖出%s张票 还剩%s张' % (sold.qsize(), dic.get('ticket_num')))
    print('RESULT', {'tickets_at_start': tickets, 'sold': sold.qsize(), 'tickets_left': dic.get('ticket_num'), 'lock': use_lock})
