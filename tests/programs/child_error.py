from multiprocessing import Process


def fail():
    raise ValueError('boom in the child')


if __name__ == '__main__':
    p = Process(target=fail)
    p.start()
    p.join()
    print('child exit code', p.exitcode)
