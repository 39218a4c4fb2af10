from multiprocessing import Pool
import os
import time

task_seconds = 2.0  # 柜台办一笔业务要几秒


def teller(customer):
    print('柜台 %s: serving %s' % (os.getpid(), customer))
    time.sleep(task_seconds)
    return '%s 办完了' % customer


def call_number(ret):  # 回调函数: 叫号
    print('3 叫号 callback: %s' % ret)


def call_me(ret):  # 回调函数: 叫到号时, 主进程已经干了几件自己的事
    global called, async_seconds
    called = work_done
    async_seconds = time.time() - start_time
    print('4 叫号 callback: %s, 主进程已经干了 %s 件事' % (ret, work_done))


if __name__ == '__main__':
    pool = Pool(1)  # 银行只有一个柜台

    phase = '同步阻塞 sync + blocking'
    print('1 同步阻塞: 排队, 什么都不干, 等着')
    start_time = time.time()
    ret = pool.apply(teller, ('customer-1',))  # 提交任务之后原地等待任务的返回结果
    sync_seconds = time.time() - start_time
    print('1 主: %s, 干等了 %.2f 秒' % (ret, sync_seconds))

    phase = '同步非阻塞 sync + non-blocking'
    print('2 同步非阻塞: 排着队玩手机, 时不时抬头看看到我没有')
    res = pool.apply_async(teller, ('customer-2',))
    checks = 0
    while not res.ready():
        sum(range(100000))  # 玩一会手机
        checks += 1
    print('2 主: %s, 看了 %s 次' % (res.get(), checks))

    phase = '异步阻塞 async + blocking'
    print('3 异步阻塞: 取了号, 坐着盯着叫号屏')
    res = pool.apply_async(teller, ('customer-3',), callback=call_number)
    res.wait()

    phase = '异步非阻塞 async + non-blocking'
    print('4 异步非阻塞: 取了号, 去干别的事, 叫到号再回来')
    work_done = 0
    called = None
    start_time = time.time()
    res = pool.apply_async(teller, ('customer-4',), callback=call_me)
    while called is None:  # 干自己的活, 直到被叫号
        sum(i * i for i in range(100000))
        work_done += 1
    print('4 主: 自己的活干了 %s 件' % work_done)

    pool.close()
    pool.join()
    phase = 'done'
    print('RESULT', {'sync_seconds': round(sync_seconds, 3), 'async_seconds': round(async_seconds, 3), 'main_work_done_while_waiting': called})
