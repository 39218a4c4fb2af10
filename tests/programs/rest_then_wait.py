import os
import time
from multiprocessing import Process, Queue


def switches(pid):
    """Voluntary context switches of each thread of pid: one per sleep or wait."""
    out = {}
    for tid in os.listdir('/proc/%s/task' % pid):
        with open('/proc/%s/task/%s/status' % (pid, tid)) as f:
            for line in f:
                if line.startswith('voluntary_ctxt_switches'):
                    out[tid] = int(line.split()[1])
    return out


def child(q):
    time.sleep(3)
    q.get()
    print('got it')


if __name__ == '__main__':
    q = Queue()
    p = Process(target=child, args=(q,))
    p.start()
    time.sleep(1)  # the child's sampler has seen nothing happen: it rests
    before = switches(p.pid)
    time.sleep(1.5)
    after = switches(p.pid)
    print('WAKEUPS', max(after[t] - before.get(t, 0) for t in after))
    time.sleep(2)  # the child is blocked in get() by now
    q.put('bun')
    p.join()
