from multiprocessing import Process
import time

money = 1000


def task():
    global money
    money = 99
    print('子进程', money)
    time.sleep(1)


if __name__ == '__main__':
    p = Process(target=task)
    p.start()
    p.join()
    print('主进程', money)
