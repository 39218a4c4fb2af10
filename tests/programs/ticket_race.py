from multiprocessing import Process, Lock
import json
import time
import random


# 查票
def search(i):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    print('用户%s在查票 当前余票为:%s' % (i, dic.get('ticket_num')))


# 买票  1.先查 2.再买
def buy(i):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    # 模拟网络延迟
    time.sleep(random.randint(1, 3))
    if dic.get('ticket_num') > 0:
        dic['ticket_num'] -= 1
        with open('data.json', 'w', encoding='utf8') as f:
            json.dump(dic, f)
        print('用户%s买票成功' % i)
    else:
        print('用户%s买票失败' % i)


def run(i, mutex):
    search(i)
    # 给买票环节加锁处理
    mutex.acquire()
    buy(i)
    mutex.release()


if __name__ == '__main__':
    mutex = Lock()
    for i in range(10):
        p = Process(target=run, args=(i, mutex))
        p.start()
