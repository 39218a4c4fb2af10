"""100 processes that only sleep: what the tracer costs a program that does nothing."""

from multiprocessing import Process
import sys
import time


def nap(seconds):
    time.sleep(seconds)


if __name__ == '__main__':
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 8
    children = [Process(target=nap, args=(seconds,)) for _ in range(100)]
    for p in children:
        p.start()
    for p in children:
        p.join()
