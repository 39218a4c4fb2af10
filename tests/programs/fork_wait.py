import os
import time

pid = os.fork()
if pid == 0:
    print('child', os.getpid(), 'of', os.getppid())
    time.sleep(0.2)
    os._exit(3)
got, status = os.waitpid(pid, 0)
print('parent reaped', got, 'code', os.waitstatus_to_exitcode(status))
