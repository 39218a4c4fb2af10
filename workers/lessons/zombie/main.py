from multiprocessing import Process
import os
import time

parent_sleep = 3.0  # 父进程不 join, 先睡几秒


def task(name):
    print('%s is running' % name)
    print('%s is over' % name)


if __name__ == '__main__':
    p = Process(target=task, args=('jason',))
    p.start()
    start_time = time.time()
    print('主 不 join, 先睡 %s 秒' % parent_sleep)
    time.sleep(parent_sleep)
    zombie = os.path.exists('/proc/%s' % p.pid)  # 子进程早就结束了, 但 pid 号还占着: 僵尸进程
    p.join()  # 父进程等待子进程结束, 回收它的 pid 号
    reaped = not os.path.exists('/proc/%s' % p.pid)
    zombie_seconds = time.time() - start_time
    print('主 join 回收了子进程 %s, exitcode %s' % (p.pid, p.exitcode))
    print('RESULT', {'zombie_seconds': round(zombie_seconds, 3), 'reaped_by_join': zombie and reaped})
