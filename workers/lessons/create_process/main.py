from multiprocessing import Process
import os
import time

seconds = 3.0  # 子进程睡几秒


# 第一种方式: 给 Process 一个函数
def task(name):
    print('running %s' % name)
    time.sleep(seconds)
    print('over %s' % name)


# 第二种方式: 类的继承, 重写 run 方法
class MyProcess(Process):
    def __init__(self, username):
        super().__init__()
        self.username = username

    def run(self):
        print('running %s' % self.username)
        time.sleep(seconds)
        print('over %s' % self.username)


if __name__ == '__main__':
    # 1 创建一个对象
    p1 = Process(target=task, args=('jia',))
    p2 = MyProcess('yi')
    # 2 开启进程
    p1.start()  # 告诉操作系统帮你创建一个进程  异步
    p2.start()
    print('主')
    p1.join()
    p2.join()
    print('RESULT', {'children': [{'pid': p.pid, 'ppid': os.getpid(), 'name': p.name} for p in (p1, p2)]})
