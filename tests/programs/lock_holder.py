from multiprocessing import Lock, Process
import time


def hold(lock):
    with lock:
        print('holding')
        time.sleep(1)
    print('released')


def wait(lock):
    time.sleep(0.3)
    lock.acquire()
    print('got it')
    lock.release()


if __name__ == '__main__':
    lock = Lock()
    holder = Process(target=hold, args=(lock,))
    waiter = Process(target=wait, args=(lock,))
    holder.start()
    waiter.start()
    holder.join()
    waiter.join()
