from multiprocessing import Process
import time

children = 3  # 几个子进程, 第 i 个睡 i 秒


def task(name, n):
    print('%s is running' % name)
    time.sleep(n)
    print('%s is over' % name)


if __name__ == '__main__':
    # 一个个 start, 一个个 join: 串行
    start_time = time.time()
    for i in range(1, children + 1):
        p = Process(target=task, args=('jason%s' % i, i))
        p.start()
        p.join()  # 主进程等待子进程 p 运行结束之后, 再继续往后执行
    serial_seconds = time.time() - start_time
    print('主 串行 %.2f 秒' % serial_seconds)

    # 先全部 start, 再全部 join: 并行
    start_time = time.time()
    p_list = []
    for i in range(1, children + 1):
        p = Process(target=task, args=('jason%s' % i, i))
        p.start()
        p_list.append(p)
    for p in p_list:
        p.join()
    parallel_seconds = time.time() - start_time
    print('主 并行 %.2f 秒' % parallel_seconds)
    print('RESULT', {'serial_seconds': round(serial_seconds, 3), 'parallel_seconds': round(parallel_seconds, 3)})
