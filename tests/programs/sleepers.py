import time
from multiprocessing import Process


def nap():
    time.sleep(60)


if __name__ == "__main__":
    children = [Process(target=nap) for _ in range(3)]
    for p in children:
        p.start()
    for p in children:
        p.join()
