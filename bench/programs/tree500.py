"""A program of one's own with 500 processes: 20 team leads, each with 24 workers.

Each worker sleeps, now and then prints a line and works a little; the tree stays up for
the length of the bench (``seconds``, first argument). A page-load bench, not a lesson.
"""

from multiprocessing import Process
import os
import random
import sys
import time

leads = 20
workers_per_lead = 24  # 1 + 20 + 20 * 24 = 501 processes with the main one


def work(lead, i, seconds):
    random.seed(lead * 100 + i)
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        time.sleep(random.uniform(2, 6))
        n += 1
        total = sum(range(20000))  # a moment of running, so states change
        print('worker %s.%s round %s (%s)' % (lead, i, n, total % 7))


def lead(lead, seconds):
    team = [Process(target=work, args=(lead, i, seconds)) for i in range(workers_per_lead)]
    for p in team:
        p.start()
    for p in team:
        p.join()


if __name__ == '__main__':
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    teams = [Process(target=lead, args=(n, seconds)) for n in range(leads)]
    for p in teams:
        p.start()
    print('main', os.getpid(), 'started', len(teams), 'leads')
    for p in teams:
        p.join()
