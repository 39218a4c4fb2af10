from multiprocessing import Process, Queue
import os
import time

parent_seconds = 2.0  # 皇帝活几秒
daemon_seconds = 10.0  # 总管本来要活几秒 (比皇帝长)


def task(name, q):
    print('%s总管正在活着' % name)
    time.sleep(daemon_seconds)
    print('%s总管正常死亡' % name)  # 主人先死了, 这句永远不会打印
    q.put('finished')


def emperor(q):
    p = Process(target=task, args=('egon', q))
    p.daemon = True  # 将进程 p 设置成守护进程, 这一句一定要放在 start 方法上面才有效
    p.start()
    q.put(p.pid)
    time.sleep(parent_seconds)
    print('皇帝jason寿终正寝')


if __name__ == '__main__':
    q = Queue()
    p = Process(target=emperor, args=(q,))
    p.start()
    daemon_pid = q.get()
    p.join()  # 皇帝死了, 总管跟着陪葬
    alive = os.path.exists('/proc/%s' % daemon_pid)
    finished = not q.empty()
    print('皇帝死后 总管还活着: %s' % alive)
    print('RESULT', {'daemon_finished': finished, 'daemon_alive_after_parent': alive})
