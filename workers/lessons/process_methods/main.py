from multiprocessing import Process, Queue, current_process
import os
import time

child_sleep = 30.0  # 子进程本来要睡这么久, terminate() 提前杀死它


def task(q):
    print('子 current_process().pid = %s' % current_process().pid)
    print('子 os.getpid() = %s' % os.getpid())
    print('子 os.getppid() = %s' % os.getppid())
    q.put((current_process().pid, os.getpid()))
    time.sleep(child_sleep)
    print('子 这句不会打印: 睡觉时就被杀死了')


if __name__ == '__main__':
    q = Queue()
    p = Process(target=task, args=(q,))
    p.start()
    print('主 current_process().pid = %s' % current_process().pid)
    print('主 os.getpid() = %s, p.pid = %s' % (os.getpid(), p.pid))
    child_current, child_getpid = q.get()  # 子进程已经跑起来了
    time.sleep(1)
    alive_before = p.is_alive()  # 判断当前进程是否存活
    print('主 p.is_alive() = %s' % alive_before)
    p.terminate()  # 杀死当前进程: 告诉操作系统帮你去杀, 需要一定的时间
    print('主 terminate() 之后马上 p.is_alive() = %s' % p.is_alive())
    p.join()
    alive_after = p.is_alive()
    print('主 join() 之后 p.is_alive() = %s, p.exitcode = %s' % (alive_after, p.exitcode))
    print('RESULT', {'pid_matches': child_current == child_getpid == p.pid, 'alive_before': alive_before, 'alive_after': alive_after, 'exitcode': p.exitcode})
