from multiprocessing import Process, Lock
import json
import time
import random


def search(i):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    print('用户%s在查票 当前余票为:%s' % (i, dic.get('ticket_num')))


def buy(i):
    with open('data.json', 'r', encoding='utf8') as f:
        dic = json.load(f)
    time.sleep(random.randint(1, 3) / 100)  # the lecture's 1-3 s, a hundredth of it
    if dic.get('ticket_num') > 0:
        dic['ticket_num'] -= 1
        with open('data.json', 'w', encoding='utf8') as f:
            json.dump(dic, f)
        print('用户%s买票成功' % i)
    else:
        print('用户%s买票失败' % i)


def run(i, mutex):
    search(i)
    mutex.acquire()
    buy(i)
    mutex.release()


if __name__ == '__main__':
    random.seed(1)
    mutex = Lock()
    buyers = [Process(target=run, args=(i, mutex)) for i in range(64)]
    for p in buyers:
        p.start()
    for p in buyers:
        p.join()
