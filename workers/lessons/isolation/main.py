from multiprocessing import Process, Queue
import time

money = 1000
hold = 2.0  # 子进程改完之后还活几秒


def task(q):
    global money  # 局部修改全局
    money = 99
    print('子进程 money: %s' % money)
    q.put(money)
    time.sleep(hold)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=task, args=(q,))
    p.start()
    child_money = q.get()  # 等子进程改完它的 money
    print('主进程 money: %s' % money)
    p.join()
    print('RESULT', {'parent_money': money, 'child_money': child_money})
