from multiprocessing import Process, Queue
import os
import time

child_seconds = 3.0  # 父进程走了以后, 子进程还要跑几秒


def child(q):
    old_ppid = os.getppid()
    print('子进程 %s: 我的父进程是 %s' % (os.getpid(), old_ppid))
    time.sleep(child_seconds)
    new_ppid = os.getppid()
    print('子进程 %s: 父进程走了, 现在收养我的是 %s' % (os.getpid(), new_ppid))
    q.put((os.getpid(), old_ppid, new_ppid))


def parent(q):
    p = Process(target=child, args=(q,))
    p.start()
    time.sleep(0.5)
    print('父进程 %s: 不等子进程, 直接退出' % os.getpid())
    os._exit(0)  # 立刻退出 (正常结束的话 multiprocessing 会替我 join 子进程)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=parent, args=(q,))
    p.start()
    p.join()
    orphan_pid, old_ppid, new_ppid = q.get()
    print('孤儿进程 %s: 父进程 %s 退出后, 被 %s 收养' % (orphan_pid, old_ppid, new_ppid))
    print('RESULT', {'orphan_pid': orphan_pid, 'old_ppid': old_ppid, 'new_ppid': new_ppid})
